#include "daemon/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <spdlog/spdlog.h>

namespace vidx {

namespace {

// A decimal number with nothing else around it; nullopt otherwise (strtoull accepts
// leading spaces and signs, which the protocol does not).
std::optional<uint64_t> ParseUnsigned(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<uint64_t>(value);
}

struct FdCloser {
  void operator()(const int* fd) const {
    ::close(*fd);
    delete fd;
  }
};
using UniqueFd = std::unique_ptr<int, FdCloser>;

}  // namespace

SystemdNotifier SystemdNotifier::FromEnvironment() {
  SystemdNotifier notifier;
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return notifier;
  if (socket[0] != '/' && socket[0] != '@') {
    if (auto log = spdlog::get("vidx")) {
      log->warn("NOTIFY_SOCKET={} is not a path or an abstract socket name; not notifying systemd",
                socket);
    }
    return notifier;
  }
  notifier.socket_ = socket;

  std::optional<uint64_t> usec = ParseUnsigned(std::getenv("WATCHDOG_USEC"));
  if (usec && *usec > 0) {
    const char* pid_text = std::getenv("WATCHDOG_PID");
    if (pid_text == nullptr || *pid_text == '\0') {
      notifier.watchdog_usec_ = usec;
    } else {
      std::optional<uint64_t> pid = ParseUnsigned(pid_text);
      if (pid && *pid == static_cast<uint64_t>(::getpid())) notifier.watchdog_usec_ = usec;
    }
  }
  return notifier;
}

Status SystemdNotifier::Notify(const std::string& state) const {
  if (!enabled()) return Status::Ok();

  struct sockaddr_un addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  socklen_t addr_len;
  if (socket_[0] == '@') {
    // Abstract namespace: a leading NUL, then the name; the length counts exactly the name.
    const size_t name_len = socket_.size() - 1;
    if (name_len + 1 > sizeof(addr.sun_path)) {
      return Status::InvalidArgument("NOTIFY_SOCKET " + socket_ + " is too long");
    }
    std::memcpy(addr.sun_path + 1, socket_.data() + 1, name_len);
    addr_len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + name_len);
  } else {
    if (socket_.size() + 1 > sizeof(addr.sun_path)) {
      return Status::InvalidArgument("NOTIFY_SOCKET " + socket_ + " is too long");
    }
    std::memcpy(addr.sun_path, socket_.data(), socket_.size());
    addr_len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + socket_.size() + 1);
  }

  int raw = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (raw < 0) {
    return Status::IoError(std::string("sd_notify: socket() failed: ") + std::strerror(errno));
  }
  UniqueFd fd(new int(raw));
  ssize_t sent = ::sendto(*fd, state.data(), state.size(), MSG_NOSIGNAL,
                          reinterpret_cast<const struct sockaddr*>(&addr), addr_len);
  if (sent < 0) {
    return Status::IoError("sd_notify: sending to " + socket_ + " failed: " + std::strerror(errno));
  }
  if (static_cast<size_t>(sent) != state.size()) {
    return Status::IoError("sd_notify: short datagram to " + socket_);
  }
  return Status::Ok();
}

std::optional<double> SystemdNotifier::WatchdogIntervalSeconds() const {
  if (!watchdog_usec_) return std::nullopt;
  return static_cast<double>(*watchdog_usec_) / 2e6;
}

}  // namespace vidx
