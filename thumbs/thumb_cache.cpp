#include "thumbs/thumb_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "common/fd_holder.h"

namespace vidx {

namespace {

constexpr int64_t kMaxEntryBytes = 64 << 20;  // larger files are not ours: treated as damaged

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

bool IsHex2(const char* name) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return hex(name[0]) && hex(name[1]) && name[2] == '\0';
}

bool IsTemporaryName(const std::string& name) {
  return name.size() > 1 && name[0] == '.' && name.find(".tmp.") != std::string::npos;
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return Status::Ok();
  const int err = errno;
  const std::string msg = path + ": cannot create the thumbnail folder: " + std::strerror(err);
  return err == EACCES || err == EPERM ? Status::PermissionDenied(msg) : Status::IoError(msg);
}

// mkdir -p with 0700 for every folder it makes.
Status MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos == path.size() || path[pos] == '/') {
      VIDX_RETURN_IF_ERROR(MakeDir(path.substr(0, pos)));
    }
  }
  return Status::Ok();
}

bool LooksLikeJpeg(const std::string& b) {
  return b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0xFF &&
         static_cast<unsigned char>(b[1]) == 0xD8 &&
         static_cast<unsigned char>(b[b.size() - 2]) == 0xFF &&
         static_cast<unsigned char>(b[b.size() - 1]) == 0xD9;
}

// Reads the whole file; nullopt when it cannot be opened or read, or is implausibly large.
std::optional<std::string> ReadSmallFile(const std::string& path) {
  FdHolder fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return std::nullopt;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxEntryBytes) {
    return std::nullopt;
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd.get(), &bytes[done], bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    done += static_cast<size_t>(n);
  }
  return bytes;
}

}  // namespace

bool ThumbCache::IsKey(const std::string& key) {
  if (key.size() != 64) return false;
  return std::all_of(key.begin(), key.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string ThumbCache::PathFor(const std::string& key) const {
  return dir_ + "/" + key.substr(0, 2) + "/" + key.substr(2, 2) + "/" + key + ".jpg";
}

StatusOr<std::unique_ptr<ThumbCache>> ThumbCache::Open(const std::string& dir, int64_t max_bytes) {
  if (dir.empty()) return Status::InvalidArgument("the thumbnail cache needs a folder");
  if (max_bytes < 0) {
    return Status::InvalidArgument(dir + ": the thumbnail cache size " + std::to_string(max_bytes) +
                                   " is negative");
  }
  std::string clean = dir;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  VIDX_RETURN_IF_ERROR(MakeDirs(clean));
  struct stat st;
  if (::stat(clean.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::IoError(clean + ": the thumbnail cache is not a folder");
  }
  if (::access(clean.c_str(), R_OK | W_OK | X_OK) != 0) {
    return Status::PermissionDenied(
        clean + ": the thumbnail cache folder is not writable: " + std::strerror(errno));
  }
  std::unique_ptr<ThumbCache> cache(new ThumbCache(clean, max_bytes));
  VIDX_RETURN_IF_ERROR(cache->Scan());
  return cache;
}

Status ThumbCache::Scan() {
  struct Found {
    std::string key;
    int64_t size;
    int64_t mtime_ns;
  };
  std::vector<Found> found;
  if (!DirPtr(::opendir(dir_.c_str()))) {
    return Status::IoError(dir_ + ": cannot read the thumbnail cache: " + std::strerror(errno));
  }
  // Two levels of two-hex-digit folders; temporaries are deleted wherever they are.
  std::vector<std::string> level = {dir_};
  for (int depth = 0; depth <= 2; ++depth) {
    std::vector<std::string> next;
    for (const std::string& folder : level) {
      DirPtr d(::opendir(folder.c_str()));
      if (!d) continue;
      while (struct dirent* e = ::readdir(d.get())) {
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        const std::string path = folder + "/" + name;
        if (IsTemporaryName(name)) {
          if (::unlink(path.c_str()) == 0) ++temporaries_removed_;
          continue;
        }
        if (depth < 2) {
          if (IsHex2(e->d_name)) next.push_back(path);
          continue;
        }
        if (name.size() != 68 || name.compare(64, 4, ".jpg") != 0) continue;
        const std::string key = name.substr(0, 64);
        struct stat st;
        if (!IsKey(key) || PathFor(key) != path || ::lstat(path.c_str(), &st) != 0 ||
            !S_ISREG(st.st_mode)) {
          continue;
        }
        found.push_back(
            {key, static_cast<int64_t>(st.st_size),
             static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec});
      }
    }
    level = std::move(next);
  }
  // Oldest first, so the newest ends at the front of the LRU list.
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.mtime_ns < b.mtime_ns; });
  std::lock_guard<std::mutex> lock(mu_);
  for (const Found& f : found) TouchLocked(f.key, f.size);
  EvictLocked();
  return Status::Ok();
}

void ThumbCache::TouchLocked(const std::string& key, int64_t size) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    lru_.push_front(key);
    entries_.emplace(key, Entry{size, lru_.begin()});
    bytes_ += size;
    return;
  }
  bytes_ += size - it->second.size;
  it->second.size = size;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
}

