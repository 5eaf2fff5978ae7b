#include "search/catalog.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "search/catalog_format.h"
#include "search/catalog_internal.h"
#include "search/rocks_logger.h"

namespace vidx {

namespace fmt = catalog_format;

namespace catalog_internal {

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) {
    return Status::Corruption(
        what + ": " + s.ToString() +
        "; the catalog is corrupt: stop vidx and run `vidx repair` to salvage it");
  }
  return Status::IoError(what + ": " + s.ToString());
}

bool StartsWith(const rocksdb::Slice& s, const std::string& prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char c = static_cast<unsigned char>(prefix.back());
    if (c != 0xff) {
      prefix.back() = static_cast<char>(c + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

Status Scan(rocksdb::DB* db, const std::string& prefix, const std::string& start,
            const std::function<Status(const rocksdb::Slice&, const rocksdb::Slice&)>& fn) {
  rocksdb::ReadOptions ro;
  std::string end = PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  for (it->Seek(start); it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    VIDX_RETURN_IF_ERROR(fn(it->key(), it->value()));
  }
  return FromRocks(it->status(), "catalog scan failed");
}

}  // namespace catalog_internal

namespace {

using catalog_internal::FromRocks;
using catalog_internal::PrefixEnd;
using catalog_internal::Scan;

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

class Catalog::Batch {
 public:
  explicit Batch(const Catalog& c) : counters(c.counters_), active(c.active_) {}
  rocksdb::WriteBatch wb;
  Counters counters;
  uint64_t active;
  std::map<uint64_t, Generation> touched;  // generation records to (re)write
  // The generation record as this batch sees it (copied into `touched` on first use).
  Generation& Gen(const Catalog& c, uint64_t id) {
    auto it = touched.find(id);
    if (it == touched.end()) it = touched.emplace(id, c.generations_.at(id)).first;
    return it->second;
  }
};

Catalog::Catalog(std::unique_ptr<CatalogWriterRegistration> writer, std::unique_ptr<rocksdb::DB> db,
                 std::string path, bool read_only)
    : writer_(std::move(writer)),
      db_(std::move(db)),
      path_(std::move(path)),
      read_only_(read_only) {}

Catalog::~Catalog() = default;

StatusOr<std::unique_ptr<Catalog>> Catalog::Open(const std::string& state_dir,
                                                 const CatalogOptions& options) {
  std::string path = (std::filesystem::path(state_dir) / "catalog").string();
  rocksdb::Options ro;
  ro.create_if_missing = !options.read_only;
  ro.info_log = MakeRocksLogger();  // not a LOG file on the (possibly full) disk
  if (options.env != nullptr) ro.env = options.env;
  rocksdb::DB* raw = nullptr;
  bool read_only = options.read_only;
  rocksdb::Status s;
  std::unique_ptr<CatalogWriterRegistration> writer;
  if (!read_only) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return Status::IoError("catalog " + path + " cannot be created: " + ec.message());
    writer = std::make_unique<CatalogWriterRegistration>(path);
    s = rocksdb::DB::Open(ro, path, &raw);
    if (!s.ok()) {
      writer.reset();  // this process holds nothing now: the probe below sees other holders
      if (s.IsIOError()) {
        StatusOr<bool> held = CatalogWriterHoldsLock(path);
        if (!held.ok()) return held.status();
        if (*held && !options.read_only_if_locked) {
          return Status::Busy("catalog " + path + " is in use by another process");
        }
        read_only = *held;
      }
    }
  }
  if (read_only) s = rocksdb::DB::OpenForReadOnly(ro, path, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  // A corrupt database is refused with the way out (catalog_repair.h).
  auto corrupt = [&](std::string detail) {
    const size_t hint = detail.find("; the catalog is corrupt");  // FromRocks's own hint
    if (hint != std::string::npos) detail.resize(hint);
    return Status::Corruption("catalog " + path + " is corrupt (" + detail +
                              "); stop vidx and run `vidx repair` to salvage it");
  };
  if (!s.ok() && s.IsCorruption()) return corrupt(s.ToString());
  if (!s.ok()) return Status::IoError("catalog " + path + " cannot be opened: " + s.ToString());
  std::unique_ptr<Catalog> catalog(new Catalog(std::move(writer), std::move(db), path, read_only));
  Status loaded = catalog->LoadState();
  if (loaded.code() == StatusCode::kCorruption) return corrupt(loaded.message());
  VIDX_RETURN_IF_ERROR(loaded);
  return catalog;
}

Status Catalog::LoadState() {
  std::lock_guard<std::mutex> lock(mu_);
  auto get_uint = [&](const char* key, uint64_t* out) -> Status {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
    if (s.IsNotFound()) return Status::Ok();
    VIDX_RETURN_IF_ERROR(FromRocks(s, "catalog " + path_ + " cannot be read"));
    if (!fmt::ParseCounter(value, out)) {
      return Status::Corruption("catalog " + path_ + ": key " + key + " holds '" + value +
                                "', not a number");
    }
    return Status::Ok();
  };
  VIDX_RETURN_IF_ERROR(CheckFormatLocked());
  VIDX_RETURN_IF_ERROR(get_uint(fmt::kNextGenerationKey, &counters_.next_generation));
  VIDX_RETURN_IF_ERROR(get_uint(fmt::kNextVectorKey, &counters_.next_vector));
  VIDX_RETURN_IF_ERROR(get_uint(fmt::kNextDeletionKey, &counters_.next_deletion));
  VIDX_RETURN_IF_ERROR(get_uint(fmt::kActiveKey, &active_));
  Status scan = Scan(db_.get(), fmt::kGenerationPrefix, fmt::kGenerationPrefix,
                     [&](const rocksdb::Slice& key, const rocksdb::Slice& value) -> Status {
                       if (key.size() != sizeof(fmt::kGenerationPrefix) - 1 + 8) {
                         return Status::Corruption("catalog has a malformed generation key");
                       }
                       uint64_t id = fmt::ReadBigEndian64(key.data() + key.size() - 8);
                       StatusOr<Generation> g =
                           fmt::DecodeGeneration(id, std::string_view(value.data(), value.size()));
                       if (!g.ok()) return g.status();
                       generations_[id] = std::move(g).value();
                       return Status::Ok();
                     });
  return scan.WithContext("catalog " + path_);
}

Status Catalog::CheckWritable() const {
  if (read_only_) {
    return Status::FailedPrecondition("catalog " + path_ +
                                      " is open read-only (another process holds it)");
  }
  return Status::Ok();
}

Status Catalog::Write(Batch* batch) {
  for (const auto& [id, g] : batch->touched) {
    batch->wb.Put(fmt::GenerationKey(id), fmt::EncodeGeneration(g));
  }
  const Counters& c = batch->counters;
  if (c.next_generation != counters_.next_generation) {
    batch->wb.Put(fmt::kNextGenerationKey, std::to_string(c.next_generation));
  }
  if (c.next_vector != counters_.next_vector) {
    batch->wb.Put(fmt::kNextVectorKey, std::to_string(c.next_vector));
  }
  if (c.next_deletion != counters_.next_deletion) {
    batch->wb.Put(fmt::kNextDeletionKey, std::to_string(c.next_deletion));
  }
  if (batch->active != active_) batch->wb.Put(fmt::kActiveKey, std::to_string(batch->active));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  VIDX_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch->wb), "catalog " + path_ + " write failed"));
  counters_ = batch->counters;
  active_ = batch->active;
  for (auto& [id, g] : batch->touched) generations_[id] = std::move(g);
  return Status::Ok();
}

