// Who holds the catalog's write lock. RocksDB locks `<db>/LOCK` with a POSIX record lock
// (fcntl) for as long as a writable DB is open. Catalog::Open and RepairCatalog use this to
// tell "locked by another writer" from other open failures without reading RocksDB's message.
//
// POSIX record locks belong to a process, and closing *any* descriptor of the file drops all
// of them; so a lock this process holds is never probed through the file: writable opens
// register themselves here instead (CatalogWriterRegistration).
//
// Thread-safety: all functions may be called concurrently.
#ifndef VIDX_SEARCH_CATALOG_LOCK_H_
#define VIDX_SEARCH_CATALOG_LOCK_H_

#include <string>

#include "common/status.h"

namespace vidx {

// True when `db_path` (the RocksDB directory) is open for writing by this process (a live
// CatalogWriterRegistration) or its LOCK file carries a write lock of another process
// (fcntl F_GETLK). False when neither, including when there is no LOCK file. kIoError when
// the LOCK file exists but cannot be examined.
StatusOr<bool> CatalogWriterHoldsLock(const std::string& db_path);

// Marks `db_path` as open for writing by this process while it lives. Move-free, copy-free.
class CatalogWriterRegistration {
 public:
  explicit CatalogWriterRegistration(const std::string& db_path);
  ~CatalogWriterRegistration();
  CatalogWriterRegistration(const CatalogWriterRegistration&) = delete;
  CatalogWriterRegistration& operator=(const CatalogWriterRegistration&) = delete;

 private:
  const std::string key_;
};

}  // namespace vidx

#endif  // VIDX_SEARCH_CATALOG_LOCK_H_
