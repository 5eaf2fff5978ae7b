#include "daemon/api_server.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <sstream>
#include <system_error>
#include <utility>

namespace vidx {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kListenKey = 1;
constexpr uint64_t kWakeKey = 2;
constexpr size_t kReadChunk = 64 * 1024;

std::string ErrnoText(int e) { return std::error_code(e, std::generic_category()).message(); }

std::string SecondsText(double seconds) {
  std::ostringstream out;
  out << seconds << " s";
  return out.str();
}

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Milliseconds from now until `t` (rounded up, at least 0), for epoll_wait.
int MillisUntil(Clock::time_point t, Clock::time_point now) {
  if (t <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

// mkdir -p of the socket's parent directory, new directories 0755 (before the umask).
Status MakeParentDirs(const std::string& socket_path) {
  const std::filesystem::path parent = std::filesystem::path(socket_path).parent_path();
  if (parent.empty()) return Status::Ok();
  std::filesystem::path partial;
  for (const auto& part : parent) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0755) == 0) continue;
    const int e = errno;
    struct stat st {};
    if (::stat(partial.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return Status::IoError("cannot create the directory " + partial.string() +
                           " for the API socket " + socket_path + ": " + ErrnoText(e));
  }
  return Status::Ok();
}

// Writes all of `data`, blocking (the socket's SO_SNDTIMEO bounds each stall). Gives up
// silently when the client is gone or stalls: there is nobody left to tell.
void WriteAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
    } else if (errno != EINTR) {
      return;
    }
  }
}

}  // namespace

struct ApiServer::Connection {
  Connection(FdHolder socket, std::atomic<int>* open_count, HttpLimits limits,
             Clock::time_point read_deadline)
      : fd(std::move(socket)), parser(limits), deadline(read_deadline), counter(open_count) {
    counter->fetch_add(1);
  }
  ~Connection() { counter->fetch_sub(1); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  FdHolder fd;
  HttpRequestParser parser;
  Clock::time_point deadline;
  std::atomic<int>* counter;
  bool continue_sent = false;
};

ApiServer::ApiServer(ApiServerOptions options, ApiHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

ApiServer::~ApiServer() { Stop(); }

StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(ApiServerOptions options,
                                                      ApiHandler handler) {
  const auto positive = [](double s) { return std::isfinite(s) && s > 0; };
  if (options.socket_path.empty() || options.socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Status::InvalidArgument("the API socket path '" + options.socket_path +
                                   "' is empty or longer than " +
                                   std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  if (!handler) return Status::InvalidArgument("the API server needs a handler");
  if (options.worker_threads < 1 || options.worker_threads > 1024 || options.max_connections < 1 ||
      !positive(options.read_timeout_seconds) || !positive(options.write_timeout_seconds) ||
      options.mode > 07777 || options.limits.max_header_bytes < 1) {
    return Status::InvalidArgument("invalid API server options for " + options.socket_path +
                                   " (worker_threads 1..1024, max_connections >= 1, "
                                   "timeouts > 0, mode <= 07777)");
  }
  std::unique_ptr<ApiServer> server(new ApiServer(std::move(options), std::move(handler)));
  VIDX_RETURN_IF_ERROR(server->Open());
  try {
    server->io_thread_ = std::thread(&ApiServer::IoLoop, server.get());
    for (int i = 0; i < server->options_.worker_threads; ++i) {
      server->workers_.emplace_back(&ApiServer::WorkerLoop, server.get());
    }
  } catch (const std::system_error& e) {
    return Status::Internal("cannot start the API server threads for " +
                            server->options_.socket_path + ": " + e.what());
  }  // on failure, ~ApiServer stops what was started and unlinks the socket
  return server;
}

Status ApiServer::Open() {
  const std::string& path = options_.socket_path;
  VIDX_RETURN_IF_ERROR(MakeParentDirs(path));

  const std::string lock_path = path + ".lock";
  lock_fd_.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_fd_.valid()) {
    return Status::IoError("cannot open the API socket's lock file " + lock_path + ": " +
                           ErrnoText(errno));
  }
  if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    if (e == EWOULDBLOCK) {
      return Status::FailedPrecondition("another vidx server is using the API socket " + path +
                                        " (its lock file " + lock_path + " is held)");
    }
    return Status::IoError("cannot lock " + lock_path + ": " + ErrnoText(e));
  }

  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::FailedPrecondition(path +
                                        " exists and is not a socket; refusing to replace "
                                        "it with the API socket");
    }
    auto probe = ConnectUnixSocket(path, 1.0);
    if (probe.ok() || probe.status().code() == StatusCode::kDeadlineExceeded) {
      return Status::FailedPrecondition("another process answers on the API socket " + path);
    }
    if (probe.status().code() != StatusCode::kUnavailable) return probe.status();
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {  // stale: nobody listens
      return Status::IoError("cannot remove the stale API socket " + path + ": " +
                             ErrnoText(errno));
    }
  }

