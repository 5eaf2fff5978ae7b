// IndexService: the catalog and vector index of one generation, wired to the indexing
// pipeline (`vidx index`). It is the pipeline's IndexSink (Catalog::CommitFile, whose receipt
// hook applies the added and removed ids to the in-memory VectorIndex in commit order) and its
// KnownFiles (lookups in the generation, renames through Catalog::RenameFile).
//
// Generations (blue/green, DESIGN §5): Open() uses the building or active generation of
// `fingerprint`, or creates a building one. It first finishes deletions a crash interrupted:
// retired generations (a flip killed before the old generation was deleted) and snapshot
// directories of generations the catalog no longer has. Finish() snapshots the index to
// state_dir/index/<generation>/ and, when asked to activate a generation that is still
// building, makes it active in one write and deletes the previously active generation
// (records and snapshot). A run that fails before activation leaves the generation building
// and the next run resumes it.
//
// Two live generations (the daemon during a reindex): the catalog renames and removes a path
// in every live generation at once; LinkSibling() makes this service apply the receipts that
// belong to the other generation to the other service's index as well.
//
// Thread-safety: Commit may be called concurrently (the catalog serialises writes); the rest
// from one thread. The Catalog is not owned and must outlive the service.
#ifndef VIDX_SEARCH_INDEX_SERVICE_H_
#define VIDX_SEARCH_INDEX_SERVICE_H_

#include <cstdint>
#include <memory>
#include <mutex>
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

  // Snapshot, then, when `activate` and the generation is building, flip (see above).
  // `flipped` (optional) says whether it flipped.
  Status Finish(bool activate, bool* flipped);
  Status Finish() { return Finish(true, nullptr); }

  // Receipts of `sibling`'s generation produced by Rename/RemoveVanished here are applied to
  // `sibling` too. nullptr unlinks. REQUIRES: `sibling` outlives the link; same thread as
  // Rename/RemoveVanished.
  void LinkSibling(IndexService* sibling) { sibling_ = sibling; }

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
  IndexService* sibling_ = nullptr;
  Status index_error_;  // first failure to update the index; the snapshot is then skipped
};

}  // namespace vidx

#endif  // VIDX_SEARCH_INDEX_SERVICE_H_