StatusOr<Generation> Catalog::CreateGeneration(const std::string& fingerprint, uint32_t dimension) {
  VIDX_RETURN_IF_ERROR(CheckWritable());
  if (dimension == 0) return Status::InvalidArgument("a generation needs a vector dimension");
  std::lock_guard<std::mutex> lock(mu_);
  if (FindLocked(fingerprint)) {
    return Status::FailedPrecondition("a generation for fingerprint " + fingerprint +
                                      " already exists");
  }
  Batch batch(*this);
  Generation g;
  g.id = batch.counters.next_generation++;
  g.fingerprint = fingerprint;
  g.dimension = dimension;
  g.created_unix = NowUnix();
  batch.touched[g.id] = g;
  VIDX_RETURN_IF_ERROR(Write(&batch));
  return g;
}

std::vector<Generation> Catalog::ListGenerations() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Generation> out;
  for (const auto& [id, g] : generations_) out.push_back(g);
  return out;
}

StatusOr<Generation> Catalog::GetGeneration(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = generations_.find(id);
  if (it == generations_.end()) {
    return Status::NotFound("catalog has no generation " + std::to_string(id));
  }
  return it->second;
}

std::optional<Generation> Catalog::FindLocked(const std::string& fingerprint) const {
  for (const auto& [id, g] : generations_) {
    if (g.fingerprint == fingerprint && g.state != GenerationState::kRetired) return g;
  }
  return std::nullopt;
}

