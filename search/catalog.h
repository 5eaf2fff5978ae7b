// Catalog: the truth of vidx — one RocksDB database at state_dir/catalog holding generations,
// per-file records, per-vector records (with the vectors), a deletion log and the
// checkpoint-hash cache. Byte layouts: search/catalog_format.h and docs/storage.md.
//
// Every write that touches more than one key is one WriteBatch written with sync=true: a
// crash leaves either all of it or none of it. Vector ids are allocated from one global
// counter (persisted in the same batch), ascend in commit order and are never reused.
//
// Thread-safety: all methods may be called concurrently. Writes are serialised by one
// internal mutex (ids are allocated and written under it); reads go to RocksDB directly.
// Opened read-only (explicitly, or because another process holds the lock and the option
// asks for the fallback), every write returns kFailedPrecondition and HashCache::Store does
// nothing.
//
// Older formats: a writable open migrates a catalog of an older format version to the
// current one in one synced batch before anything else (search/catalog_migrate.cpp); a
// read-only open reads it as it is.
#ifndef VIDX_SEARCH_CATALOG_H_
#define VIDX_SEARCH_CATALOG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/checkpoint_hash.h"
#include "indexer/pipeline/index_sink.h"
#include "search/catalog_lock.h"
#include "search/catalog_merge.h"
#include "search/catalog_types.h"

namespace rocksdb {
class DB;
class Env;
}  // namespace rocksdb

namespace vidx {

struct CatalogOptions {
  // Open without the write lock; writes then fail with kFailedPrecondition. Default false.
  bool read_only = false;
  // When another process holds the lock, open read-only instead of failing. Default false.
  bool read_only_if_locked = false;
  // RocksDB environment, for fault-injection tests. Not owned; must outlive the Catalog.
  // Default nullptr: the default environment.
  rocksdb::Env* env = nullptr;
};

class Catalog : public HashCache {
 public:
  // Opens (creating when missing and writable) `state_dir`/catalog. A database written by a
  // newer format version is refused (kFailedPrecondition naming the directory); an
  // unreadable version key is kCorruption; a catalog whose write lock another writer holds is
  // kBusy (unless options.read_only_if_locked: then it is opened read-only). Errors name the
  // directory.
  static StatusOr<std::unique_ptr<Catalog>> Open(const std::string& state_dir,
                                                 const CatalogOptions& options = {});
  ~Catalog() override;
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  bool read_only() const { return read_only_; }
  // The format version of the records as stored: kFormatVersion after a writable open, an
  // older one when an old catalog was opened read-only.
  int format_version() const { return format_version_; }
  const std::string& path() const { return path_; }

  // --- Generations -----------------------------------------------------------------------
  // A new generation in state kBuilding. kFailedPrecondition when a building or active
  // generation already has this fingerprint; kInvalidArgument when dimension is 0.
  StatusOr<Generation> CreateGeneration(const std::string& fingerprint, uint32_t dimension);
  std::vector<Generation> ListGenerations() const;        // ascending id
  StatusOr<Generation> GetGeneration(uint64_t id) const;  // kNotFound
  // The building or active generation of `fingerprint` (kNotFound when none).
  StatusOr<Generation> FindGeneration(const std::string& fingerprint) const;
  std::optional<Generation> ActiveGeneration() const;
  // Makes `id` active and the previously active one retired, in one write.
  // kNotFound / kFailedPrecondition (retired generations cannot come back).
  Status SetActive(uint64_t id);
  // Deletes every record of a non-active generation (range deletes, one batch). The space is
  // reclaimed later by CompactGeneration. kNotFound, kFailedPrecondition for the active one.
  Status DeleteGeneration(uint64_t id);
  // Compacts the key ranges of generation `id` (space reclamation after DeleteGeneration; it
  // may take a while for a large generation and holds no catalog lock, so commits go on).
  // Nothing is lost when it fails or is skipped: the records are already gone.
  Status CompactGeneration(uint64_t id);

  // --- Files -----------------------------------------------------------------------------
  // Called after the write succeeded, still under the write lock, so receipts arrive in
  // commit order (vector ids ascending): an index fed from here never misses a lower id.
  using CommitHook = std::function<void(const CommitReceipt&)>;

  // Stores `result` for the generation of `fingerprint`: the file record, its vectors (one
  // per segment) and, when the path was already known to that generation, the deletion of
  // its previous vectors (logged) — all in one sync WriteBatch. kNotFound when no building or
  // active generation has the fingerprint; kInvalidArgument when a vector's size is not the
  // generation's dimension or holds a non-finite value (nothing is written then).
  // The record keeps result.failure (kNone when indexed).
  StatusOr<CommitReceipt> CommitFile(const std::string& fingerprint, const FileResult& result,
                                     const CommitHook& hook = nullptr);

  // Moves `old_path`'s record and vectors to `renamed.path` in every non-retired generation
  // that knows old_path, keeping vector ids and vectors (nothing to re-embed or re-add), with
  // the new identity. A record already at the new path is replaced (its vectors deleted and
  // logged). One batch for all generations. kNotFound when no generation knows old_path.
  StatusOr<std::vector<CommitReceipt>> RenameFile(const std::string& old_path,
                                                  const FileIdentity& renamed);
  // Removes `path` (record and vectors, deletions logged) from every non-retired generation.
  // Returns one receipt per generation that knew it (empty when none did).
  StatusOr<std::vector<CommitReceipt>> RemoveFile(const std::string& path);