  listen_fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_fd_.valid()) {
    return Status::IoError("cannot create the API socket " + path + ": " + ErrnoText(errno));
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (::bind(listen_fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int e = errno;
    if (e == EADDRINUSE) {
      return Status::FailedPrecondition("the API socket " + path +
                                        " was created by another process meanwhile");
    }
    return Status::IoError("cannot bind the API socket " + path + ": " + ErrnoText(e));
  }
  if (::stat(path.c_str(), &st) != 0) {
    return Status::IoError("cannot stat the API socket " + path + ": " + ErrnoText(errno));
  }
  socket_dev_ = st.st_dev;  // from here on, Stop() (run by the destructor) unlinks it
  socket_ino_ = st.st_ino;
  if (::chmod(path.c_str(), static_cast<mode_t>(options_.mode)) != 0) {
    return Status::IoError("cannot chmod the API socket " + path + ": " + ErrnoText(errno));
  }
  if (::listen(listen_fd_.get(), std::max(1024, SOMAXCONN)) != 0) {
    return Status::IoError("cannot listen on the API socket " + path + ": " + ErrnoText(errno));
  }

  epoll_fd_.reset(::epoll_create1(EPOLL_CLOEXEC));
  wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll_fd_.valid() || !wake_fd_.valid()) {
    return Status::IoError("cannot create the API server's epoll/eventfd: " + ErrnoText(errno));
  }
  epoll_event listen_event{};
  listen_event.events = EPOLLIN;
  listen_event.data.u64 = kListenKey;
  epoll_event wake_event{};
  wake_event.events = EPOLLIN;
  wake_event.data.u64 = kWakeKey;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, listen_fd_.get(), &listen_event) != 0 ||
      ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &wake_event) != 0) {
    return Status::IoError("cannot register the API socket with epoll: " + ErrnoText(errno));
  }
  return Status::Ok();
}

void ApiServer::IoLoop() {
  epoll_event events[64];
  std::vector<char> buffer(kReadChunk);
  while (!stopping_.load()) {
    Clock::time_point now = Clock::now();
    int timeout_ms = -1;
    if (!reading_.empty()) timeout_ms = MillisUntil(reading_.begin()->second->deadline, now);
    if (accept_paused_) {
      const int resume_ms = MillisUntil(accept_resume_, now);
      timeout_ms = timeout_ms < 0 ? resume_ms : std::min(timeout_ms, resume_ms);
    }
    const int n = ::epoll_wait(epoll_fd_.get(), events, 64, timeout_ms);
    if (n < 0 && errno != EINTR) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // should not happen
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t key = events[i].data.u64;
      if (key == kWakeKey) {
        uint64_t count = 0;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_.get(), &count, sizeof(count));
      } else if (key == kListenKey) {
        AcceptAll();
      } else {
        ReadFrom(key, buffer.data(), buffer.size());
      }
    }
    now = Clock::now();
    while (!reading_.empty() && reading_.begin()->second->deadline <= now) {
      SendBestEffort(reading_.begin()->second->fd.get(),
                     JsonError(408, "the request did not arrive completely within " +
                                        SecondsText(options_.read_timeout_seconds)));
      reading_.erase(reading_.begin());  // closing the fd also removes it from epoll
    }
    if (accept_paused_ && now >= accept_resume_) {
      epoll_event listen_event{};
      listen_event.events = EPOLLIN;
      listen_event.data.u64 = kListenKey;
      ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, listen_fd_.get(), &listen_event);
      accept_paused_ = false;
    }
  }
  for (auto& entry : reading_) {  // requests still arriving are turned away
    SendBestEffort(entry.second->fd.get(), JsonError(503, "the daemon is shutting down"));
  }
  reading_.clear();
}

