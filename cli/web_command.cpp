// vidx web: the login link of the running daemon's web UI, from <state_dir>/web.address and
// <state_dir>/web.token (docs/web.md). Opening it in a browser sets the token cookie.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli/client_commands.h"
#include "common/fd_holder.h"
#include "config/listen_address.h"
#include "web/web_token.h"

namespace vidx {
namespace {

// Whether something accepts TCP connections at `a` within a second.
bool Answers(const ListenAddress& a) {
  FdHolder fd(::socket(a.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return false;
  sockaddr_storage storage;
  const socklen_t length = ToSockaddr(a, &storage);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) == 0) return true;
  if (errno != EINPROGRESS) return false;
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, 1000) != 1) return false;
  int error = 0;
  socklen_t error_length = sizeof error;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &error_length);
  return error == 0;
}

}  // namespace

int RunWeb(const Config& config) {
  if (config.web.listen.empty()) {
    return ReportError(Status::FailedPrecondition(
        config.source.Where("web.listen") +
        "web.listen is empty, so the daemon runs no web listener; set it (e.g. "
        "127.0.0.1:8421) and restart the daemon"));
  }
  const std::filesystem::path state(config.state_dir);
  const std::string address_path = (state / kWebAddressFile).string();
  std::ifstream in(address_path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return ReportError(Status::Unavailable(
        "no daemon web listener is up (" + address_path +
        " does not exist or cannot be read); start it with `vidx daemon` or `systemctl start "
        "vidx`"));
  }
  StatusOr<ListenAddress> address = ParseListenAddress(line);
  if (!address.ok()) {
    return ReportError(Status::Corruption(address_path + ": " + address.status().message()));
  }
  // A listener on every interface is reached here through loopback.
  if (address->unspecified) address->host = address->ipv6 ? "::1" : "127.0.0.1";
  if (!Answers(*address)) {
    return ReportError(Status::Unavailable("nothing answers on " + address->ToString() + " that " +
                                           address_path + " names; is the daemon running?"));
  }
  StatusOr<std::string> token = ReadWebToken((state / kWebTokenFile).string());
  if (!token.ok()) return ReportError(token.status());
  std::printf("http://%s/login?token=%s\n", address->ToString().c_str(), token->c_str());
  return kExitOk;
}

}  // namespace vidx