StatusOr<Generation> Catalog::FindGeneration(const std::string& fingerprint) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<Generation> g = FindLocked(fingerprint);
  if (!g) return Status::NotFound("catalog has no generation for fingerprint " + fingerprint);
  return *g;
}

std::optional<Generation> Catalog::ActiveGeneration() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = generations_.find(active_);
  if (active_ == 0 || it == generations_.end()) return std::nullopt;
  return it->second;
}

Status Catalog::SetActive(uint64_t id) {
  VIDX_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = generations_.find(id);
  if (it == generations_.end()) {
    return Status::NotFound("catalog has no generation " + std::to_string(id));
  }
  if (it->second.state == GenerationState::kRetired) {
    return Status::FailedPrecondition("generation " + std::to_string(id) + " is retired");
  }
  if (active_ == id) return Status::Ok();
  Batch batch(*this);
  if (active_ != 0 && generations_.count(active_)) {
    batch.Gen(*this, active_).state = GenerationState::kRetired;
  }
  batch.Gen(*this, id).state = GenerationState::kActive;
  batch.active = id;
  return Write(&batch);
}

Status Catalog::DeleteGeneration(uint64_t id) {
  VIDX_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard<std::mutex> lock(mu_);
  if (!generations_.count(id)) {
    return Status::NotFound("catalog has no generation " + std::to_string(id));
  }
  if (id == active_) {
    return Status::FailedPrecondition("generation " + std::to_string(id) +
                                      " is active and cannot be deleted");
  }
  rocksdb::WriteBatch wb;
  for (const char* prefix :
       {fmt::kFilePrefix, fmt::kHashPrefix, fmt::kVectorPrefix, fmt::kDeletionPrefix}) {
    const std::string scope = fmt::GenerationScope(prefix, id);
    wb.DeleteRange(scope, PrefixEnd(scope));
  }
  wb.Delete(fmt::GenerationKey(id));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  VIDX_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "catalog " + path_ + " write failed"));
  generations_.erase(id);
  return Status::Ok();
}

Status Catalog::CompactGeneration(uint64_t id) {
  VIDX_RETURN_IF_ERROR(CheckWritable());
  for (const char* prefix :
       {fmt::kFilePrefix, fmt::kHashPrefix, fmt::kVectorPrefix, fmt::kDeletionPrefix}) {
    const std::string begin = fmt::GenerationScope(prefix, id);
    const std::string end = PrefixEnd(begin);
    rocksdb::Slice begin_slice(begin), end_slice(end);
    rocksdb::CompactRangeOptions co;
    VIDX_RETURN_IF_ERROR(FromRocks(db_->CompactRange(co, &begin_slice, &end_slice),
                                   "catalog " + path_ + " compaction failed"));
  }
  return Status::Ok();
}

void Catalog::Unlink(const FileRecord& record, Batch* batch, CommitReceipt* receipt) {
  uint64_t gen = record.generation;
  batch->wb.Delete(fmt::HashKey(gen, record.content_hash, record.file.path));
  Generation& g = batch->Gen(*this, gen);
  if (record.status == FileStatus::kIndexed) {
    --g.files_indexed;
  } else {
    --g.files_failed;
  }
  g.vectors -= std::min<uint64_t>(g.vectors, record.vector_ids.size());
  if (record.vector_ids.empty()) return;
  for (uint64_t id : record.vector_ids) batch->wb.Delete(fmt::VectorKey(gen, id));
  uint64_t seq = batch->counters.next_deletion++;
  batch->wb.Put(fmt::DeletionKey(gen, seq), fmt::EncodeIds(record.vector_ids));
  receipt->removed_ids.insert(receipt->removed_ids.end(), record.vector_ids.begin(),
                              record.vector_ids.end());
  receipt->deletion_seq = seq;
}

