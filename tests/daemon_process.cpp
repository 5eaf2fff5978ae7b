#include "tests/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "daemon/api_client.h"

extern char** environ;

namespace vidx::testing {

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

DaemonProcess::DaemonProcess(std::string binary, std::string config, std::string socket,
                             std::string log_path, std::map<std::string, std::string> extra_env)
    : binary_(std::move(binary)),
      config_(std::move(config)),
      socket_(std::move(socket)),
      log_path_(std::move(log_path)),
      extra_env_(std::move(extra_env)) {}

DaemonProcess::~DaemonProcess() { Kill(); }

bool DaemonProcess::Start() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (extra_env_.count(name) == 0) env.push_back(entry);
  }
  for (const auto& [k, v] : extra_env_) env.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = {binary_, "--config", config_, "daemon"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) pid_ = -1;
  return rc == 0;
}

bool DaemonProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void DaemonProcess::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int DaemonProcess::Wait(double timeout_seconds) {
  const double end = Now() + timeout_seconds;
  while (pid_ > 0) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (Now() > end) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

int DaemonProcess::Stop(double timeout_seconds) {
  Signal(SIGTERM);
  return Wait(timeout_seconds);
}

void DaemonProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

HttpResponse DaemonProcess::Call(const std::string& method, const std::string& target,
                                 const std::string& body) const {
  StatusOr<HttpResponse> r = CallApi(socket_, method, target, body, 60);
  if (!r.ok()) {
    HttpResponse none;
    none.status = 0;
    none.body = r.status().message();
    return none;
  }
  return *r;
}

nlohmann::json DaemonProcess::Status() const {
  HttpResponse r = Call("GET", "/v1/status");
  if (r.status != 200) return nullptr;
  return nlohmann::json::parse(r.body, nullptr, false);
}

nlohmann::json DaemonProcess::WaitForStatus(const std::function<bool(const nlohmann::json&)>& done,
                                            double timeout_seconds) const {
  const double end = Now() + timeout_seconds;
  nlohmann::json st;
  do {
    st = Status();
    if (st.is_object() && done(st)) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (Now() < end);
  return st;
}

bool DaemonProcess::WaitIdle(int64_t indexed, int64_t failed, double timeout_seconds) const {
  nlohmann::json st = WaitForStatus(
      [&](const nlohmann::json& s) {
        return s["daemon"]["phase"] == "idle" && s["daemon"]["queued"] == 0 &&
               s["generation"]["building"].is_null() && s["files"]["indexed"] == indexed &&
               s["files"]["failed"] == failed;
      },
      timeout_seconds);
  return st.is_object() && st["daemon"]["phase"] == "idle" && st["files"]["indexed"] == indexed &&
         st["generation"]["building"].is_null() && st["files"]["failed"] == failed;
}

std::string DaemonProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace vidx::testing
