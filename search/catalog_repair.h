// Repair of a corrupt catalog (`vidx repair`; docs/operations.md "Repairing a corrupt
// catalog"). RocksDB's RepairDB salvages what it can read of state_dir/catalog: a broken
// CURRENT or MANIFEST is rebuilt from the table and log files; a table with any unreadable
// block is set aside whole in catalog/lost/ (its records are gone);
// then the catalog's invariants are restored, in one synced write:
//   - records that do not decode, and every record of a generation whose generation record is
//     lost or retired, are dropped;
//   - vectors that no file record lists are dropped;
//   - a file record that lost any of its vectors is dropped with its remaining vectors: the
//     daemon (or `vidx index`) re-embeds that file as a new one;
//   - generation counters are recounted; the id counters are raised above every stored id so
//     no id is reused; a lost or dangling active pointer is reset (a generation with no
//     active record is left building, and the daemon finishes it);
//   - the deletion log is cleared;
// and every FAISS snapshot under state_dir/index/ is deleted, so the next start rebuilds the
// vector indexes from the repaired catalog.
//
// REQUIRES: no process has the catalog open (RepairDB takes the lock; a running daemon makes
// it fail with kBusy). A catalog of an older format version is repaired into the current one.
// Thread-safety: a free function.
#ifndef VIDX_SEARCH_CATALOG_REPAIR_H_
#define VIDX_SEARCH_CATALOG_REPAIR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace vidx {

struct CatalogRepairReport {
  // Table files RocksDB could not read at all (any bad block): moved to catalog/lost/, and
  // every record in them is gone (their files are re-embedded as new ones by the next scan).
  uint64_t tables_set_aside = 0;
  uint64_t generations_kept = 0;
  uint64_t generations_dropped = 0;  // lost, undecodable or retired
  uint64_t files_kept = 0;
  uint64_t vectors_kept = 0;
  uint64_t files_dropped = 0;       // records dropped (lost vectors or undecodable): re-embedded
  uint64_t vectors_dropped = 0;     // without a file record, undecodable, or of dropped files
  uint64_t other_keys_dropped = 0;  // deletion log, stale hash entries, keys of lost generations
  uint64_t snapshots_removed = 0;   // directories under state_dir/index/
  std::vector<std::string> dropped_paths;  // files that will be re-embedded
};

// Repairs state_dir/catalog as described above. Errors: kNotFound when there is no catalog,
// kBusy when it is in use, kFailedPrecondition when its format is newer than this vidx,
// kIoError/kCorruption when RocksDB cannot salvage it.
Status RepairCatalog(const std::string& state_dir, CatalogRepairReport* report);

}  // namespace vidx

#endif  // VIDX_SEARCH_CATALOG_REPAIR_H_