StatusOr<CommitReceipt> Catalog::CommitFile(const std::string& fingerprint,
                                            const FileResult& result, const CommitHook& hook) {
  VIDX_RETURN_IF_ERROR(CheckWritable());
  const std::string& path = result.file.path;
  if (path.empty()) return Status::InvalidArgument("a committed file needs a path");
  if (result.content_hash.find('/') != std::string::npos) {
    return Status::InvalidArgument("content hash of " + path + " contains '/'");
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<Generation> gen = FindLocked(fingerprint);
  if (!gen) {
    return Status::NotFound("catalog has no building or active generation for fingerprint " +
                            fingerprint);
  }
  const bool indexed = result.outcome == FileOutcome::kIndexed;
  if (indexed) {
    for (size_t i = 0; i < result.segments.size(); ++i) {
      const std::vector<float>& v = result.segments[i].vector;
      if (v.size() != gen->dimension) {
        return Status::InvalidArgument("segment " + std::to_string(i) + " of " + path + " has " +
                                       std::to_string(v.size()) + " floats, generation " +
                                       std::to_string(gen->id) + " expects " +
                                       std::to_string(gen->dimension));
      }
      for (float x : v) {
        if (!std::isfinite(x)) {
          return Status::InvalidArgument("segment " + std::to_string(i) + " of " + path +
                                         " holds a non-finite value");
        }
      }
    }
  }
  Batch batch(*this);
  CommitReceipt receipt;
  receipt.generation = gen->id;
  FileRecord record;
  std::string old_value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), fmt::FileKey(gen->id, path), &old_value);
  if (s.ok()) {
    StatusOr<FileRecord> old = fmt::DecodeFile(gen->id, path, old_value, format_version_);
    if (!old.ok()) return old.status();
    record.attempts = old->attempts;
    Unlink(*old, &batch, &receipt);
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "catalog " + path_ + " cannot be read");
  }
  record.file = result.file;
  record.content_hash = result.content_hash;
  record.status = indexed ? FileStatus::kIndexed : FileStatus::kFailed;
  record.error = result.error;
  record.failure = indexed ? FailureKind::kNone : result.failure;
  record.attempts += 1;
  record.duration = result.duration;
  record.codec = result.codec;
  record.generation = gen->id;
  record.updated_unix = NowUnix();
  if (indexed) {
    for (const Segment& seg : result.segments) {
      uint64_t id = batch.counters.next_vector++;
      record.vector_ids.push_back(id);
      batch.wb.Put(fmt::VectorKey(gen->id, id),
                   fmt::EncodeVector(path, seg.start, seg.end, seg.vector.data(), gen->dimension));
    }
  }
  receipt.added_ids = record.vector_ids;
  batch.wb.Put(fmt::FileKey(gen->id, path), fmt::EncodeFile(record));
  batch.wb.Put(fmt::HashKey(gen->id, record.content_hash, path), "");
  Generation& g = batch.Gen(*this, gen->id);
  if (indexed) {
    ++g.files_indexed;
  } else {
    ++g.files_failed;
  }
  g.vectors += record.vector_ids.size();
  VIDX_RETURN_IF_ERROR(Write(&batch));
  if (hook) hook(receipt);
  return receipt;
}

StatusOr<std::vector<CommitReceipt>> Catalog::RenameFile(const std::string& old_path,
                                                         const FileIdentity& renamed) {
  VIDX_RETURN_IF_ERROR(CheckWritable());
  if (renamed.path.empty() || renamed.path == old_path) {
    return Status::InvalidArgument("renaming " + old_path + " needs a different new path");
  }
  std::lock_guard<std::mutex> lock(mu_);
  Batch batch(*this);
  std::vector<CommitReceipt> receipts;
  for (const auto& [gen, g] : generations_) {
    if (g.state == GenerationState::kRetired) continue;
    StatusOr<std::optional<FileRecord>> moved = FindFile(gen, old_path);
    if (!moved.ok()) return moved.status();
    if (!*moved) continue;
    CommitReceipt receipt;
    receipt.generation = gen;
    StatusOr<std::optional<FileRecord>> dest = FindFile(gen, renamed.path);
    if (!dest.ok()) return dest.status();
    if (*dest) {
      Unlink(**dest, &batch, &receipt);
      batch.wb.Delete(fmt::FileKey(gen, renamed.path));
    }
    // Vector records carry the path: rewrite them under the same ids.
    for (uint64_t id : (*moved)->vector_ids) {
      std::string vec_value;
      VIDX_RETURN_IF_ERROR(
          FromRocks(db_->Get(rocksdb::ReadOptions(), fmt::VectorKey(gen, id), &vec_value),
                    "catalog vector " + std::to_string(id) + " of " + old_path));
      StatusOr<VectorRecord> v = fmt::DecodeVector(id, vec_value);
      if (!v.ok()) return v.status();
      batch.wb.Put(fmt::VectorKey(gen, id),
                   fmt::EncodeVector(renamed.path, v->start, v->end, v->vector.data(),
                                     static_cast<uint32_t>(v->vector.size())));
    }
    batch.wb.Delete(fmt::FileKey(gen, old_path));
    batch.wb.Delete(fmt::HashKey(gen, (*moved)->content_hash, old_path));
    FileRecord record = std::move(**moved);
    record.file = renamed;
    record.updated_unix = NowUnix();
    batch.wb.Put(fmt::FileKey(gen, renamed.path), fmt::EncodeFile(record));
    batch.wb.Put(fmt::HashKey(gen, record.content_hash, renamed.path), "");
    receipts.push_back(std::move(receipt));
  }
  if (receipts.empty()) return Status::NotFound("catalog does not know " + old_path);
  VIDX_RETURN_IF_ERROR(Write(&batch));
  return receipts;
}

