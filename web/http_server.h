// HttpServer: the web UI's TCP listener, HTTP/1.1 on libmicrohttpd (docs/web.md says why).
//
// libmicrohttpd does the protocol: keep-alive, pipelining, "Expect: 100-continue", chunked
// request bodies, HEAD (headers without the body), Date and Content-Length, and sending a
// file region with sendfile() without reading it into memory. It runs `threads` event loops
// (epoll), each with its own share of the connections; a handler blocks only the loop that
// called it. This class adds what vidx wants around it:
//   - the listening socket is made here (so a busy port is a clear kFailedPrecondition and
//     port 0 reports the real port), then handed to libmicrohttpd;
//   - request bodies are accumulated across libmicrohttpd's calls up to a per-request limit
//     (`body_limit`, by method and path), and all bodies being received at once up to
//     `max_buffered_bytes`;
//   - a connection idle for `idle_timeout_seconds` (a slow or stuck client) is closed.
//
// What the server answers by itself (JSON {"error": ...}): 413 when a body is over its limit
// (announced by Content-Length: at once, before the body is sent; chunked: the rest of the
// body is read and dropped and 413 answered at its end, or the connection closed when it
// goes on past twice the limit), 503 likewise when the bodies being received at once pass
// max_buffered_bytes, 500 when the handler throws. Everything else is the handler's.
//
// Thread-safety: the handler is called concurrently from the server's threads and must be
// thread-safe. Stop() and the destructor may be called from any thread but a handler.
#ifndef VIDX_WEB_HTTP_SERVER_H_
#define VIDX_WEB_HTTP_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/fd_holder.h"
#include "common/status.h"
#include "config/listen_address.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace vidx {

struct WebRequest {
  std::string method;  // "GET", "HEAD", "POST", ... as sent
  std::string path;    // percent-decoded by libmicrohttpd, without the query ("/v1/media/7")
  // Query arguments, percent-decoded; a name without '=' has the value "". A repeated name
  // keeps its first value.
  std::map<std::string, std::string> query;
  // Names lower-cased; a repeated header's values joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;

  // The header's value, or "" when absent. `lower_name` must be lower case.
  const std::string& Header(const std::string& lower_name) const;
  // The query argument's value, or `fallback` when absent.
  std::string Arg(const std::string& name, const std::string& fallback = "") const;
};

// Either an in-memory body or a region of an open file, plus status and headers.
// Content-Length is computed by the server; do not set it. A header with an empty value is
// not sent.
struct WebResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When valid, the body is file_length bytes of this file from file_offset, sent straight
  // from the descriptor (the server closes it after the response), and `body` is ignored.
  FdHolder file;
  uint64_t file_offset = 0;
  uint64_t file_length = 0;

  void SetHeader(const std::string& name, const std::string& value);  // replaces
  // The first value of the header (case-insensitive name), or "" when absent.
  std::string Header(const std::string& name) const;
};

using WebHandler = std::function<WebResponse(const WebRequest&)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";  // ParseListenAddress
  int threads = 4;                     // event loops (1..64)
  unsigned idle_timeout_seconds = 60;  // a connection without traffic this long is closed
  unsigned max_connections = 256;      // beyond it, new connections are refused at accept
  // The largest request body for a method and path (default: 64 KiB for every request).
  std::function<size_t(const std::string& method, const std::string& path)> body_limit;
  size_t max_buffered_bytes = 64 << 20;  // all bodies being received at once
  // Added to every response, the server's own answers (413, 503, 500) included, unless the
  // response sets a header of that name itself.
  std::vector<std::pair<std::string, std::string>> default_headers;
  // Where libmicrohttpd's own error messages go (default: nowhere). Called from any thread.
  std::function<void(const std::string&)> log;
};

class HttpServer {
 public:
  // Binds and listens on options.listen (SO_REUSEADDR), then starts the threads.
  // kInvalidArgument for bad options or an unparsable address, kFailedPrecondition naming the
  // address when it is in use, kPermissionDenied when the port needs privileges, kIoError for
  // other failures (and when libmicrohttpd refuses to start).
  static StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, WebHandler handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The address bound, with the real port when the options said port 0.
  const ListenAddress& address() const { return address_; }

  // Closes the listener and every connection; waits for handlers in flight. Idempotent.
  void Stop();

 private:
  struct RequestState;
  struct DaemonDeleter {
    void operator()(MHD_Daemon* d) const;
  };

  friend struct HttpServerCallbacks;  // libmicrohttpd's C callbacks, in http_server.cpp

  HttpServer(HttpServerOptions options, WebHandler handler);
  // One call of libmicrohttpd's access handler; false closes the connection.
  bool Access(MHD_Connection* connection, const char* url, const char* method,
              const char* upload_data, size_t* upload_data_size, void** req_cls);
  void Completed(void** req_cls);  // the request is over (answered or not)
  bool Queue(MHD_Connection* connection, WebResponse response);

  const HttpServerOptions options_;
  const WebHandler handler_;
  ListenAddress address_;
  std::atomic<size_t> buffered_{0};
  std::mutex stop_mu_;
  std::unique_ptr<MHD_Daemon, DaemonDeleter> daemon_;  // guarded by stop_mu_ for Stop()
};

}  // namespace vidx

#endif  // VIDX_WEB_HTTP_SERVER_H_
