// Catalog::MergeFrom (search/catalog_merge.h): the merged records are produced in ascending
// key order (del/ < file/ < gen/ < hash/ < meta/ < vec/, all of one generation) and written as
// one SST file that RocksDB ingests atomically, or as synced batches for the benchmark's peer.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include "search/catalog.h"
#include "search/catalog_format.h"
#include "search/catalog_internal.h"

namespace vidx {

namespace fmt = catalog_format;
using catalog_internal::FromRocks;

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Receives records in ascending key order.
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  virtual Status Put(const std::string& key, const std::string& value) = 0;
  virtual Status Delete(const std::string& key) = 0;
  virtual Status Finish() = 0;
  uint64_t bytes = 0;
};

class SstRecordWriter : public RecordWriter {
 public:
  SstRecordWriter(const rocksdb::Options& options, std::string path)
      : writer_(rocksdb::EnvOptions(), options), path_(std::move(path)) {}
  Status Open() { return FromRocks(writer_.Open(path_), "cannot create " + path_); }
  Status Put(const std::string& key, const std::string& value) override {
    bytes += key.size() + value.size();
    return FromRocks(writer_.Put(key, value), "cannot write " + path_);
  }
  Status Delete(const std::string& key) override {
    bytes += key.size();
    return FromRocks(writer_.Delete(key), "cannot write " + path_);
  }
  Status Finish() override { return FromRocks(writer_.Finish(), "cannot finish " + path_); }

 private:
  rocksdb::SstFileWriter writer_;
  const std::string path_;
};

class BatchRecordWriter : public RecordWriter {
 public:
  BatchRecordWriter(rocksdb::DB* db, std::string what) : db_(db), what_(std::move(what)) {}
  Status Put(const std::string& key, const std::string& value) override {
    bytes += key.size() + value.size();
    wb_.Put(key, value);
    return MaybeFlush();
  }
  Status Delete(const std::string& key) override {
    bytes += key.size();
    wb_.Delete(key);
    return MaybeFlush();
  }
  Status Finish() override { return Flush(); }

 private:
  Status MaybeFlush() { return wb_.GetDataSize() >= (8u << 20) ? Flush() : Status::Ok(); }
  Status Flush() {
    if (wb_.Count() == 0) return Status::Ok();
    rocksdb::WriteOptions wo;
    wo.sync = true;
    Status s = FromRocks(db_->Write(wo, &wb_), what_);
    wb_.Clear();
    return s;
  }
  rocksdb::DB* db_;
  const std::string what_;
  rocksdb::WriteBatch wb_;
};

struct Incoming {
  const MergeSource* source = nullptr;
  FileRecord record;
  std::optional<FileRecord> old;  // the target's record when it is replaced
  std::vector<uint64_t> new_ids;
};

// Unchanged as triage decides it (size, mtime, inode: the device number differs between the
// nodes of a cluster mounting one export), with the same content, outcome and vector count.
bool SameRecord(const FileRecord& a, const FileRecord& b) {
  return a.file.path == b.file.path && SameFileState(a.file, b.file) &&
         a.content_hash == b.content_hash && a.status == b.status && a.failure == b.failure &&
         a.vector_ids.size() == b.vector_ids.size();
}

}  // namespace

Status Catalog::ReloadState() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    generations_.clear();
    counters_ = Counters();
    active_ = 0;
  }
  return LoadState();
}