void ThumbCache::ForgetLocked(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  bytes_ -= it->second.size;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

void ThumbCache::EvictLocked() {
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    const std::string key = lru_.back();
    ::unlink(PathFor(key).c_str());  // already gone is as good
    ForgetLocked(key);
    ++evictions_;
  }
}

std::optional<std::string> ThumbCache::Lookup(const std::string& key) {
  const std::string path = PathFor(key);
  std::optional<std::string> bytes = ReadSmallFile(path);
  std::lock_guard<std::mutex> lock(mu_);
  // Files appear (rename) and vanish (eviction) only under mu_: what stat says now is the truth
  // for the counts, whatever happened between the read and the lock.
  struct stat st;
  const bool present = ::stat(path.c_str(), &st) == 0;
  if (!present) ForgetLocked(key);
  if (!bytes) return std::nullopt;
  if (!LooksLikeJpeg(*bytes)) {
    if (present) ::unlink(path.c_str());
    ForgetLocked(key);
    return std::nullopt;
  }
  if (!present) return bytes;  // evicted after it was read: still a good answer
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // mtime = now: the order after a restart
  TouchLocked(key, static_cast<int64_t>(st.st_size));
  EvictLocked();
  return bytes;
}

Status ThumbCache::Insert(const std::string& key, const std::string& bytes) {
  if (max_bytes_ == 0) return Status::Ok();
  const std::string path = PathFor(key);
  const std::string folder = path.substr(0, path.rfind('/'));
  VIDX_RETURN_IF_ERROR(MakeDir(folder.substr(0, folder.rfind('/'))));
  VIDX_RETURN_IF_ERROR(MakeDir(folder));
  const std::string tmp = folder + "/." + key + ".tmp." + std::to_string(::getpid()) + "." +
                          std::to_string(temp_counter_.fetch_add(1));
  {
    FdHolder fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
      return Status::IoError(tmp + ": cannot create a thumbnail: " + std::strerror(errno));
    }
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = n < 0 ? errno : ENOSPC;
        ::unlink(tmp.c_str());
        return Status::IoError(tmp + ": cannot write a thumbnail: " + std::strerror(err));
      }
      done += static_cast<size_t>(n);
    }
    if (::close(fd.release()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return Status::IoError(tmp + ": cannot write a thumbnail: " + std::strerror(err));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  // Renamed under mu_ so that an eviction never races with a file appearing under its name.
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IoError(path + ": cannot store a thumbnail: " + std::strerror(err));
  }
  TouchLocked(key, static_cast<int64_t>(bytes.size()));
  EvictLocked();
  return Status::Ok();
}

ThumbCacheStats ThumbCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  ThumbCacheStats s;
  s.bytes = bytes_;
  s.files = static_cast<int64_t>(entries_.size());
  s.evictions = evictions_;
  s.temporaries_removed = temporaries_removed_;
  return s;
}

}  // namespace vidx
