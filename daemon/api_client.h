// Client side of the daemon's local API: one HTTP/1.1 request over the unix socket.
//
// Also the small socket helpers the server shares (FdHolder, ConnectUnixSocket).
// Thread-safety: every function is thread-safe; an FdHolder is used by one thread at a time.
#ifndef VIDX_DAEMON_API_CLIENT_H_
#define VIDX_DAEMON_API_CLIENT_H_

#include <string>

#include "common/status.h"
#include "daemon/http_message.h"

namespace vidx {

// Owns one file descriptor (or none: -1) and closes it on destruction. Move-only.
class FdHolder {
 public:
  FdHolder() = default;
  explicit FdHolder(int fd) : fd_(fd) {}
  ~FdHolder() { reset(); }
  FdHolder(FdHolder&& other) noexcept : fd_(other.release()) {}
  FdHolder& operator=(FdHolder&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  FdHolder(const FdHolder&) = delete;
  FdHolder& operator=(const FdHolder&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);  // closes the current descriptor, if any

 private:
  int fd_ = -1;
};

// Connects a non-blocking, close-on-exec stream socket to the unix socket at `path`, retrying
// for up to timeout_seconds while the listener's backlog is full.
// kInvalidArgument when the path does not fit in sockaddr_un; kUnavailable when nothing listens
// (no such file, ECONNREFUSED); kPermissionDenied when the socket (or its directory) refuses
// this user (EACCES, EPERM): a daemon may be running, the caller must not act as if none were;
// kDeadlineExceeded when the backlog stays full; kIoError for other failures. Messages name
// the path.
StatusOr<FdHolder> ConnectUnixSocket(const std::string& path, double timeout_seconds);

// One request to the daemon: connect, send "<method> <target> HTTP/1.1" with the body (as
// application/json, Content-Length framed, Connection: close), read the whole response, all
// within timeout_seconds. Returns the response whatever its status (a 404 is a value, not an
// error). kUnavailable when nothing listens (socket file missing, ECONNREFUSED, ENOENT);
// kPermissionDenied as ConnectUnixSocket; kDeadlineExceeded on timeout; kCorruption for a malformed
// response (or one over 1 GiB); other socket errors kIoError; kInvalidArgument when `target` is not
// an absolute path of visible ASCII (percent-encode spaces and non-ASCII) or `method` is empty or
// has such bytes. Messages name the socket path. If the server answers before the whole body is
// sent (413) and closes, that answer is returned.
StatusOr<HttpResponse> CallApi(const std::string& socket_path, const std::string& method,
                               const std::string& target, const std::string& body,
                               double timeout_seconds = 30);

}  // namespace vidx

#endif  // VIDX_DAEMON_API_CLIENT_H_
