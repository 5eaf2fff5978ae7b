// VectorIndex: the FAISS index of one generation (docs/storage.md), derived from the catalog.
//
// Built from an `index.factory` string (Flat, HNSW32, IVF1024,SQ8 ...) with the inner-product
// metric — vectors are L2-normalised, so a score is a cosine. Catalog vector ids are the FAISS
// labels: IVF indexes store them natively; every other index sits inside an IndexIDMap2 (a
// leading "IDMap," / "IDMap2," in the factory is accepted and means the same). IVF must not
// be wrapped: its remove_ids does not renumber positions the way IndexIDMap assumes.
//
// Deletion: indexes whose type supports remove_ids (Flat and other flat-code indexes, IVF)
// remove for real, decided from the type at construction; the others (HNSW)
// keep a tombstone set that every search filters out, and NeedsRebuild() turns true when the
// tombstones pass `rebuild_tombstone_fraction` of the stored vectors.
//
// Training: a factory whose index needs training (IVF, PQ ...) is trained on the vectors
// given to Build() when there are at least MinTrainingVectors() of them; with fewer, Build()
// makes a Flat index instead, says so in `BuildInfo::note`, and NeedsRebuild() turns true
// once enough vectors have been added for the configured factory to be trained.
//
// Snapshots (Save/Load): state_dir/index/<generation>/ holds `meta` (text, with its own
// sha256), one index file and one tombstone file, each written to a temporary name, fsynced,
// renamed, and the directory fsynced; `meta` is renamed last, so it always names a complete
// pair. Load verifies the meta checksum, the format version and both files' sha256 before
// FAISS parses anything. Layout: docs/storage.md.
//
// Thread-safety: Search/size/accessors may run concurrently with each other; Add, Remove,
// MarkDeletionsApplied exclude everything else (an internal reader/writer lock). Save holds
// the lock shared. FaissException and std::exception from FAISS become kInternal/kCorruption.
#ifndef VIDX_SEARCH_VECTOR_INDEX_H_
#define VIDX_SEARCH_VECTOR_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/status.h"

namespace faiss {
struct Index;
template <typename IndexT>
struct IndexIDMap2Template;
using IndexIDMap2 = IndexIDMap2Template<Index>;
}  // namespace faiss

namespace vidx {

struct VectorIndexOptions {
  int hnsw_ef_search = 64;                  // HNSW search breadth (FAISS default: 16)
  int ivf_nprobe = 16;                      // IVF lists visited per query (capped at nlist)
  double rebuild_tombstone_fraction = 0.1;  // NeedsRebuild() above this share of tombstones
};

// Results of Search(): row q holds the hits of query q, best first; `ids[q*k+j] == -1` when
// fewer than k live vectors exist.
struct SearchResults {
  size_t k = 0;
  std::vector<int64_t> ids;
  std::vector<float> scores;
};

struct BuildInfo {
  std::string effective_factory;  // the factory actually built ("Flat" after a fallback)
  std::string note;               // empty, or why the configured factory was not used
};

// What a snapshot's meta file records.
struct SnapshotMeta {
  int format_version = 0;
  uint64_t generation = 0;
  std::string factory;            // as configured
  std::string effective_factory;  // as built
  uint32_t dimension = 0;
  uint64_t max_vector_id = 0;  // highest vector id ever added (0: none)
  uint64_t deletion_seq = 0;   // deletion-log entries up to this one are applied
  uint64_t count = 0;          // live vectors
  uint64_t tombstones = 0;
};

class VectorIndex {
 public:
  static constexpr int kSnapshotFormatVersion = 1;

  // An index over `n` vectors (row-major, n*dim floats) with catalog ids `ids`.
  // kInvalidArgument for an unknown factory string or dim 0, kInternal for FAISS failures.
  static StatusOr<std::unique_ptr<VectorIndex>> Build(const std::string& factory, uint32_t dim,
                                                      size_t n, const uint64_t* ids, const float* x,
                                                      const VectorIndexOptions& options = {},
                                                      BuildInfo* info = nullptr);
  // How many vectors `factory` needs before it is trained instead of replaced by Flat:
  // 0 when it needs no training; 39 x nlist for IVF (FAISS's own k-means warning threshold,
  // and at least 39 x 256 when codes are also trained); 39 x 256 for other trained indexes.
  static StatusOr<size_t> MinTrainingVectors(const std::string& factory, uint32_t dim);

