// Catalog merge: the records of several catalogs' generations (the shards of a scale-out run,
// docs/scale-out.md) written into one catalog's generation of the same fingerprint, as one
// unit (Catalog::MergeFrom). Vector ids are allocated afresh from the target's counter, in
// path order; vectors and file records are copied, nothing is re-embedded. A path the target
// already holds with the same identity, content hash, status and vector count is left as it
// is (so a merge repeated after a crash writes nothing twice); one that differs is replaced,
// its old vectors deleted and logged in del/ like any replacement.
//
// Plain values; see Catalog::MergeFrom for the contract.
#ifndef VIDX_SEARCH_CATALOG_MERGE_H_
#define VIDX_SEARCH_CATALOG_MERGE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace vidx {

class Catalog;

// How the merged records reach RocksDB.
enum class BulkWriteMode {
  // One SST file (rocksdb::SstFileWriter) in the staging directory, ingested with
  // IngestExternalFile: atomic, a crash leaves all of it or none of it. What `vidx merge` uses.
  kIngest,
  // Synced WriteBatches of about 8 MiB each: NOT atomic (a crash can leave part of a merge).
  // Kept only as the peer of kIngest in bench/merge_bench.cpp.
  kBatches,
};

struct MergeSource {
  std::string name;                  // for messages (a shard's state directory)
  const Catalog* catalog = nullptr;  // not owned; may be read-only
  uint64_t generation = 0;           // its generation of the merge's fingerprint
};

struct MergeOptions {
  std::string fingerprint;  // the target generation's; created (active when nothing is) if absent
  uint32_t dimension = 0;
  std::string staging_dir;  // where kIngest writes its SST file; on the target's file system
  BulkWriteMode mode = BulkWriteMode::kIngest;
};

struct MergeResult {
  uint64_t generation = 0;  // the target generation
  int64_t files_added = 0;
  int64_t files_replaced = 0;
  int64_t files_unchanged = 0;  // already in the target as the source has them
  uint64_t vectors_added = 0;
  uint64_t vectors_removed = 0;
  uint64_t bytes = 0;          // key and value bytes written
  double seconds_prepare = 0;  // reading the sources and writing the SST file (or batches)
  double seconds_ingest = 0;   // IngestExternalFile
};

}  // namespace vidx

#endif  // VIDX_SEARCH_CATALOG_MERGE_H_
