// RocksDB's diagnostic log, routed to vidx's own log ("vidx" spdlog logger) instead of the LOG
// file RocksDB otherwise keeps in the catalog directory.
//
// Why: RocksDB's file logger shares its writer with the disk. Once one of its writes failed
// (ENOSPC), the next log line trips an assertion in Debian's librocksdb and aborts the process,
// typically at close after a disk-full episode. This logger never touches the state directory.
//
// Levels: RocksDB's fatal messages become errors, everything else debug (vidx states the
// failures that matter in its own words, one sentence each).
// Thread-safety: as spdlog (the logger may be shared by RocksDB's threads).
#ifndef VIDX_SEARCH_ROCKS_LOGGER_H_
#define VIDX_SEARCH_ROCKS_LOGGER_H_

#include <memory>

namespace rocksdb {
class Logger;
}  // namespace rocksdb

namespace vidx {

std::shared_ptr<rocksdb::Logger> MakeRocksLogger();

}  // namespace vidx

#endif  // VIDX_SEARCH_ROCKS_LOGGER_H_