StatusOr<std::vector<CommitReceipt>> Catalog::RemoveFile(const std::string& path) {
  VIDX_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard<std::mutex> lock(mu_);
  Batch batch(*this);
  std::vector<CommitReceipt> receipts;
  for (const auto& [gen, g] : generations_) {
    if (g.state == GenerationState::kRetired) continue;
    StatusOr<std::optional<FileRecord>> record = FindFile(gen, path);
    if (!record.ok()) return record.status();
    if (!*record) continue;
    CommitReceipt receipt;
    receipt.generation = gen;
    Unlink(**record, &batch, &receipt);
    batch.wb.Delete(fmt::FileKey(gen, path));
    receipts.push_back(std::move(receipt));
  }
  if (receipts.empty()) return receipts;
  VIDX_RETURN_IF_ERROR(Write(&batch));
  return receipts;
}

StatusOr<std::optional<FileRecord>> Catalog::FindFile(uint64_t generation,
                                                      const std::string& path) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), fmt::FileKey(generation, path), &value);
  if (s.IsNotFound()) return std::optional<FileRecord>();
  VIDX_RETURN_IF_ERROR(FromRocks(s, "catalog " + path_ + " cannot be read"));
  StatusOr<FileRecord> record = fmt::DecodeFile(generation, path, value, format_version_);
  if (!record.ok()) return record.status();
  return std::optional<FileRecord>(std::move(record).value());
}

StatusOr<FileRecord> Catalog::GetFile(uint64_t generation, const std::string& path) const {
  StatusOr<std::optional<FileRecord>> found = FindFile(generation, path);
  if (!found.ok()) return found.status();
  if (!*found) {
    return Status::NotFound("generation " + std::to_string(generation) + " does not know " + path);
  }
  return std::move(**found);
}

StatusOr<std::vector<FileRecord>> Catalog::FilesByContentHash(
    uint64_t generation, const std::string& content_hash) const {
  std::string prefix = fmt::GenerationScope(fmt::kHashPrefix, generation) + content_hash + "/";
  std::vector<std::string> paths;
  VIDX_RETURN_IF_ERROR(
      Scan(db_.get(), prefix, prefix, [&](const rocksdb::Slice& key, const rocksdb::Slice&) {
        paths.emplace_back(key.data() + prefix.size(), key.size() - prefix.size());
        return Status::Ok();
      }));
  std::vector<FileRecord> out;
  for (const std::string& p : paths) {
    StatusOr<FileRecord> r = GetFile(generation, p);
    if (r.ok())
      out.push_back(std::move(r).value());
    else if (r.status().code() != StatusCode::kNotFound)
      return r.status();
  }
  return out;
}

Status Catalog::ForEachFile(uint64_t generation,
                            const std::function<Status(const FileRecord&)>& fn) const {
  std::string prefix = fmt::GenerationScope(fmt::kFilePrefix, generation);
  return Scan(db_.get(), prefix, prefix,
              [&](const rocksdb::Slice& key, const rocksdb::Slice& value) -> Status {
                std::string path(key.data() + prefix.size(), key.size() - prefix.size());
                StatusOr<FileRecord> r =
                    fmt::DecodeFile(generation, path, std::string_view(value.data(), value.size()),
                                    format_version_);
                if (!r.ok()) return r.status();
                return fn(*r);
              });
}

std::optional<std::string> Catalog::Lookup(const FileIdentity& file) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), fmt::kHashCachePrefix + file.path, &value);
  if (!s.ok()) return std::nullopt;
  std::string expected_head = fmt::EncodeHashCacheEntry(file, "");
  if (value.size() != expected_head.size() + 64 ||
      value.compare(0, expected_head.size(), expected_head) != 0) {
    return std::nullopt;
  }
  return value.substr(expected_head.size());
}

Status Catalog::Store(const FileIdentity& file, const std::string& sha256) {
  if (read_only_) return Status::Ok();
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(
      db_->Put(wo, fmt::kHashCachePrefix + file.path, fmt::EncodeHashCacheEntry(file, sha256)),
      "catalog " + path_ + " write failed");
}

}  // namespace vidx
