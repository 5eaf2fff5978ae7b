#include "search/hash_cache.h"

namespace vidx {

RocksHashCache::RocksHashCache(std::unique_ptr<Catalog> catalog) : catalog_(std::move(catalog)) {}

RocksHashCache::~RocksHashCache() = default;

StatusOr<std::unique_ptr<RocksHashCache>> RocksHashCache::Open(const std::string& state_dir) {
  CatalogOptions options;
  options.read_only_if_locked = true;
  StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(state_dir, options);
  if (!catalog.ok()) return catalog.status();
  return std::unique_ptr<RocksHashCache>(new RocksHashCache(std::move(catalog).value()));
}

std::optional<std::string> RocksHashCache::Lookup(const FileIdentity& file) {
  return catalog_->Lookup(file);
}

Status RocksHashCache::Store(const FileIdentity& file, const std::string& sha256) {
  return catalog_->Store(file, sha256);
}

}  // namespace vidx
