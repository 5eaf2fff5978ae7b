#include "daemon/http_message.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace vidx {
namespace {

bool IsTchar(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return IsTchar(static_cast<unsigned char>(c)); });
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && Lower(s.substr(0, prefix.size())) == prefix;
}

// Splits a head (which ends with its blank line) into its non-blank lines, without line ends.
std::vector<std::string_view> SplitHeadLines(std::string_view head) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < head.size()) {
    size_t nl = head.find('\n', pos);
    if (nl == std::string_view::npos) nl = head.size();
    std::string_view line = head.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    if (line.empty()) break;
    lines.push_back(line);
  }
  return lines;
}

// Parses "name: value" into a lower-cased name and a trimmed value. Returns an error sentence,
// or "" when the line is valid.
std::string ParseHeaderLine(std::string_view line, std::string* name, std::string* value) {
  if (line.front() == ' ' || line.front() == '\t') {
    return "a header line starts with white space (obsolete line folding is not accepted)";
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return "a header line has no ':'";
  if (!IsToken(line.substr(0, colon))) {
    return "a header name is empty or contains a character that is not allowed";
  }
  std::string_view v = TrimOws(line.substr(colon + 1));
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return "a header value contains a control character";
    }
  }
  *name = Lower(line.substr(0, colon));
  *value = std::string(v);
  return "";
}

// Content-Length: "1*DIGIT", possibly repeated as a list of identical values ("5, 5").
// Saturates at SIZE_MAX. Returns false when malformed or when the values differ.
bool ParseContentLength(std::string_view field, size_t* out) {
  bool have = false;
  size_t result = 0;
  size_t pos = 0;
  while (pos <= field.size()) {
    size_t comma = field.find(',', pos);
    if (comma == std::string_view::npos) comma = field.size();
    std::string_view item = TrimOws(field.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) return false;
    size_t n = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return false;
      const size_t digit = static_cast<size_t>(c - '0');
      n = n > (SIZE_MAX - digit) / 10 ? SIZE_MAX : n * 10 + digit;
    }
    if (have && n != result) return false;
    result = n;
    have = true;
  }
  *out = result;
  return have;
}

// Offset just after the blank line that ends a head, or npos.
size_t FindHeadEnd(std::string_view raw) {
  size_t pos = 0;
  while ((pos = raw.find('\n', pos)) != std::string_view::npos) {
    ++pos;
    if (pos < raw.size() && raw[pos] == '\n') return pos + 1;
    if (pos + 1 < raw.size() && raw[pos] == '\r' && raw[pos + 1] == '\n') return pos + 2;
  }
  return std::string_view::npos;
}

}  // namespace

HttpRequestParser::HttpRequestParser(HttpLimits limits) : limits_(limits) {
  // Keeps "max_header_bytes + 1" below overflow.
  limits_.max_header_bytes = std::min(limits_.max_header_bytes, SIZE_MAX / 2);
}

HttpRequestParser::Result HttpRequestParser::Fail(int status, std::string message) {
  state_ = State::kError;
  error_status_ = status;
  error_message_ = std::move(message);
  head_.clear();
  request_ = HttpRequest();
  return Result::kError;
}

HttpRequestParser::Result HttpRequestParser::Feed(std::string_view data) {
  switch (state_) {
    case State::kDone:
      return Result::kDone;
    case State::kError:
      return Result::kError;
    case State::kBody:
      return FeedBody(data);
    case State::kHead:
      break;
  }
  // head_ never holds more than max_header_bytes + 1 bytes: one byte over decides 431.
  const size_t room = limits_.max_header_bytes + 1 - head_.size();
  const size_t take = std::min(data.size(), room);
  head_.append(data.data(), take);
  while (true) {
    const size_t nl = head_.find('\n', scan_);
    if (nl == std::string::npos) {
      scan_ = head_.size();
      break;
    }
    scan_ = nl + 1;
    size_t end = nl;
    if (end > line_start_ && head_[end - 1] == '\r') --end;
    const bool blank = end == line_start_;
    const bool leading = line_start_ == head_start_;
    line_start_ = nl + 1;
    if (!blank) continue;
    if (leading) {  // blank lines before the request line are ignored (RFC 9112 2.2)
      head_start_ = nl + 1;
      continue;
    }
    const size_t head_end = nl + 1;
    if (head_end > limits_.max_header_bytes) break;
    Result r = ParseHead(std::string_view(head_).substr(head_start_, head_end - head_start_));
    if (r != Result::kNeedMore) return r;
    // Body bytes that arrived with the head: those already copied, then the rest of `data`.
    std::string early = head_.substr(head_end);
    head_.clear();
    head_.shrink_to_fit();
    r = FeedBody(early);
    if (r == Result::kNeedMore) r = FeedBody(data.substr(take));
    return r;
  }
  if (head_.size() > limits_.max_header_bytes) {
    return Fail(431, "the request line and headers are larger than " +
                         std::to_string(limits_.max_header_bytes) + " bytes");
  }
  return Result::kNeedMore;
}

