// RocksDB helpers shared by the catalog's source files (catalog.cpp, catalog_vectors.cpp,
// catalog_migrate.cpp). Internal to the catalog: nothing else includes this.
#ifndef VIDX_SEARCH_CATALOG_INTERNAL_H_
#define VIDX_SEARCH_CATALOG_INTERNAL_H_

#include <functional>
#include <string>

#include <rocksdb/db.h>
#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include "common/status.h"

namespace vidx {
namespace catalog_internal {

// OK for OK; kCorruption (with the way out: `vidx repair`) for corruption; kIoError otherwise.
// `what` starts the message.
Status FromRocks(const rocksdb::Status& s, const std::string& what);

bool StartsWith(const rocksdb::Slice& s, const std::string& prefix);

// The first key after every key that starts with `prefix` (prefix has no all-0xff tail here).
std::string PrefixEnd(std::string prefix);

// Calls fn(key, value) for every key starting with `prefix`, from `start` (>= prefix), in key
// order; stops at the first non-OK status fn returns and returns it.
Status Scan(rocksdb::DB* db, const std::string& prefix, const std::string& start,
            const std::function<Status(const rocksdb::Slice&, const rocksdb::Slice&)>& fn);

}  // namespace catalog_internal
}  // namespace vidx

#endif  // VIDX_SEARCH_CATALOG_INTERNAL_H_
