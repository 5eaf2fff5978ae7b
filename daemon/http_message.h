// HTTP/1.1 messages of the daemon's local API: an incremental request parser (server side),
// the response serializer, and a response parser (client side).
//
// The API speaks a deliberately small subset of HTTP/1.1 over a unix socket: one request per
// connection (every response says "Connection: close"), request bodies framed by
// Content-Length only (Transfer-Encoding of any kind is refused with 501), origin-form or
// absolute-form targets, HTTP/1.x only (another major version is refused with 505). Line ends
// may be CRLF or a bare LF. A Host header is not required (the socket is local).
//
// Thread-safety: HttpRequestParser is a value used by one thread at a time; the free
// functions are thread-safe.
#ifndef VIDX_DAEMON_HTTP_MESSAGE_H_
#define VIDX_DAEMON_HTTP_MESSAGE_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vidx {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent (case-sensitive)
  std::string target;  // as sent, e.g. "/v1/search?x=1"
  std::string path;    // target up to '?' ("/v1/search"); for absolute-form, the path part
  // Names lower-cased, values trimmed of spaces and tabs; a repeated header's values are
  // joined with ", " in the order received.
  std::map<std::string, std::string> headers;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;  // request line + headers, terminating blank line included
  size_t max_body_bytes = 1 << 20;      // Content-Length above this is refused with 413
};

// Incremental request parser: Feed() bytes as they arrive, in chunks of any size.
// Bytes after the end of the first complete request are ignored (one request per connection).
class HttpRequestParser {
 public:
  enum class Result { kNeedMore, kDone, kError };

  explicit HttpRequestParser(HttpLimits limits = {});

  // Consumes `data`. Returns kNeedMore until the request is complete, then kDone; kError as
  // soon as the input cannot become a valid request within the limits (an oversized header
  // section is refused without waiting for its end, an oversized body from its Content-Length
  // before any of it is read). After kDone or kError, further calls return the same result and
  // change nothing.
  Result Feed(std::string_view data);

  // True once the headers are complete and asked for "Expect: 100-continue" with a body to
  // come: a server may send "HTTP/1.1 100 Continue" (clients also send the body unasked).
  bool expects_continue() const { return expects_continue_; }

  // REQUIRES: the last Feed() returned kDone.
  const HttpRequest& request() const { return request_; }

  // After kError: 400 (malformed), 413 (body over the limit), 431 (header section over the
  // limit), 501 (Transfer-Encoding, chunked or other), 505 (HTTP major version other than 1).
  int error_status() const { return error_status_; }
  // After kError: one sentence saying what is wrong.
  const std::string& error_message() const { return error_message_; }

 private:
  enum class State { kHead, kBody, kDone, kError };

  Result Fail(int status, std::string message);
  Result ParseHead(std::string_view head);  // the head without leading blank lines
  Result FeedBody(std::string_view data);

  HttpLimits limits_;
  State state_ = State::kHead;
  std::string head_;        // bytes of the head received so far
  size_t scan_ = 0;         // offset in head_ from which to look for the next '\n'
  size_t line_start_ = 0;   // offset in head_ where the current line starts
  size_t head_start_ = 0;   // offset after leading blank lines
  size_t body_length_ = 0;  // from Content-Length
  bool expects_continue_ = false;
  HttpRequest request_;
  int error_status_ = 0;
  std::string error_message_;
};

// The reason phrase for a status code ("OK", "Not Found", ...); "Unknown" for codes without one.
const char* HttpReasonPhrase(int status);

// "HTTP/1.1 <status> <reason>\r\nContent-Type: ..\r\nContent-Length: n\r\n
//  Connection: close\r\n\r\n<body>"
std::string SerializeResponse(const HttpResponse& response);

// A JSON error response: body {"error": message} (invalid UTF-8 in `message` is replaced).
HttpResponse JsonError(int status, const std::string& message);

// Client side: parses one complete response (status line, headers, body). With
// Content-Length the body must be complete (extra bytes after it are ignored); without it the
// body is everything after the headers (the server closes the connection). content_type is
// the Content-Type header, or "" when there is none. kCorruption when malformed, truncated or
// chunked.
StatusOr<HttpResponse> ParseHttpResponse(std::string_view raw);

}  // namespace vidx

#endif  // VIDX_DAEMON_HTTP_MESSAGE_H_
