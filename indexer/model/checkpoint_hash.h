// Checkpoint hashes (docs/architecture.md §4): the sha256 of a model's weight file(s), cached by
// file identity (path, size, mtime, inode) so that a restart does not re-read gigabytes.
//
// The cache itself is an interface: the catalog (search/, RocksDB) implements it, tests use
// an in-memory one. indexer/ does not know RocksDB.
#ifndef VIDX_INDEXER_MODEL_CHECKPOINT_HASH_H_
#define VIDX_INDEXER_MODEL_CHECKPOINT_HASH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace vidx {

struct FileIdentity {
  std::string path;  // absolute
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint64_t device = 0;
  bool operator==(const FileIdentity& o) const {
    return path == o.path && size == o.size && mtime_ns == o.mtime_ns && inode == o.inode &&
           device == o.device;
  }
};

// True when `a` and `b` describe the same file contents as far as stat() tells: same size,
// mtime and inode (the path may differ). How the indexer decides a file is unchanged.
inline bool SameFileState(const FileIdentity& a, const FileIdentity& b) {
  return a.size == b.size && a.mtime_ns == b.mtime_ns && a.inode == b.inode;
}

// stat()s `path`. Errors: kNotFound, kIoError.
StatusOr<FileIdentity> IdentifyFile(const std::string& path);

// Maps a file identity to the sha256 of its contents.
// Thread-safety: implementations must allow concurrent calls.
class HashCache {
 public:
  virtual ~HashCache() = default;
  // The cached hex digest for exactly this identity, or nullopt.
  virtual std::optional<std::string> Lookup(const FileIdentity& file) = 0;
  // Remembers `sha256` for `file` (replacing what was stored for that path).
  virtual Status Store(const FileIdentity& file, const std::string& sha256) = 0;
};

struct CheckpointHash {
  std::string sha256;      // of the single weight file, or of "name sha256\n" lines, sorted
  bool from_cache = true;  // false when any file was read
};

// Hashes the weight files. `cache` may be null (always read). `force` re-reads every file and
// refreshes the cache. A file that changes while being hashed is detected (identity before and
// after) and reported as kFailedPrecondition.
StatusOr<CheckpointHash> HashCheckpoint(const std::vector<std::string>& weight_files,
                                        HashCache* cache, bool force);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_CHECKPOINT_HASH_H_