  StatusOr<FileRecord> GetFile(uint64_t generation, const std::string& path) const;
  // Records of `generation` whose content hash is `content_hash` (rename detection).
  StatusOr<std::vector<FileRecord>> FilesByContentHash(uint64_t generation,
                                                       const std::string& content_hash) const;
  // Calls `fn` for every file record of `generation`, in path order; stops and returns the
  // first non-OK status `fn` returns.
  Status ForEachFile(uint64_t generation, const std::function<Status(const FileRecord&)>& fn) const;

  // --- Vectors and deletions -------------------------------------------------------------
  StatusOr<VectorRecord> GetVector(uint64_t generation, uint64_t id) const;  // kNotFound
  // The vectors `ids` of `generation`, read with one RocksDB MultiGet: out[i] is ids[i]'s
  // record, or nullopt when the generation has no such vector (it was removed). Any other
  // failure (an I/O error, a record that does not decode) fails the whole call.
  StatusOr<std::vector<std::optional<VectorRecord>>> GetVectors(
      uint64_t generation, const std::vector<uint64_t>& ids) const;
  // Calls `fn` for every vector of `generation` with id > after_id, ascending.
  Status ForEachVector(uint64_t generation, uint64_t after_id,
                       const std::function<Status(const VectorRecord&)>& fn) const;
  // Calls `fn(seq, ids)` for every deletion-log entry of `generation` with seq > after_seq.
  Status ForEachDeletion(
      uint64_t generation, uint64_t after_seq,
      const std::function<Status(uint64_t, const std::vector<uint64_t>&)>& fn) const;
  // The highest deletion sequence allocated so far (any generation); 0 when none.
  uint64_t LastDeletionSeq() const;
  // Drops log entries of `generation` with seq <= up_to (after a snapshot that includes them).
  Status TrimDeletionLog(uint64_t generation, uint64_t up_to);

  // --- Merge (search/catalog_merge.h, `vidx merge`) --------------------------------------
  // Writes every file record and vector of `sources` into this catalog's generation of
  // options.fingerprint (created, and made active when no generation is active, if there is
  // none) as one unit: with kIngest one ingested SST file, so a crash or failure at any moment
  // leaves this catalog as it was or fully merged. Writes nothing when every source path is
  // already there unchanged. REQUIRES: writable, and nothing else writes this catalog meanwhile
  // (`vidx merge` holds its lock). Errors: kFailedPrecondition when a path is in two sources
  // (naming both) or when the active generation has another fingerprint; kInvalidArgument for
  // a vector of another dimension (naming the source and path); read and write failures.
  StatusOr<MergeResult> MergeFrom(const std::vector<MergeSource>& sources,
                                  const MergeOptions& options);

  // --- HashCache (checkpoint hashes, key "ckpt-hash/<path>") -------------------------------
  std::optional<std::string> Lookup(const FileIdentity& file) override;
  Status Store(const FileIdentity& file, const std::string& sha256) override;

 private:
  struct Counters {
    uint64_t next_generation = 1;
    uint64_t next_vector = 1;
    uint64_t next_deletion = 1;
  };
  class Batch;  // a WriteBatch plus the generation records it updates

  Catalog(std::unique_ptr<CatalogWriterRegistration> writer, std::unique_ptr<rocksdb::DB> db,
          std::string path, bool read_only);
  Status LoadState();
  // Checks meta/format and sets format_version_; on a writable catalog of an older version,
  // rewrites every record whose layout changed and the version key in one synced batch.
  // REQUIRES: mu_ held, at open (search/catalog_migrate.cpp).
  Status CheckFormatLocked();
  Status CheckWritable() const;
  Status Write(Batch* batch);  // REQUIRES: mu_ held
  // Re-reads counters and generation records after a bulk write (search/catalog_merge.cpp).
  Status ReloadState();
  // `path`'s record in `generation`, or nullopt when there is none.
  StatusOr<std::optional<FileRecord>> FindFile(uint64_t generation, const std::string& path) const;
  // Deletes `record`'s vectors and hash entry in `batch`, logging the ids; REQUIRES: mu_.
  void Unlink(const FileRecord& record, Batch* batch, CommitReceipt* receipt);
  std::optional<Generation> FindLocked(const std::string& fingerprint) const;

  // Declared before db_: released only after the database (and its lock) is closed.
  std::unique_ptr<CatalogWriterRegistration> writer_;
  std::unique_ptr<rocksdb::DB> db_;
  const std::string path_;
  const bool read_only_;
  int format_version_ = 0;  // set at open, constant afterwards

  mutable std::mutex mu_;  // guards everything below and serialises writes
  Counters counters_;
  std::map<uint64_t, Generation> generations_;  // mirror of the gen/ records
  uint64_t active_ = 0;                         // 0: none
};

}  // namespace vidx

#endif  // VIDX_SEARCH_CATALOG_H_