void ApiServer::AcceptAll() {
  while (true) {
    FdHolder fd(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      const int e = errno;
      if (e == EINTR || e == ECONNABORTED) continue;
      if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        // Out of descriptors: stop polling the listener for a moment instead of spinning;
        // clients wait in the backlog meanwhile.
        epoll_event listen_event{};
        listen_event.data.u64 = kListenKey;
        ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, listen_fd_.get(), &listen_event);
        accept_paused_ = true;
        accept_resume_ = Clock::now() + std::chrono::milliseconds(100);
      }
      return;  // EAGAIN: the backlog is empty
    }
    if (open_connections_.load() >= options_.max_connections) {
      SendBestEffort(fd.get(),
                     JsonError(503, "the daemon has too many open connections (" +
                                        std::to_string(options_.max_connections) + "); try again"));
      continue;
    }
    const int raw_fd = fd.get();
    auto connection =
        std::make_unique<Connection>(std::move(fd), &open_connections_, options_.limits,
                                     Clock::now() + Seconds(options_.read_timeout_seconds));
    const uint64_t key = next_key_++;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = key;
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, raw_fd, &event) != 0) continue;  // closes
    reading_.emplace(key, std::move(connection));
  }
}

void ApiServer::ReadFrom(uint64_t key, char* buffer, size_t size) {
  auto it = reading_.find(key);
  if (it == reading_.end()) return;  // closed earlier in this batch of events
  Connection& connection = *it->second;
  while (true) {
    const ssize_t n = ::recv(connection.fd.get(), buffer, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {  // the client went away half-way (EOF or reset): just close
      reading_.erase(it);
      return;
    }
    switch (connection.parser.Feed(std::string_view(buffer, static_cast<size_t>(n)))) {
      case HttpRequestParser::Result::kNeedMore:
        if (connection.parser.expects_continue() && !connection.continue_sent) {
          connection.continue_sent = true;
          static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
          ::send(connection.fd.get(), kContinue, sizeof(kContinue) - 1,
                 MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        continue;
      case HttpRequestParser::Result::kError:
        SendBestEffort(connection.fd.get(), JsonError(connection.parser.error_status(),
                                                      connection.parser.error_message()));
        reading_.erase(it);
        return;
      case HttpRequestParser::Result::kDone: {
        ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, connection.fd.get(), nullptr);
        ConnectionPtr complete = std::move(it->second);
        reading_.erase(it);
        Enqueue(std::move(complete));
        return;
      }
    }
  }
}

void ApiServer::Enqueue(ConnectionPtr connection) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queue_.push_back(std::move(connection));
  }
  queue_cv_.notify_one();
}

void ApiServer::WorkerLoop() {
  while (true) {
    ConnectionPtr connection;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return workers_stop_ || !queue_.empty(); });
      if (workers_stop_) return;  // Stop() answers what is left in the queue
      connection = std::move(queue_.front());
      queue_.pop_front();
    }
    Serve(connection.get());
  }
}

void ApiServer::Serve(Connection* connection) {
  HttpResponse response;
  try {
    response = handler_(connection->parser.request());
  } catch (const std::exception& e) {
    response = JsonError(500, std::string("the request handler failed: ") + e.what());
  } catch (...) {
    response = JsonError(500, "the request handler failed with an unknown exception");
  }
  // Blocking writes from here on, each bounded by SO_SNDTIMEO.
  const int fd = connection->fd.get();
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  const double timeout = options_.write_timeout_seconds;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout);
  tv.tv_usec = static_cast<suseconds_t>((timeout - std::floor(timeout)) * 1e6);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  WriteAll(fd, SerializeResponse(response));
}

void ApiServer::SendBestEffort(int fd, const HttpResponse& response) {
  // Small answers on a fresh connection fit in the socket buffer; if not, the client loses.
  const std::string data = SerializeResponse(response);
  [[maybe_unused]] ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void ApiServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_.store(true);
  if (wake_fd_.valid()) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof(one));
  }
  if (io_thread_.joinable()) io_thread_.join();
  // No more accepts. Unlink the socket only if it is still the one we bound.
  struct stat st {};
  if (socket_ino_ != 0 && ::lstat(options_.socket_path.c_str(), &st) == 0 &&
      st.st_dev == socket_dev_ && st.st_ino == socket_ino_) {
    ::unlink(options_.socket_path.c_str());
  }
  listen_fd_.reset();
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    workers_stop_ = true;
  }
  queue_cv_.notify_all();
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  for (ConnectionPtr& connection : queue_) {
    SendBestEffort(connection->fd.get(), JsonError(503, "the daemon is shutting down"));
  }
  queue_.clear();
  epoll_fd_.reset();
  wake_fd_.reset();
  lock_fd_.reset();
}

}  // namespace vidx
