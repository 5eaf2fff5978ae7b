// The daemon's logger: spdlog's "vidx" logger when the command line set one up, else spdlog's
// default (tests that use the daemon's parts without the CLI).
#ifndef VIDX_DAEMON_DAEMON_LOG_H_
#define VIDX_DAEMON_DAEMON_LOG_H_

#include <memory>

#include <spdlog/spdlog.h>

namespace vidx {

inline std::shared_ptr<spdlog::logger> DaemonLog() {
  std::shared_ptr<spdlog::logger> log = spdlog::get("vidx");
  return log ? log : spdlog::default_logger();
}

}  // namespace vidx

#endif  // VIDX_DAEMON_DAEMON_LOG_H_
