// ThumbCache: JPEG files on disk under a size cap, least recently used evicted first.
//
// Layout (docs/web.md, "Thumbnails"): an entry's key is a 64-hex-digit digest; its file is
// `<dir>/<key[0:2]>/<key[2:4]>/<key>.jpg`. A file is written to a temporary name in the same
// folder (`.<key>.tmp.<pid>.<n>`) and renamed into place, so a reader, or a crash, never sees a
// half-written entry under its real name; Open removes temporaries a crash left behind. A file
// whose bytes do not start with the JPEG SOI marker and end with EOI (cut by a power loss
// before the data reached the disk) is treated as absent and removed.
//
// Size: the sum of the entries' byte sizes (not disk blocks), scanned at Open and kept up to
// date; above `max_bytes` the least recently used entries are deleted. "Used" is a write or a
// hit; a hit also sets the file's mtime to now, so the order survives a restart (Open sorts by
// mtime). max_bytes 0 stores nothing.
//
// One ThumbCache per folder: entries written by another process are found on lookup but are
// not counted until they are.
//
// Thread-safety: all methods may be called from any thread at once. Two Inserts of one key
// both write their own temporary file; the later rename wins and the entry is counted once.
#ifndef VIDX_THUMBS_THUMB_CACHE_H_
#define VIDX_THUMBS_THUMB_CACHE_H_

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/status.h"

namespace vidx {

struct ThumbCacheStats {
  int64_t bytes = 0;  // sum of the entries' sizes
  int64_t files = 0;
  int64_t evictions = 0;            // entries deleted to stay under the cap (since Open)
  int64_t temporaries_removed = 0;  // left-over temporary files deleted by Open
};

class ThumbCache {
 public:
  // Creates `dir` (mode 0700, parents too) when missing and scans it. Fails with
  // kInvalidArgument (empty dir, negative max_bytes), kIoError / kPermissionDenied when the
  // folder cannot be made, read or written.
  static StatusOr<std::unique_ptr<ThumbCache>> Open(const std::string& dir, int64_t max_bytes);

  ThumbCache(const ThumbCache&) = delete;
  ThumbCache& operator=(const ThumbCache&) = delete;

  // The entry's bytes, or nullopt when there is none (or it was damaged, and is now deleted).
  // A hit makes the entry the most recently used. REQUIRES: IsKey(key).
  std::optional<std::string> Lookup(const std::string& key);

  // Stores `bytes` under `key`, then evicts down to the cap (which may evict this entry when it
  // alone is larger). Fails with kIoError when the file cannot be written; the cache is then
  // unchanged. REQUIRES: IsKey(key).
  Status Insert(const std::string& key, const std::string& bytes);

  ThumbCacheStats stats() const;
  const std::string& dir() const { return dir_; }
  // Where `key` is (or would be) stored.
  std::string PathFor(const std::string& key) const;

  // True for 64 lowercase hex digits.
  static bool IsKey(const std::string& key);

 private:
  struct Entry {
    int64_t size = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recent)
  };

  ThumbCache(std::string dir, int64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
  Status Scan();
  // REQUIRES: mu_ held. Counts `key` at `size` bytes as the most recently used entry.
  void TouchLocked(const std::string& key, int64_t size);
  void ForgetLocked(const std::string& key);
  void EvictLocked();

  const std::string dir_;
  const int64_t max_bytes_;
  std::atomic<uint64_t> temp_counter_{0};

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;
  int64_t bytes_ = 0;
  int64_t evictions_ = 0;
  int64_t temporaries_removed_ = 0;
};

}  // namespace vidx

#endif  // VIDX_THUMBS_THUMB_CACHE_H_