StatusOr<MergeResult> Catalog::MergeFrom(const std::vector<MergeSource>& sources,
                                         const MergeOptions& options) {
  VIDX_RETURN_IF_ERROR(CheckWritable());
  const auto started = std::chrono::steady_clock::now();
  MergeResult result;
  Counters counters;
  uint64_t active = 0;
  std::optional<Generation> existing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    counters = counters_;
    active = active_;
    existing = FindLocked(options.fingerprint);
  }
  if (!existing && active != 0) {
    return Status::FailedPrecondition("catalog " + path_ +
                                      " has an active generation of fingerprint " +
                                      generations_.at(active).fingerprint + ", not the shards' " +
                                      options.fingerprint + "; merge into a new state directory");
  }
  Generation gen;
  bool new_generation = !existing.has_value();
  if (existing) {
    gen = *existing;
    if (gen.dimension != options.dimension) {
      return Status::InvalidArgument("catalog " + path_ + " generation " + std::to_string(gen.id) +
                                     " has dimension " + std::to_string(gen.dimension) +
                                     ", the shards " + std::to_string(options.dimension));
    }
  } else {
    gen.id = counters.next_generation++;
    gen.fingerprint = options.fingerprint;
    gen.dimension = options.dimension;
    gen.state = GenerationState::kActive;
    gen.created_unix = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  }
  result.generation = gen.id;

  // Every source record, by path; a path in two sources is refused.
  std::map<std::string, Incoming> incoming;
  for (const MergeSource& source : sources) {
    VIDX_RETURN_IF_ERROR(
        source.catalog->ForEachFile(source.generation, [&](const FileRecord& r) -> Status {
          auto [it, inserted] = incoming.try_emplace(r.file.path);
          if (!inserted) {
            return Status::FailedPrecondition("file " + r.file.path + " is in two shards: " +
                                              it->second.source->name + " and " + source.name);
          }
          it->second.source = &source;
          it->second.record = r;
          return Status::Ok();
        }));
  }
  std::vector<uint64_t> removed;
  std::map<std::string, bool> hash_keys;  // key -> put (true) or delete (false)
  for (auto it = incoming.begin(); it != incoming.end();) {
    Incoming& in = it->second;
    if (!new_generation) {
      StatusOr<std::optional<FileRecord>> old = FindFile(gen.id, it->first);
      if (!old.ok()) return old.status();
      if (*old && SameRecord(**old, in.record)) {
        ++result.files_unchanged;
        it = incoming.erase(it);
        continue;
      }
      in.old = std::move(*old);
    }
    if (in.old) {
      const FileRecord& o = *in.old;
      removed.insert(removed.end(), o.vector_ids.begin(), o.vector_ids.end());
      hash_keys[fmt::HashKey(gen.id, o.content_hash, o.file.path)] = false;
      (o.status == FileStatus::kIndexed ? gen.files_indexed : gen.files_failed) -= 1;
      gen.vectors -= o.vector_ids.size();
      ++result.files_replaced;
    } else {
      ++result.files_added;
    }
    for (size_t i = 0; i < in.record.vector_ids.size(); ++i) {
      in.new_ids.push_back(counters.next_vector++);
    }
    hash_keys[fmt::HashKey(gen.id, in.record.content_hash, it->first)] = true;
    (in.record.status == FileStatus::kIndexed ? gen.files_indexed : gen.files_failed) += 1;
    gen.vectors += in.new_ids.size();
    result.vectors_added += in.new_ids.size();
    ++it;
  }
  result.vectors_removed = removed.size();
  if (incoming.empty()) return result;  // nothing to write: already merged

  std::unique_ptr<RecordWriter> writer;
  std::string sst_path;
  if (options.mode == BulkWriteMode::kIngest) {
    std::error_code ec;
    std::filesystem::create_directories(options.staging_dir, ec);
    if (ec) return Status::IoError("cannot create " + options.staging_dir + ": " + ec.message());
    sst_path = (std::filesystem::path(options.staging_dir) / "merge.sst").string();
    std::filesystem::remove(sst_path, ec);
    rocksdb::Options ro;
    auto sst = std::make_unique<SstRecordWriter>(ro, sst_path);
    VIDX_RETURN_IF_ERROR(sst->Open());
    writer = std::move(sst);
  } else {
    writer = std::make_unique<BatchRecordWriter>(db_.get(), "catalog " + path_ + " write failed");
  }

  std::sort(removed.begin(), removed.end());
  if (!removed.empty()) {
    VIDX_RETURN_IF_ERROR(
        writer->Put(fmt::DeletionKey(gen.id, counters.next_deletion++), fmt::EncodeIds(removed)));
  }
  for (auto& [path, in] : incoming) {
    FileRecord r = in.record;
    r.generation = gen.id;
    r.vector_ids = in.new_ids;
    if (in.old) r.attempts = std::max(r.attempts, in.old->attempts + 1);
    VIDX_RETURN_IF_ERROR(writer->Put(fmt::FileKey(gen.id, path), fmt::EncodeFile(r)));
  }
  VIDX_RETURN_IF_ERROR(writer->Put(fmt::GenerationKey(gen.id), fmt::EncodeGeneration(gen)));
  for (const auto& [key, put] : hash_keys) {
    VIDX_RETURN_IF_ERROR(put ? writer->Put(key, "") : writer->Delete(key));
  }
  if (new_generation && active == 0) {
    VIDX_RETURN_IF_ERROR(writer->Put(fmt::kActiveKey, std::to_string(gen.id)));
  }
  VIDX_RETURN_IF_ERROR(writer->Put(fmt::kNextDeletionKey, std::to_string(counters.next_deletion)));
  VIDX_RETURN_IF_ERROR(
      writer->Put(fmt::kNextGenerationKey, std::to_string(counters.next_generation)));
  VIDX_RETURN_IF_ERROR(writer->Put(fmt::kNextVectorKey, std::to_string(counters.next_vector)));
  for (uint64_t id : removed) VIDX_RETURN_IF_ERROR(writer->Delete(fmt::VectorKey(gen.id, id)));
  for (const auto& [path, in] : incoming) {
    StatusOr<std::vector<std::optional<VectorRecord>>> vectors =
        in.source->catalog->GetVectors(in.source->generation, in.record.vector_ids);
    if (!vectors.ok()) return vectors.status().WithContext("shard " + in.source->name);
    for (size_t i = 0; i < vectors->size(); ++i) {
      const std::optional<VectorRecord>& v = (*vectors)[i];
      if (!v) {
        return Status::Corruption("shard " + in.source->name + " lacks vector " +
                                  std::to_string(in.record.vector_ids[i]) + " of " + path);
      }
      if (v->vector.size() != options.dimension) {
        return Status::InvalidArgument("shard " + in.source->name + " holds a vector of " +
                                       std::to_string(v->vector.size()) + " floats for " + path +
                                       ", not " + std::to_string(options.dimension));
      }
      VIDX_RETURN_IF_ERROR(writer->Put(
          fmt::VectorKey(gen.id, in.new_ids[i]),
          fmt::EncodeVector(path, v->start, v->end, v->vector.data(), options.dimension)));
    }
  }
  VIDX_RETURN_IF_ERROR(writer->Finish());
  result.bytes = writer->bytes;
  result.seconds_prepare = Since(started);
  if (options.mode == BulkWriteMode::kIngest) {
    const auto ingest_started = std::chrono::steady_clock::now();
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;  // a hard link: the staging directory is on the catalog's disk
    VIDX_RETURN_IF_ERROR(FromRocks(db_->IngestExternalFile({sst_path}, io),
                                   "catalog " + path_ + " cannot ingest " + sst_path));
    std::error_code ec;
    std::filesystem::remove(sst_path, ec);
    result.seconds_ingest = Since(ingest_started);
  }
  VIDX_RETURN_IF_ERROR(ReloadState());
  return result;
}

}  // namespace vidx
