#include "daemon/api_client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>
#include <system_error>
#include <thread>

namespace vidx {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxResponseBytes = size_t{1} << 30;

std::string ErrnoText(int e) { return std::error_code(e, std::generic_category()).message(); }

std::string SecondsText(double seconds) {
  std::ostringstream out;
  out << seconds << " s";
  return out.str();
}

Clock::time_point DeadlineAfter(double seconds) {
  seconds = std::clamp(std::isfinite(seconds) ? seconds : 0.0, 0.0, 1e7);
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Waits until `fd` reports `events` (or an error/hang-up) or `deadline` passes.
// Returns 1 when ready, 0 on timeout, -1 with errno on failure.
int PollUntil(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30)));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue;  // re-check the clock: poll may round down
    return r < 0 ? -1 : 1;
  }
}

}  // namespace

StatusOr<FdHolder> ConnectUnixSocket(const std::string& path, double timeout_seconds) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Status::InvalidArgument("socket path '" + path + "' is empty or longer than " +
                                   std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  FdHolder fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return Status::IoError("cannot create a socket to connect to " + path + ": " +
                           ErrnoText(errno));
  }
  const Clock::time_point deadline = DeadlineAfter(timeout_seconds);
  while (true) {
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      return fd;
    }
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EINPROGRESS) {
      // A unix socket reports a full backlog with EAGAIN and does not connect in the
      // background; try again shortly.
      if (Clock::now() >= deadline) {
        return Status::DeadlineExceeded("the daemon's socket " + path +
                                        " did not accept a connection within " +
                                        SecondsText(timeout_seconds) + " (backlog full)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR) {
      return Status::Unavailable("no daemon is listening on " + path + " (" + ErrnoText(e) + ")");
    }
    if (e == EACCES || e == EPERM) {
      return Status::PermissionDenied("the daemon's socket " + path +
                                      " refuses you (permission denied): join group vidx, or "
                                      "run as the vidx user");
    }
    return Status::IoError("cannot connect to " + path + ": " + ErrnoText(e));
  }
}

StatusOr<HttpResponse> CallApi(const std::string& socket_path, const std::string& method,
                               const std::string& target, const std::string& body,
                               double timeout_seconds) {
  const auto bad_byte = [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c >= 0x7f;
  };
  if (method.empty() || std::any_of(method.begin(), method.end(), bad_byte) || target.empty() ||
      target.front() != '/' || std::any_of(target.begin(), target.end(), bad_byte)) {
    return Status::InvalidArgument("invalid API request '" + method + " " + target + "' for " +
                                   socket_path +
                                   ": the target must be a percent-encoded absolute path");
  }
  const Clock::time_point deadline = DeadlineAfter(timeout_seconds);
  auto connected = ConnectUnixSocket(socket_path, timeout_seconds);
  if (!connected.ok()) return connected.status();
  const FdHolder fd = std::move(connected).value();
  const auto timed_out = [&] {
    return Status::DeadlineExceeded("no complete answer from the daemon on " + socket_path +
                                    " within " + SecondsText(timeout_seconds));
  };

  std::string request = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
                        "User-Agent: vidx\r\nAccept: application/json\r\n";
  if (!body.empty()) request += "Content-Type: application/json\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  request += body;

  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) {
      const int r = PollUntil(fd.get(), POLLOUT, deadline);
      if (r == 0) return timed_out();
      if (r < 0)
        return Status::IoError("waiting to send to " + socket_path + ": " + ErrnoText(errno));
      continue;
    }
    // The server may answer early (413, 431) and close: read that answer below.
    if (e == EPIPE || e == ECONNRESET) break;
    return Status::IoError("cannot send the request to " + socket_path + ": " + ErrnoText(e));
  }

  std::string raw;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n > 0) {
      raw.append(buffer, static_cast<size_t>(n));
      if (raw.size() > kMaxResponseBytes) {
        return Status::Corruption("the response from " + socket_path + " is larger than 1 GiB");
      }
      continue;
    }
    if (n == 0) break;
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) {
      const int r = PollUntil(fd.get(), POLLIN, deadline);
      if (r == 0) return timed_out();
      if (r < 0) {
        return Status::IoError("waiting for the answer from " + socket_path + ": " +
                               ErrnoText(errno));
      }
      continue;
    }
    // A server that closes with our unsent bytes still queued resets the connection after
    // its answer: what arrived before the reset is the answer.
    if (e == ECONNRESET) break;
    return Status::IoError("cannot read the answer from " + socket_path + ": " + ErrnoText(e));
  }
  if (raw.empty()) {
    return Status::Unavailable("the daemon on " + socket_path +
                               " closed the connection without answering");
  }
  auto response = ParseHttpResponse(raw);
  if (!response.ok()) {
    return response.status().WithContext("malformed answer from the daemon on " + socket_path);
  }
  return response;
}

}  // namespace vidx
