// Start-up of a generation's vector index (docs/architecture.md §5): load its snapshot and replay
// what the catalog gained since, or rebuild it from the catalog's stored vectors (no features are
// recomputed). The catalog is the truth; the index only ever holds what it has.
//
// Thread-safety: free functions; REQUIRES that nothing commits to `generation` while they
// run (the daemon opens the index before it starts its pipeline).
#ifndef VIDX_SEARCH_INDEX_LOADER_H_
#define VIDX_SEARCH_INDEX_LOADER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "search/catalog.h"
#include "search/vector_index.h"

namespace vidx {

enum class IndexOpenPath { kLoadedSnapshot, kRebuilt };

struct OpenedIndex {
  std::unique_ptr<VectorIndex> index;
  IndexOpenPath path = IndexOpenPath::kRebuilt;
  std::string reason;             // why it was rebuilt, or "snapshot loaded"
  size_t replayed_vectors = 0;    // added from the catalog after loading a snapshot
  size_t replayed_deletions = 0;  // ids removed by replaying the deletion log
  BuildInfo build;                // for a rebuild: effective factory and fallback note
};

// state_dir/index/<generation>
std::string SnapshotDir(const std::string& state_dir, uint64_t generation);

// Loads state_dir/index/<generation>/ when it is valid, belongs to `generation`, has the
// generation's dimension and was built from `factory`; then adds the catalog's vectors with
// id > the snapshot's highest and applies deletion-log entries with seq > the snapshot's.
// Otherwise (missing, corrupt, other factory, or too many tombstones after replay) rebuilds
// from the catalog. Logs which path it took on the "vidx" spdlog logger when one exists.
// Errors: kNotFound for an unknown generation, catalog read errors, FAISS failures; a bad
// snapshot is never an error (it is rebuilt).
StatusOr<OpenedIndex> OpenIndexForGeneration(const Catalog& catalog, uint64_t generation,
                                             const std::string& factory,
                                             const std::string& state_dir,
                                             const VectorIndexOptions& options = {});

// A fresh index of every vector `generation` holds in the catalog, marked as including the
// catalog's deletion log up to now.
StatusOr<std::unique_ptr<VectorIndex>> RebuildFromCatalog(const Catalog& catalog,
                                                          uint64_t generation,
                                                          const std::string& factory,
                                                          const VectorIndexOptions& options = {},
                                                          BuildInfo* info = nullptr);

// Removes state_dir/index/<generation>/ (after DeleteGeneration). Missing is fine.
Status RemoveSnapshot(const std::string& state_dir, uint64_t generation);

}  // namespace vidx

#endif  // VIDX_SEARCH_INDEX_LOADER_H_
