#include "cli/core_exec.h"

#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#ifndef VIDX_CORE_RELPATH
#define VIDX_CORE_RELPATH ""
#endif

namespace vidx {
namespace {

constexpr const char kCoreName[] = "vidx-core";

std::string ExecutableDir() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return std::string();
  const std::string exe(buf, static_cast<size_t>(n));
  const size_t slash = exe.rfind('/');
  return slash == std::string::npos ? std::string() : exe.substr(0, slash);
}

}  // namespace

std::vector<std::string> CoreCandidates() {
  std::vector<std::string> paths;
  const std::string dir = ExecutableDir();
  if (dir.empty()) return paths;
  paths.push_back(dir + "/" + kCoreName);
  const std::string rel = VIDX_CORE_RELPATH;
  if (!rel.empty()) paths.push_back(dir + "/" + rel);
  return paths;
}

Status ExecCore(char** argv) {
  const std::vector<std::string> candidates = CoreCandidates();
  std::string looked;
  for (const std::string& path : candidates) {
    if (::access(path.c_str(), X_OK) != 0) {
      looked += (looked.empty() ? "" : ", ") + path;
      continue;
    }
    ::execv(path.c_str(), argv);
    const int e = errno;
    return Status::IoError("cannot execute " + path + ": " +
                           std::error_code(e, std::generic_category()).message());
  }
  return Status::NotFound("the full vidx binary (vidx-core) is missing: none at " +
                          (looked.empty() ? std::string("/proc/self/exe's directory") : looked) +
                          "; reinstall vidx");
}

}  // namespace vidx
