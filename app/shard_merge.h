// MergeShards: `vidx merge --into STATE_DIR SHARD_DIR...` (docs/scale-out.md). The finished
// shards of a scale-out run (state directories with a shard file, app/shard.h) are checked
// against each other and merged into an ordinary state directory, whose vector index is then
// built once from the merged catalog and saved as a snapshot:
//   1. every shard has a shard file; all have the same fingerprint, the same count N and
//      distinct indexes; all N are present unless allow_incomplete;
//   2. the target's catalog is opened for writing (kBusy when a daemon or another vidx holds
//      it) and the shards' catalogs read-only;
//   3. Catalog::MergeFrom writes the shards' records as one ingested SST file: an interrupted
//      or failed merge leaves the target's catalog as it was, and a repeated merge writes only
//      what is missing (nothing when the first one got that far);
//   4. files of the target under the shards' roots that no longer exist are removed (renames
//      and deletions of an incremental run), the generation's index is opened the way a
//      start-up opens it (snapshot and replay, else a rebuild from the catalog), saved and the
//      generation activated. Each of these steps is repeated by a rerun.
//
// Thread-safety: one call at a time per target (the catalog lock enforces it across processes).
#ifndef VIDX_APP_SHARD_MERGE_H_
#define VIDX_APP_SHARD_MERGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "app/shard.h"
#include "common/status.h"
#include "search/catalog_merge.h"

namespace vidx {

struct ShardMergeOptions {
  std::string target;               // state directory to merge into (created when missing)
  std::vector<std::string> shards;  // state directories written by `vidx index --shard`
  bool allow_incomplete = false;    // merge although some of the N shards are missing
  std::string factory;              // index.factory of the configuration
  BulkWriteMode mode = BulkWriteMode::kIngest;
};

struct ShardMergeReport {
  MergeResult catalog;
  int shard_count = 0;       // N
  std::vector<int> missing;  // shard indexes absent (only with allow_incomplete)
  int64_t vanished_removed = 0;
  uint64_t vectors = 0;  // of the target generation afterwards
  int64_t files_indexed = 0;
  std::string fingerprint;
  double seconds_total = 0;
};

// Errors: kNotFound for a directory without a shard file; kFailedPrecondition naming the
// shard for a fingerprint, count or index that disagrees (with both values), for missing
// shards (listed) and for a file in two shards; kBusy when the target is in use; the
// catalog's, FAISS's and the file system's errors otherwise. Nothing of the target's catalog
// changes when an error is returned before step 3 completes.
StatusOr<ShardMergeReport> MergeShards(const ShardMergeOptions& options);

}  // namespace vidx

#endif  // VIDX_APP_SHARD_MERGE_H_