HttpRequestParser::Result HttpRequestParser::ParseHead(std::string_view head) {
  const std::vector<std::string_view> lines = SplitHeadLines(head);
  // Request line: method SP request-target SP HTTP-version, single spaces.
  const std::string_view line = lines.at(0);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Fail(400, "the request line is not 'METHOD TARGET HTTP/1.1'");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Fail(400, "the request method is not a valid token");
  if (target.empty()) return Fail(400, "the request target is empty");
  for (char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) {
      return Fail(400, "the request target contains a control, space or non-ASCII byte");
    }
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !IsDigit(version[5]) ||
      version[6] != '.' || !IsDigit(version[7])) {
    return Fail(400, "the request line does not end with an HTTP version such as HTTP/1.1");
  }
  if (version[5] != '1') {
    return Fail(
        505, "HTTP version " + std::string(version.substr(5)) + " is not supported; use HTTP/1.1");
  }
  std::string_view path;
  if (target.front() == '/') {
    path = target.substr(0, target.find('?'));
  } else {
    size_t scheme = 0;
    if (StartsWithNoCase(target, "http://")) scheme = 7;
    if (StartsWithNoCase(target, "https://")) scheme = 8;
    const size_t authority_end = scheme == 0 ? 0 : target.find_first_of("/?", scheme);
    if (scheme == 0 || authority_end == scheme) {
      return Fail(400, "the request target is neither an absolute path nor an absolute URI");
    }
    if (authority_end == std::string_view::npos || target[authority_end] == '?') {
      path = "/";
    } else {
      path = target.substr(authority_end, target.find('?', authority_end) - authority_end);
    }
  }

  HttpRequest request;
  request.method = std::string(method);
  request.target = std::string(target);
  request.path = std::string(path);
  bool have_length = false;
  size_t length = 0;
  bool transfer_encoding = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string name;
    std::string value;
    const std::string error = ParseHeaderLine(lines[i], &name, &value);
    if (!error.empty()) return Fail(400, error);
    if (name == "content-length") {
      size_t n = 0;
      if (!ParseContentLength(value, &n) || (have_length && n != length)) {
        return Fail(400, "the Content-Length header is not a single non-negative integer");
      }
      have_length = true;
      length = n;
    } else if (name == "transfer-encoding") {
      transfer_encoding = true;
    }
    auto [it, inserted] = request.headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  if (transfer_encoding) {
    return Fail(501,
                "Transfer-Encoding (chunked or other) is not supported; send the body "
                "with a Content-Length");
  }
  if (length > limits_.max_body_bytes) {
    return Fail(413, "the request body is larger than " + std::to_string(limits_.max_body_bytes) +
                         " bytes");
  }
  auto expect = request.headers.find("expect");
  expects_continue_ =
      length > 0 && expect != request.headers.end() && Lower(expect->second) == "100-continue";
  request_ = std::move(request);
  body_length_ = length;
  request_.body.reserve(std::min<size_t>(length, 1 << 20));  // grows beyond as bytes arrive
  if (length == 0) {
    state_ = State::kDone;
    return Result::kDone;
  }
  state_ = State::kBody;
  return Result::kNeedMore;
}

HttpRequestParser::Result HttpRequestParser::FeedBody(std::string_view data) {
  const size_t need = body_length_ - request_.body.size();
  request_.body.append(data.data(), std::min(need, data.size()));
  if (request_.body.size() < body_length_) return Result::kNeedMore;
  state_ = State::kDone;
  return Result::kDone;
}

const char* HttpReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string SerializeResponse(const HttpResponse& response) {
  std::string out;
  out.reserve(128 + response.content_type.size() + response.body.size());
  out += "HTTP/1.1 " + std::to_string(response.status) + " " + HttpReasonPhrase(response.status) +
         "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += response.body;
  return out;
}

HttpResponse JsonError(int status, const std::string& message) {
  HttpResponse response;
  response.status = status;
  response.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
  return response;
}

StatusOr<HttpResponse> ParseHttpResponse(std::string_view raw) {
  const size_t head_end = FindHeadEnd(raw);
  if (head_end == std::string_view::npos) {
    return Status::Corruption(raw.empty() ? "the response is empty"
                                          : "the response ends before the end of its headers");
  }
  const std::vector<std::string_view> lines = SplitHeadLines(raw.substr(0, head_end));
  if (lines.empty()) return Status::Corruption("the response has no status line");
  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  const std::string_view status_line = lines[0];
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      !IsDigit(status_line[7]) || status_line[8] != ' ' ||
      !std::all_of(status_line.begin() + 9, status_line.begin() + 12, IsDigit) ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return Status::Corruption("the response's status line is not 'HTTP/1.1 <code> <reason>'");
  }
  HttpResponse response;
  response.status = std::stoi(std::string(status_line.substr(9, 3)));
  if (response.status < 100) return Status::Corruption("the response's status code is below 100");
  response.content_type.clear();
  bool have_length = false;
  size_t length = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string name;
    std::string value;
    const std::string error = ParseHeaderLine(lines[i], &name, &value);
    if (!error.empty()) return Status::Corruption("in the response, " + error);
    if (name == "content-length") {
      size_t n = 0;
      if (!ParseContentLength(value, &n) || (have_length && n != length)) {
        return Status::Corruption("the response's Content-Length is invalid");
      }
      have_length = true;
      length = n;
    } else if (name == "transfer-encoding") {
      return Status::Corruption("the response uses Transfer-Encoding, which is not supported");
    } else if (name == "content-type") {
      response.content_type = value;
    }
  }
  std::string_view body = raw.substr(head_end);
  if (have_length) {
    if (body.size() < length) {
      return Status::Corruption("the response body is truncated: " + std::to_string(length) +
                                " bytes announced, " + std::to_string(body.size()) + " received");
    }
    body = body.substr(0, length);
  }
  response.body = std::string(body);
  return response;
}

}  // namespace vidx
