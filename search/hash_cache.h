// RocksHashCache: the checkpoint-hash cache of docs/architecture.md §4, kept in the catalog
// database (state_dir/catalog, RocksDB). Key "ckpt-hash/<absolute path>", value "v1 <size>
// <mtime_ns> <inode> <device> <sha256>" (docs/storage.md).
//
// A thin owner of a Catalog (which implements HashCache itself): for callers that need only
// the cache (`vidx model verify`). Code that holds a Catalog should pass it as the HashCache
// instead of opening the database a second time.
//
// Open() takes the database's lock; when another process (the daemon) holds it, it opens
// the database read-only instead: lookups work, Store() then does nothing.
//
// Thread-safety: Lookup/Store may be called concurrently (RocksDB is thread-safe).
#ifndef VIDX_SEARCH_HASH_CACHE_H_
#define VIDX_SEARCH_HASH_CACHE_H_

#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "indexer/model/checkpoint_hash.h"
#include "search/catalog.h"

namespace vidx {

class RocksHashCache : public HashCache {
 public:
  // Opens (creating if needed) `state_dir`/catalog. Errors name the directory.
  static StatusOr<std::unique_ptr<RocksHashCache>> Open(const std::string& state_dir);
  ~RocksHashCache() override;

  std::optional<std::string> Lookup(const FileIdentity& file) override;
  Status Store(const FileIdentity& file, const std::string& sha256) override;
  bool read_only() const { return catalog_->read_only(); }
  Catalog* catalog() { return catalog_.get(); }

 private:
  explicit RocksHashCache(std::unique_ptr<Catalog> catalog);
  std::unique_ptr<Catalog> catalog_;
};

}  // namespace vidx

#endif  // VIDX_SEARCH_HASH_CACHE_H_
