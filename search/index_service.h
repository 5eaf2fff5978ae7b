// IndexService: the catalog and vector index of one generation, wired to the indexing
// pipeline (`vidx index`). It is the pipeline's IndexSink (Catalog::CommitFile, whose receipt
// hook applies the added and removed ids to the in-memory VectorIndex in commit order) and its
// KnownFiles (lookups in the generation, renames through Catalog::RenameFile).
//
// Generations (minimal blue/green, DESIGN §5): Open() uses the building or active generation
// of `fingerprint`, or creates a building one. Finish() snapshots the index to
// state_dir/index/<generation>/ and, when the generation is still building, makes it active
// in one write and deletes the previously active generation (records and snapshot). A
// one-shot run therefore flips as soon as it completes; a run that fails before Finish()
// leaves the generation building and the next run resumes it.
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
  std::optional<KnownFile> Find(const std::string& path) override;
  std::vector<std::string> FindByContentHash(const std::string& content_hash) override;
  Status Rename(const std::string& old_path, const FileIdentity& renamed) override;

  // Removes every file of the generation that lies under one of `roots` (absolute, normal)
  // and no longer exists. `removed` gets how many.
  Status RemoveVanished(const std::vector<std::string>& roots, int64_t* removed);

  // Snapshot, then flip (see above). `flipped` (optional) says whether it flipped.
  Status Finish(bool* flipped = nullptr);

  const Generation& generation() const { return generation_; }
  const VectorIndex& index() const { return *index_; }

 private:
  IndexService(Catalog* catalog, std::string state_dir, Generation generation,
               std::unique_ptr<VectorIndex> index);
  // Applies `receipt` to the index when it is this generation's. REQUIRES: catalog write lock
  // (called from the commit hook) or single-threaded use.
  void Apply(const CommitReceipt& receipt, const FileResult* result);

  Catalog* catalog_;
  const std::string state_dir_;
  Generation generation_;
  std::unique_ptr<VectorIndex> index_;
  std::mutex error_mu_;
  Status index_error_;  // first failure to update the index; the snapshot is then skipped
};

}  // namespace vidx

#endif  // VIDX_SEARCH_INDEX_SERVICE_H_
