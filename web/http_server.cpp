#include "web/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include <algorithm>
#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <system_error>

#include <nlohmann/json.hpp>

namespace vidx {

namespace {

constexpr size_t kDefaultBodyLimit = 64 << 10;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string ErrnoText(int e) { return std::error_code(e, std::generic_category()).message(); }

WebResponse JsonErrorResponse(int status, const std::string& message) {
  WebResponse r;
  r.status = status;
  r.SetHeader("Content-Type", "application/json");
  r.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
  return r;
}

struct ResponseDeleter {
  void operator()(MHD_Response* r) const { MHD_destroy_response(r); }
};
using ResponsePtr = std::unique_ptr<MHD_Response, ResponseDeleter>;

// A bound, listening, non-blocking TCP socket for `a`.
StatusOr<FdHolder> Listen(const ListenAddress& a, ListenAddress* bound) {
  const std::string where = a.ToString();
  FdHolder fd(::socket(a.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    return Status::IoError("cannot create a TCP socket for " + where + ": " + ErrnoText(errno));
  }
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (a.ipv6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  sockaddr_storage storage;
  const socklen_t length = ToSockaddr(a, &storage);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    const int e = errno;
    if (e == EADDRINUSE) {
      return Status::FailedPrecondition("another process listens on " + where +
                                        " (choose another web.listen port, or 0 for any)");
    }
    if (e == EACCES || e == EPERM) {
      return Status::PermissionDenied("listening on " + where +
                                      " needs privileges: " + ErrnoText(e));
    }
    return Status::IoError("cannot bind " + where + ": " + ErrnoText(e));
  }
  if (::listen(fd.get(), 256) != 0) {
    return Status::IoError("cannot listen on " + where + ": " + ErrnoText(errno));
  }
  sockaddr_storage actual{};
  socklen_t actual_length = sizeof actual;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&actual), &actual_length) != 0) {
    return Status::IoError("cannot read the port bound for " + where + ": " + ErrnoText(errno));
  }
  *bound = a;
  bound->port = ntohs(a.ipv6 ? reinterpret_cast<sockaddr_in6*>(&actual)->sin6_port
                             : reinterpret_cast<sockaddr_in*>(&actual)->sin_port);
  return fd;
}

}  // namespace

const std::string& WebRequest::Header(const std::string& lower_name) const {
  static const std::string kEmpty;
  auto it = headers.find(lower_name);
  return it == headers.end() ? kEmpty : it->second;
}

