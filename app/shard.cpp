#include "app/shard.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "indexer/pipeline/file_scan.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

constexpr char kShardMagic[] = "vidx-shard";
constexpr int kShardFormat = 1;

bool ParseInt(const std::string& s, int max, int* out) {
  if (s.empty() || s.size() > 9) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

Status FsyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::IoError("cannot open " + dir + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::IoError("cannot fsync " + dir + ": " + std::strerror(err));
  return Status::Ok();
}

}  // namespace

StatusOr<ShardSpec> ParseShardSpec(const std::string& text) {
  const size_t slash = text.find('/');
  ShardSpec spec;
  if (slash == std::string::npos || !ParseInt(text.substr(0, slash), 100000, &spec.index) ||
      !ParseInt(text.substr(slash + 1), 100000, &spec.count) || spec.count < 1 ||
      spec.index >= spec.count) {
    return Status::InvalidArgument("shard '" + text +
                                   "' is not I/N with 0 <= I < N (for example 0/4)");
  }
  return spec;
}

int ShardOfRelativePath(const std::string& relative_path, int count) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  for (unsigned char c : relative_path) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<int>(h % static_cast<uint64_t>(count));
}

std::vector<std::string> FilesOfShard(const std::vector<std::string>& files,
                                      const std::vector<std::string>& roots,
                                      const ShardSpec& spec) {
  std::vector<std::string> kept;
  for (const std::string& file : files) {
    const std::string* root = nullptr;
    for (const std::string& r : roots) {
      if (PathIsUnder(file, r) && (root == nullptr || r.size() > root->size())) root = &r;
    }
    std::string relative = fs::path(file).filename().string();
    if (root != nullptr && *root != file) {
      relative = fs::path(file).lexically_relative(*root).string();
    }
    if (ShardOfRelativePath(relative, spec.count) == spec.index) kept.push_back(file);
  }
  return kept;
}

std::string ShardFilePath(const std::string& state_dir) {
  return (fs::path(state_dir) / "shard").string();
}

Status WriteShardFile(const std::string& state_dir, const ShardInfo& info) {
  std::ostringstream out;
  out << kShardMagic << " " << kShardFormat << "\n"
      << "shard " << info.spec.index << "\n"
      << "count " << info.spec.count << "\n"
      << "fingerprint " << info.fingerprint << "\n"
      << "dimension " << info.dimension << "\n";
  for (const std::string& root : info.roots) out << "root " << root << "\n";
  const std::string text = out.str();
  const std::string path = ShardFilePath(state_dir);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot create " + tmp + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = ok ? errno : err;
    ::unlink(tmp.c_str());
    return Status::IoError("cannot write " + path + ": " + std::strerror(e));
  }
  return FsyncDir(state_dir);
}

Status RemoveShardFile(const std::string& state_dir) {
  const std::string path = ShardFilePath(state_dir);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::IoError("cannot remove " + path + ": " + std::strerror(errno));
  }
  return FsyncDir(state_dir);
}

StatusOr<ShardInfo> ReadShardFile(const std::string& state_dir) {
  const std::string path = ShardFilePath(state_dir);
  std::ifstream in(path);
  if (!in) {
    if (!fs::exists(path)) {
      return Status::NotFound(state_dir + " is not a finished shard: it has no shard file (run " +
                              "`vidx index --shard I/N --state-dir " + state_dir +
                              "` to completion)");
    }
    return Status::IoError("cannot read " + path);
  }
  ShardInfo info;
  std::string line;
  int number = 0;
  bool magic = false, have_shard = false, have_count = false;
  while (std::getline(in, line)) {
    ++number;
    const size_t space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    int n = 0;
    bool ok = true;
    if (number == 1) {
      ok = key == kShardMagic && ParseInt(value, 1000, &n) && n == kShardFormat;
      magic = ok;
    } else if (key == "shard") {
      ok = ParseInt(value, 100000, &info.spec.index);
      have_shard = ok;
    } else if (key == "count") {
      ok = ParseInt(value, 100000, &info.spec.count) && info.spec.count >= 1;
      have_count = ok;
    } else if (key == "fingerprint") {
      info.fingerprint = value;
    } else if (key == "dimension") {
      ok = ParseInt(value, 1 << 20, &n);
      info.dimension = static_cast<uint32_t>(n);
    } else if (key == "root") {
      info.roots.push_back(value);
    } else {
      ok = false;
    }
    if (!ok) {
      return Status::Corruption(path + " line " + std::to_string(number) + " ('" + line +
                                "') is not a shard-file line");
    }
  }
  if (!magic || !have_shard || !have_count || info.fingerprint.empty() ||
      info.spec.index >= info.spec.count) {
    return Status::Corruption(path + " is incomplete: it needs shard, count and fingerprint");
  }
  return info;
}

}  // namespace vidx
