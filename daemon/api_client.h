// Client side of the daemon's local API: one HTTP/1.1 request over the unix socket.
//
// Also the socket helper the server shares (ConnectUnixSocket).
// Thread-safety: every function is thread-safe; an FdHolder is used by one thread at a time.
#ifndef VIDX_DAEMON_API_CLIENT_H_
#define VIDX_DAEMON_API_CLIENT_H_

#include <string>

#include "common/fd_holder.h"
#include "common/status.h"
#include "daemon/http_message.h"

namespace vidx {

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