std::string WebRequest::Arg(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

void WebResponse::SetHeader(const std::string& name, const std::string& value) {
  const std::string lower = Lower(name);
  for (auto& h : headers) {
    if (Lower(h.first) == lower) {
      h.second = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

std::string WebResponse::Header(const std::string& name) const {
  const std::string lower = Lower(name);
  for (const auto& h : headers) {
    if (Lower(h.first) == lower) return h.second;
  }
  return "";
}

// Per request: what arrived so far. Lives in libmicrohttpd's *req_cls from the first call of
// the access handler to the completion callback.
struct HttpServer::RequestState {
  explicit RequestState(std::atomic<size_t>* counter) : buffered(counter) {}
  ~RequestState() { buffered->fetch_sub(body.size()); }
  RequestState(const RequestState&) = delete;
  RequestState& operator=(const RequestState&) = delete;

  std::atomic<size_t>* buffered;
  size_t limit = 0;
  std::string body;
  int refusal = 0;        // 413 or 503 once the body is refused; answered at its end
  size_t dropped = 0;     // bytes of a refused body read and dropped
  bool answered = false;  // a response was queued
};

struct HttpServerCallbacks {
  static MHD_Result Access(void* cls, MHD_Connection* connection, const char* url,
                           const char* method, const char* /*version*/, const char* upload_data,
                           size_t* upload_data_size, void** req_cls) {
    return static_cast<HttpServer*>(cls)->Access(connection, url, method, upload_data,
                                                 upload_data_size, req_cls)
               ? MHD_YES
               : MHD_NO;
  }
  static void Completed(void* cls, MHD_Connection* /*connection*/, void** req_cls,
                        MHD_RequestTerminationCode /*why*/) {
    static_cast<HttpServer*>(cls)->Completed(req_cls);
  }
  static void Log(void* cls, const char* format, va_list args) {
    const auto* server = static_cast<const HttpServer*>(cls);
    if (!server->options_.log) return;
    char line[512];
    std::vsnprintf(line, sizeof line, format, args);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    server->options_.log(text);
  }
  static MHD_Result CollectHeader(void* cls, MHD_ValueKind /*kind*/, const char* key,
                                  const char* value) {
    auto* headers = static_cast<std::map<std::string, std::string>*>(cls);
    const std::string name = Lower(key);
    const std::string v = value == nullptr ? "" : value;
    auto [it, inserted] = headers->emplace(name, v);
    if (!inserted) it->second += ", " + v;
    return MHD_YES;
  }
  static MHD_Result CollectArg(void* cls, MHD_ValueKind /*kind*/, const char* key,
                               const char* value) {
    auto* query = static_cast<std::map<std::string, std::string>*>(cls);
    query->emplace(key, value == nullptr ? "" : value);
    return MHD_YES;
  }
};

void HttpServer::DaemonDeleter::operator()(MHD_Daemon* d) const { MHD_stop_daemon(d); }

HttpServer::HttpServer(HttpServerOptions options, WebHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { Stop(); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                        WebHandler handler) {
  if (!handler) return Status::InvalidArgument("the web server needs a handler");
  if (options.threads < 1 || options.threads > 64 || options.idle_timeout_seconds < 1 ||
      options.max_connections < 1) {
    return Status::InvalidArgument("invalid web server options for " + options.listen +
                                   " (threads 1..64, idle timeout and connections >= 1)");
  }
  StatusOr<ListenAddress> address = ParseListenAddress(options.listen);
  if (!address.ok()) return address.status();
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(options), std::move(handler)));
  StatusOr<FdHolder> fd = Listen(*address, &server->address_);
  if (!fd.ok()) return fd.status();

  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (address->ipv6) flags |= MHD_USE_IPv6;
  const HttpServerOptions& o = server->options_;
  MHD_Daemon* d = MHD_start_daemon(
      flags, server->address_.port, nullptr, nullptr, &HttpServerCallbacks::Access, server.get(),
      MHD_OPTION_EXTERNAL_LOGGER, &HttpServerCallbacks::Log, server.get(), MHD_OPTION_LISTEN_SOCKET,
      static_cast<MHD_socket>(fd->get()), MHD_OPTION_THREAD_POOL_SIZE,
      static_cast<unsigned>(o.threads), MHD_OPTION_CONNECTION_TIMEOUT, o.idle_timeout_seconds,
      MHD_OPTION_CONNECTION_LIMIT, o.max_connections, MHD_OPTION_NOTIFY_COMPLETED,
      &HttpServerCallbacks::Completed, server.get(), MHD_OPTION_END);
  if (d == nullptr) {
    return Status::IoError("libmicrohttpd could not start the web server on " +
                           server->address_.ToString());
  }
  fd->release();  // libmicrohttpd closes the listening socket when it stops
  server->daemon_.reset(d);
  return server;
}

void HttpServer::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  daemon_.reset();
}

void HttpServer::Completed(void** req_cls) {
  delete static_cast<RequestState*>(*req_cls);
  *req_cls = nullptr;
}

bool HttpServer::Access(MHD_Connection* connection, const char* url, const char* method,
                        const char* upload_data, size_t* upload_data_size, void** req_cls) {
  auto* state = static_cast<RequestState*>(*req_cls);
  if (state == nullptr) {  // the headers are in; the body (if any) comes in later calls
    state = new RequestState(&buffered_);
    *req_cls = state;
    state->limit = options_.body_limit ? options_.body_limit(method, url) : kDefaultBodyLimit;
    const char* length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != nullptr) {
      char* end = nullptr;
      errno = 0;
      const unsigned long long n = std::strtoull(length, &end, 10);
      if (errno == 0 && end != length && n > state->limit) {
        state->answered = true;
        return Queue(connection,
                     JsonErrorResponse(413, "the request body is larger than " +
                                                std::to_string(state->limit) + " bytes"));
      }
    }
    return true;
  }
  if (*upload_data_size > 0) {
    const size_t n = *upload_data_size;
    *upload_data_size = 0;
    if (state->answered) return true;  // a response is out; libmicrohttpd drops the rest
    if (state->refusal != 0) {
      // libmicrohttpd cannot answer in the middle of a body: the refused body is read and
      // dropped, up to as much again as the limit, and answered at its end.
      state->dropped += n;
      return state->dropped <= state->limit;  // beyond that: close the connection
    }
    if (state->body.size() + n > state->limit) {
      state->refusal = 413;
    } else if (buffered_.fetch_add(n) + n > options_.max_buffered_bytes) {
      buffered_.fetch_sub(n);
      state->refusal = 503;
    } else {
      state->body.append(upload_data, n);
      return true;
    }
    buffered_.fetch_sub(state->body.size());
    state->body = std::string();
    state->dropped = n;
    return true;
  }
  if (state->answered) return true;
  if (state->refusal != 0) {
    state->answered = true;
    return Queue(connection,
                 state->refusal == 413
                     ? JsonErrorResponse(413, "the request body is larger than " +
                                                  std::to_string(state->limit) + " bytes")
                     : JsonErrorResponse(503,
                                         "the server is receiving too many request bodies at "
                                         "once; try again"));
  }

  WebRequest request;
  request.method = method;
  request.path = url;
  MHD_get_connection_values(connection, MHD_HEADER_KIND, &HttpServerCallbacks::CollectHeader,
                            &request.headers);
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &HttpServerCallbacks::CollectArg,
                            &request.query);
  request.body = std::move(state->body);
  buffered_.fetch_sub(request.body.size());
  state->body.clear();
  WebResponse response;
  try {
    response = handler_(request);
  } catch (const std::exception& e) {
    response = JsonErrorResponse(500, std::string("the request handler failed: ") + e.what());
  } catch (...) {
    response = JsonErrorResponse(500, "the request handler failed with an unknown exception");
  }
  state->answered = true;
  return Queue(connection, std::move(response));
}

bool HttpServer::Queue(MHD_Connection* connection, WebResponse response) {
  ResponsePtr r;
  if (response.file.valid()) {
    r.reset(MHD_create_response_from_fd_at_offset64(response.file_length, response.file.get(),
                                                    response.file_offset));
    if (r) response.file.release();  // the response owns the descriptor now
  } else {
    r.reset(MHD_create_response_from_buffer(
        response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY));
  }
  if (!r) return false;  // out of memory: close the connection
  for (const auto& [name, value] : options_.default_headers) {
    if (response.Header(name).empty()) response.headers.emplace_back(name, value);
  }
  for (const auto& [name, value] : response.headers) {
    if (value.empty()) continue;  // libmicrohttpd refuses empty values
    if (MHD_add_response_header(r.get(), name.c_str(), value.c_str()) != MHD_YES) return false;
  }
  return MHD_queue_response(connection, static_cast<unsigned>(response.status), r.get()) == MHD_YES;
}

}  // namespace vidx
