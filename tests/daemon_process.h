// Test support: a `vidx daemon` child process on a test's own configuration, and calls to
// its socket. The process is killed (SIGKILL) if the test forgets to stop it.
#ifndef VIDX_TESTS_DAEMON_PROCESS_H_
#define VIDX_TESTS_DAEMON_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/http_message.h"

namespace vidx::testing {

class DaemonProcess {
 public:
  // `extra_env`: NAME=VALUE pairs added to the environment. stderr goes to `log_path`.
  DaemonProcess(std::string binary, std::string config, std::string socket, std::string log_path,
                std::map<std::string, std::string> extra_env = {});
  ~DaemonProcess();

  bool Start();
  pid_t pid() const { return pid_; }
  bool running();
  void Signal(int sig);
  // SIGTERM and wait; the exit status (-1 when it did not exit normally or timed out).
  int Stop(double timeout_seconds = 60);
  void Kill();  // SIGKILL and reap
  // Waits for an exit, the exit status or -1 when it did not exit normally / in time.
  int Wait(double timeout_seconds);

  // One API call; status 0 when nothing answered.
  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "") const;
  // GET /v1/status as JSON (null when not answered).
  nlohmann::json Status() const;
  // Polls Status() until `done(status)` or the timeout; the last status.
  nlohmann::json WaitForStatus(const std::function<bool(const nlohmann::json&)>& done,
                               double timeout_seconds) const;
  // Idle, nothing queued, nothing building, and `indexed` + `failed` files known.
  bool WaitIdle(int64_t indexed, int64_t failed, double timeout_seconds) const;
  std::string Log() const;  // what it wrote to stderr so far

 private:
  const std::string binary_, config_, socket_, log_path_;
  const std::map<std::string, std::string> extra_env_;
  pid_t pid_ = -1;
};

}  // namespace vidx::testing

#endif  // VIDX_TESTS_DAEMON_PROCESS_H_
