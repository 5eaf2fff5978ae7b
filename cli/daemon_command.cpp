// vidx daemon: the service in the foreground. SIGTERM/SIGINT stop it cleanly, SIGHUP
// reloads the configuration. The handlers only write the signal number to a pipe (async-
// signal-safe, whichever thread the kernel picks: LibTorch and OpenMP start threads of
// their own); one thread reads the pipe and calls the daemon.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "daemon/api_client.h"
#include "daemon/daemon.h"

namespace vidx {
namespace {

int g_signal_pipe = -1;  // write end; only the handler reads this variable

void OnSignal(int sig) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(sig);
  (void)!::write(g_signal_pipe, &byte, 1);
  errno = saved;
}

}  // namespace

int RunDaemon(const Config& config, const std::string& config_path) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return ReportError(Status::IoError("cannot create the signal pipe"));
  }
  FdHolder read_end(fds[0]), write_end(fds[1]);
  g_signal_pipe = write_end.get();
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  StatusOr<std::unique_ptr<Daemon>> daemon = Daemon::Start(config_path, config);
  if (!daemon.ok()) return ReportError(daemon.status());
  std::atomic<bool> done{false};
  Daemon* d = daemon->get();
  std::thread signals([&] {
    while (!done) {
      pollfd p{read_end.get(), POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      unsigned char sig = 0;
      while (::read(read_end.get(), &sig, 1) == 1) {
        if (sig == SIGHUP) {
          spdlog::info("SIGHUP: reloading the configuration");
          d->RequestReload();
        } else {
          d->RequestStop();
        }
      }
    }
  });
  Status s = d->Run();
  done = true;
  signals.join();
  daemon->reset();
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::signal(sig, SIG_DFL);
  g_signal_pipe = -1;
  if (!s.ok()) return ReportError(s);
  return kExitOk;
}

}  // namespace vidx
