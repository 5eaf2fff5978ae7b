// IndexService: the catalog and vector index of one generation, wired to the indexing
// pipeline (`vidx index`). It is the pipeline's IndexSink (Catalog::CommitFile, whose receipt
// hook applies the added and removed ids to the in-memory VectorIndex in commit order) and its
// KnownFiles (lookups in the generation, renames through Catalog::RenameFile).
//
// Generations (blue/green, see docs/architecture.md): Open() uses the building or active
// generation of `fingerprint`, or creates a building one. It first finishes deletions a crash
// interrupted: retired generations (a flip killed before the old generation was deleted) and
// snapshot directories of generations the catalog no longer has. A flip is three steps, each
// of which may be killed and is then completed or undone by the next Open():
//   Snapshot()  writes the index to state_dir/index/<generation>/ (slow for a large index);
//   Activate()  makes a building generation active in one catalog write, retiring the
//               previously active one, whose id it returns;
//   DeleteGenerationData()  deletes the retired generation's records and snapshot, then
//               compacts its key ranges (slow).
// Finish() runs the three in order (the one-shot `vidx index`). A run that fails before
// Activate() leaves the generation building and the next run resumes it.
//
// Two live generations (the daemon during a reindex): the catalog renames and removes a path
// in every live generation at once. Rename() and RemoveVanished() apply only the receipts of
// this service's generation; the owner of both services routes the others with
// ApplyReceipt() (daemon/generation_manager.h).
//
// Thread-safety: Commit may be called concurrently (the catalog serialises writes); Snapshot
// may run while searches use index(); the rest from one thread. The Catalog is not owned and
// must outlive the service.
#ifndef VIDX_SEARCH_INDEX_SERVICE_H_
#define VIDX_SEARCH_INDEX_SERVICE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/pipeline/index_sink.h"
#include "indexer/pipeline/pipeline.h"
#include "search/catalog.h"
#include "search/vector_index.h"

namespace vidx {

class IndexService : public IndexSink, public KnownFiles {
 public:
  // REQUIRES: `catalog` writable. Errors: catalog failures, FAISS failures, kInvalidArgument
  // for a bad factory string.
  static StatusOr<std::unique_ptr<IndexService>> Open(Catalog* catalog,
                                                      const std::string& state_dir,
                                                      const std::string& factory,
                                                      const std::string& fingerprint,
                                                      uint32_t dimension);

  // IndexSink.
  Status Commit(const std::string& fingerprint, const FileResult& result) override;
  // KnownFiles.
  StatusOr<std::optional<KnownFile>> Find(const std::string& path) override;
  StatusOr<std::vector<std::string>> FindByContentHash(const std::string& content_hash) override;
  Status Rename(const std::string& old_path, const FileIdentity& renamed) override;

  // Removes every file of the generation that lies under one of `roots` (absolute, normal)
  // and no longer exists. `removed` gets how many.
  Status RemoveVanished(const std::vector<std::string>& roots, int64_t* removed);
  // The files of the generation under one of `roots` that no longer exist (nothing removed).
  StatusOr<std::vector<std::string>> VanishedFiles(const std::vector<std::string>& roots) const;
  // Applies a rename or removal receipt (no added vectors) to the index when it belongs to
  // this generation; receipts of other generations are ignored.
  void ApplyReceipt(const CommitReceipt& receipt) { Apply(receipt, nullptr); }

  // Writes the index snapshot (skipped, with a warning, after a failure to update the index:
  // the next start rebuilds it from the catalog) and refreshes generation().
  Status Snapshot();
  // When the generation is building: makes it active (one catalog write) and returns the
  // generation it retired (nullopt when none was active). When it is active already: does
  // nothing and returns nullopt. Nothing is deleted here.
  StatusOr<std::optional<uint64_t>> Activate();
  // Snapshot(), then, when `activate`, Activate() and DeleteGenerationData() of the retired
  // generation. `flipped` (optional) says whether it activated.
  Status Finish(bool activate, bool* flipped);
  Status Finish() { return Finish(true, nullptr); }

  const Generation& generation() const { return generation_; }
  const VectorIndex& index() const { return *index_; }
  // True when Open() rebuilt the index from the catalog (no snapshot, or a corrupt, stale or
  // foreign one): a snapshot is then worth writing even if nothing else changes.
  bool rebuilt_at_open() const { return rebuilt_at_open_; }

 private:
  IndexService(Catalog* catalog, std::string state_dir, Generation generation,
               std::unique_ptr<VectorIndex> index, bool rebuilt_at_open);
  // Applies `receipt` to the index when it is this generation's. REQUIRES: catalog write lock
  // (called from the commit hook) or single-threaded use.
  void Apply(const CommitReceipt& receipt, const FileResult* result);

  Catalog* catalog_;
  const std::string state_dir_;
  Generation generation_;
  std::unique_ptr<VectorIndex> index_;
  const bool rebuilt_at_open_;
  std::mutex error_mu_;
  Status index_error_;  // first failure to update the index; the snapshot is then skipped
};

// Deletes generation `id`'s records (Catalog::DeleteGeneration) and then its snapshot
// directory, then compacts its key ranges (a compaction failure is logged, not returned: the
// records are gone already). A generation the catalog no longer has is not an error, so a
// deletion interrupted by a crash can be repeated. REQUIRES: `id` is not active.
Status DeleteGenerationData(Catalog* catalog, const std::string& state_dir, uint64_t id);

}  // namespace vidx

#endif  // VIDX_SEARCH_INDEX_SERVICE_H_
