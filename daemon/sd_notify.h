// SystemdNotifier: the sd_notify(3) protocol without libsystemd.
//
// Under Type=notify, systemd passes $NOTIFY_SOCKET: an AF_UNIX datagram socket given as a
// filesystem path ("/run/systemd/notify") or, with a leading '@', a name in the abstract
// namespace. Each Notify() sends one datagram holding newline-separated assignments such as
// "READY=1", "STATUS=indexing 3/10", "RELOADING=1", "STOPPING=1", "WATCHDOG=1".
// With WatchdogSec= set, systemd also passes WATCHDOG_USEC (and WATCHDOG_PID): the service
// must send "WATCHDOG=1" more often than that or it is killed and restarted.
//
// The environment is read once, by FromEnvironment(); nothing is unset (children inherit it).
//
// Thread-safety: a value. Notify() opens a socket per call and keeps no state, so concurrent
// calls from several threads are safe. systemd accepts the datagrams from any thread of the
// main process (NotifyAccess=main).
#ifndef VIDX_DAEMON_SD_NOTIFY_H_
#define VIDX_DAEMON_SD_NOTIFY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace vidx {

class SystemdNotifier {
 public:
  // Disabled (every Notify() is an ok no-op).
  SystemdNotifier() = default;

  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. Disabled when NOTIFY_SOCKET is unset
  // or empty, or is neither an absolute path nor an '@' abstract name (logged at warn).
  static SystemdNotifier FromEnvironment();

  bool enabled() const { return !socket_.empty(); }
  // The socket address as given in NOTIFY_SOCKET ("" when disabled).
  const std::string& socket_address() const { return socket_; }

  // Sends `state` as one datagram. OK without sending when disabled. kInvalidArgument when the
  // address does not fit a sockaddr_un; kIoError (with errno's text) when sending fails, e.g.
  // nobody listens on the socket.
  Status Notify(const std::string& state) const;

  // The interval at which to send "WATCHDOG=1": half of WATCHDOG_USEC, in seconds. nullopt
  // when the notifier is disabled, when WATCHDOG_USEC is unset, zero or malformed, or when
  // WATCHDOG_PID is set and is not this process's pid (the watchdog is meant for another
  // process, e.g. a parent that forked us).
  std::optional<double> WatchdogIntervalSeconds() const;

 private:
  std::string socket_;
  std::optional<uint64_t> watchdog_usec_;
};

}  // namespace vidx

#endif  // VIDX_DAEMON_SD_NOTIFY_H_
