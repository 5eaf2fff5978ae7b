// The web UI's secret: <state_dir>/web.token, 64 lowercase hex digits (256 random bits from
// getrandom) and a newline, mode 0600, made at the daemon's first start and kept. A browser
// presents it as the cookie vidx_token=<hex> (set by /login), a program as
// "Authorization: Bearer <hex>". Whoever can read the file can use the web UI: the state
// directory's owner (the daemon's user) and root.
//
// Thread-safety: free functions.
#ifndef VIDX_WEB_WEB_TOKEN_H_
#define VIDX_WEB_WEB_TOKEN_H_

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vidx {

constexpr char kWebTokenFile[] = "web.token";
constexpr char kWebAddressFile[] = "web.address";
constexpr char kWebTokenCookie[] = "vidx_token";

// The token of `state_dir`, created when there is none (O_CREAT|O_EXCL, 0600, written,
// fsynced, then the directory fsynced; two daemons racing cannot both create it). Errors as
// ReadWebToken, or kIoError naming the file when it cannot be created.
StatusOr<std::string> LoadOrCreateWebToken(const std::string& state_dir);

// Reads and checks a token file. kNotFound when it does not exist; kPermissionDenied when
// this user may not read it; kFailedPrecondition when it is not a regular file or group or
// others may read or write it (with the chmod that fixes it); kCorruption when its contents
// are not 64 lowercase hex digits (one trailing newline allowed). Every message names the
// file.
StatusOr<std::string> ReadWebToken(const std::string& path);

// Compares in time independent of where the strings differ (their lengths are not secret).
bool TokensEqual(std::string_view a, std::string_view b);

// The value of cookie `name` in a Cookie header ("a=1; vidx_token=abc"), nullopt when absent.
// Surrounding double quotes are removed.
std::optional<std::string> CookieValue(std::string_view cookie_header, std::string_view name);

// The credentials of "Authorization: Bearer <token>" (scheme case-insensitive), nullopt for
// another scheme or an empty token.
std::optional<std::string> BearerToken(std::string_view authorization_header);

// Writes `contents` to `path` through "<path>.tmp" (0644, fsync, rename, directory fsync).
// kIoError naming the file.
Status WriteFileAtomically(const std::string& path, const std::string& contents);

}  // namespace vidx

#endif  // VIDX_WEB_WEB_TOKEN_H_
