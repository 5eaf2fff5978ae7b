#include "indexer/pipeline/file_scan.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <system_error>

#include "indexer/model/sha256.h"

namespace vidx {

namespace fs = std::filesystem;

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool HasExtension(const fs::path& p, const std::set<std::string>& extensions) {
  std::string ext = p.extension().string();
  if (ext.size() < 2) return false;
  return extensions.count(Lower(ext.substr(1))) > 0;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

bool HasVideoExtension(const std::string& path, const std::vector<std::string>& extensions) {
  std::set<std::string> exts;
  for (const std::string& e : extensions) exts.insert(Lower(e));
  return HasExtension(fs::path(path), exts);
}

bool PathIsUnder(const std::string& path, const std::string& root) {
  if (root.empty()) return false;
  if (path == root) return true;
  std::string prefix = root.back() == '/' ? root : root + "/";
  return path.compare(0, prefix.size(), prefix) == 0;
}

bool ResolvesUnder(const std::string& path, const std::vector<std::string>& roots) {
  std::error_code ec;
  const fs::path target = fs::canonical(path, ec);
  if (ec) return false;
  for (const std::string& root : roots) {
    const fs::path r = fs::canonical(root, ec);
    if (!ec && PathIsUnder(target.string(), r.string())) return true;
  }
  return false;
}

StatusOr<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths,
                                               const std::vector<std::string>& extensions) {
  std::set<std::string> exts;
  for (const std::string& e : extensions) exts.insert(Lower(e));
  std::set<std::string> found;
  for (const std::string& given : paths) {
    std::error_code ec;
    fs::path abs = fs::absolute(given, ec).lexically_normal();
    if (ec || !fs::exists(abs, ec)) {
      return Status::InvalidArgument(given + " does not exist");
    }
    if (fs::is_regular_file(abs, ec)) {
      found.insert(abs.string());
      continue;
    }
    if (!fs::is_directory(abs, ec)) {
      return Status::InvalidArgument(given + " is neither a regular file nor a directory");
    }
    fs::recursive_directory_iterator it(abs, fs::directory_options::skip_permission_denied, ec);
    if (ec) return Status::IoError(given + ": cannot read the directory: " + ec.message());
    for (fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
      if (ec) return Status::IoError(given + ": cannot read the directory: " + ec.message());
      std::error_code fec;
      if (!it->is_regular_file(fec) || !HasExtension(it->path(), exts)) continue;
      if (it->is_symlink(fec) && !ResolvesUnder(it->path().string(), {abs.string()})) continue;
      found.insert(it->path().lexically_normal().string());
    }
  }
  return std::vector<std::string>(found.begin(), found.end());
}

StatusOr<std::string> ContentHash(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    const int err = errno;
    const std::string message =
        path + " cannot be opened for its content hash: " + std::strerror(err);
    // Only a missing file is kNotFound; permission and other failures are read errors.
    return err == ENOENT ? Status::NotFound(message) : Status::IoError(message);
  }
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return Status::IoError(path + ": cannot read its size: " + ec.message());
  constexpr uint64_t kChunk = 1 << 20;
  Sha256 h;
  uint8_t size_le[8];
  for (int i = 0; i < 8; ++i) size_le[i] = static_cast<uint8_t>(size >> (8 * i));
  h.Update(size_le, sizeof size_le);
  const uint64_t middle = size / 2 > kChunk / 2 ? size / 2 - kChunk / 2 : 0;
  const uint64_t last = size > kChunk ? size - kChunk : 0;
  std::vector<uint8_t> buf(kChunk);
  for (uint64_t offset : {uint64_t{0}, middle, last}) {
    if (std::fseek(f.get(), static_cast<long>(offset), SEEK_SET) != 0) {
      return Status::IoError(path + ": cannot seek while hashing its content");
    }
    const size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    if (std::ferror(f.get())) return Status::IoError(path + ": read error while hashing");
    h.Update(buf.data(), n);
  }
  return h.HexDigest();
}

}  // namespace vidx