  // Loads the snapshot in `dir`. kNotFound without one; kCorruption (naming the file) for a
  // bad checksum, size, version or a file FAISS refuses. `meta` (optional) gets its meta.
  static StatusOr<std::unique_ptr<VectorIndex>> Load(const std::string& dir,
                                                     const VectorIndexOptions& options = {},
                                                     SnapshotMeta* meta = nullptr);
  // Writes a snapshot of this index for `generation` into `dir` (created when missing),
  // replacing the previous one atomically. kIoError naming the file on failure.
  Status Save(const std::string& dir, uint64_t generation) const;

  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // Adds n vectors with their catalog ids. kFailedPrecondition when an id is already in the
  // index (nothing is added then); kInvalidArgument for a negative-as-int64 id.
  Status Add(size_t n, const uint64_t* ids, const float* x);
  // Removes ids; ids not in the index (or already removed) are ignored. `removed` (optional)
  // gets how many were live before.
  Status Remove(size_t n, const uint64_t* ids, size_t* removed = nullptr);
  // Records that deletion-log entries up to `seq` are applied (kept in snapshots).
  void MarkDeletionsApplied(uint64_t seq);

  // The k best live vectors for each of nq queries (nq*dim floats).
  StatusOr<SearchResults> Search(size_t nq, const float* queries, size_t k) const;

  size_t size() const;  // live vectors
  size_t tombstones() const;
  bool NeedsRebuild() const;  // see the header comment
  uint64_t max_vector_id() const;
  uint64_t deletion_seq() const;
  uint32_t dimension() const { return dim_; }
  const std::string& factory() const { return factory_; }
  const std::string& effective_factory() const { return effective_factory_; }
  // Every live id, ascending (tests and consistency checks; O(n)).
  std::vector<uint64_t> LiveIds() const;
  // The FAISS index Search() queries (an IndexIDMap2, or an IVF index with native ids), for
  // benchmarks that time FAISS called directly on the very same object (bench/search_bench).
  // Not for production code: it bypasses the lock and the tombstone filter. REQUIRES: no
  // concurrent Add/Remove/Load while the caller uses it; valid as long as this VectorIndex.
  const faiss::Index& faiss_index_for_benchmark() const { return *index_; }

 private:
  // `index` is an IndexIDMap2 or an index with native ids (IVF).
  VectorIndex(std::string factory, std::string effective_factory, uint32_t dim,
              std::unique_ptr<faiss::Index> index, const VectorIndexOptions& options,
              size_t min_train);
  void ApplySearchDefaults();
  // True when remove_ids really removes from `index` (looking through id maps and
  // transforms): Flat-code and IVF indexes; false for graph indexes such as HNSW.
  static bool RemovesForReal(const faiss::Index* index);
  Status AddLocked(size_t n, const uint64_t* ids, const float* x);

  const std::string factory_;
  const std::string effective_factory_;
  const uint32_t dim_;
  const VectorIndexOptions options_;
  const size_t min_train_;  // of factory_, for the fallback's NeedsRebuild()

  mutable std::shared_mutex mu_;
  std::unique_ptr<faiss::Index> index_;     // owns everything below it
  faiss::IndexIDMap2* idmap_ = nullptr;     // index_ itself when it is an id map, else null
  std::unordered_set<int64_t> present_;     // every id inside index_ (tombstoned ones too)
  std::unordered_set<int64_t> tombstones_;  // ids deleted but still inside index_
  // Whether remove_ids works for index_'s type (RemovesForReal); otherwise tombstones.
  const bool remove_supported_;
  uint64_t max_id_ = 0;
  uint64_t deletion_seq_ = 0;
};

}  // namespace vidx

#endif  // VIDX_SEARCH_VECTOR_INDEX_H_
