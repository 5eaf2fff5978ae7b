#include "web/web_token.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "common/fd_holder.h"

namespace vidx {

namespace {

std::string ErrnoText(int e) { return std::error_code(e, std::generic_category()).message(); }

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IoError("cannot write " + path + ": " + ErrnoText(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  FdHolder fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) {
    return Status::IoError("cannot fsync the directory " + dir + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

StatusOr<std::string> LoadOrCreateWebToken(const std::string& state_dir) {
  const std::string path = (std::filesystem::path(state_dir) / kWebTokenFile).string();
  FdHolder fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    if (errno == EEXIST) return ReadWebToken(path);
    return Status::IoError("cannot create the web token " + path + ": " + ErrnoText(errno));
  }
  unsigned char random[32];
  size_t got = 0;
  while (got < sizeof random) {
    const ssize_t n = ::getrandom(random + got, sizeof random - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::unlink(path.c_str());
      return Status::IoError("getrandom failed for the web token " + path + ": " +
                             ErrnoText(errno));
    }
    got += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : random) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  Status s = WriteAll(fd.get(), token + "\n", path);
  if (s.ok() && ::fsync(fd.get()) != 0) {
    s = Status::IoError("cannot fsync the web token " + path + ": " + ErrnoText(errno));
  }
  if (!s.ok()) {
    ::unlink(path.c_str());  // a half-written token would be refused at every later start
    return s;
  }
  fd.reset();
  VIDX_RETURN_IF_ERROR(SyncDirectoryOf(path));
  return token;
}

StatusOr<std::string> ReadWebToken(const std::string& path) {
  FdHolder fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    const int e = errno;
    if (e == ENOENT) return Status::NotFound("the web token " + path + " does not exist");
    if (e == EACCES || e == EPERM) {
      return Status::PermissionDenied("the web token " + path +
                                      " is not readable by this user (run as the daemon's "
                                      "user, e.g. sudo -u vidx)");
    }
    if (e == ELOOP) {
      return Status::FailedPrecondition("the web token " + path +
                                        " is a symbolic link; refusing to use it");
    }
    return Status::IoError("cannot open the web token " + path + ": " + ErrnoText(e));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return Status::IoError("cannot stat the web token " + path + ": " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::FailedPrecondition("the web token " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::FailedPrecondition("the web token " + path + " is open to other users (mode " +
                                      mode + "); refusing to use it (fix it with: chmod 600 " +
                                      path + ")");
  }
  char buf[80];
  ssize_t n = 0;
  do {
    n = ::read(fd.get(), buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Status::IoError("cannot read the web token " + path + ": " + ErrnoText(errno));
  std::string text(buf, static_cast<size_t>(n));
  if (!text.empty() && text.back() == '\n') text.pop_back();
  bool hex = text.size() == 64;
  for (char c : text) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!hex) {
    return Status::Corruption("the web token " + path +
                              " is not 64 lowercase hex digits (delete it and restart the "
                              "daemon to make a new one)");
  }
  return text;
}

bool TokensEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  // The compiler may not turn the loop into an early exit: `diff` is only read here.
  return diff == 0;
}

std::optional<std::string> CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    const std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(pair.substr(0, eq)) != name) continue;
    std::string value = Trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

std::optional<std::string> BearerToken(std::string_view header) {
  const std::string h = Trim(header);
  if (h.size() < 7) return std::nullopt;
  std::string scheme = h.substr(0, 6);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer" || (h[6] != ' ' && h[6] != '\t')) return std::nullopt;
  std::string token = Trim(std::string_view(h).substr(7));
  if (token.empty()) return std::nullopt;
  return token;
}

Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  FdHolder fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) return Status::IoError("cannot create " + tmp + ": " + ErrnoText(errno));
  VIDX_RETURN_IF_ERROR(WriteAll(fd.get(), contents, tmp));
  if (::fsync(fd.get()) != 0) {
    return Status::IoError("cannot fsync " + tmp + ": " + ErrnoText(errno));
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("cannot rename " + tmp + " to " + path + ": " + ErrnoText(errno));
  }
  return SyncDirectoryOf(path);
}

}  // namespace vidx
