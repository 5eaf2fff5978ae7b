// The catalog's vector and deletion-log reads, and the deletion log's trimming.
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "search/catalog.h"
#include "search/catalog_format.h"
#include "search/catalog_internal.h"

namespace vidx {

namespace fmt = catalog_format;
using catalog_internal::FromRocks;
using catalog_internal::PrefixEnd;
using catalog_internal::Scan;

StatusOr<VectorRecord> Catalog::GetVector(uint64_t generation, uint64_t id) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), fmt::VectorKey(generation, id), &value);
  if (s.IsNotFound()) {
    return Status::NotFound("generation " + std::to_string(generation) + " has no vector " +
                            std::to_string(id));
  }
  VIDX_RETURN_IF_ERROR(FromRocks(s, "catalog " + path_ + " cannot be read"));
  return fmt::DecodeVector(id, value);
}

StatusOr<std::vector<std::optional<VectorRecord>>> Catalog::GetVectors(
    uint64_t generation, const std::vector<uint64_t>& ids) const {
  std::vector<std::optional<VectorRecord>> out(ids.size());
  if (ids.empty()) return out;
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (uint64_t id : ids) keys.push_back(fmt::VectorKey(generation, id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  db_->MultiGet(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), ids.size(), slices.data(),
                values.data(), statuses.data());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    VIDX_RETURN_IF_ERROR(FromRocks(statuses[i], "catalog " + path_ + " cannot be read"));
    StatusOr<VectorRecord> v =
        fmt::DecodeVector(ids[i], std::string_view(values[i].data(), values[i].size()));
    if (!v.ok()) return v.status();
    out[i] = std::move(v).value();
  }
  return out;
}

Status Catalog::ForEachVector(uint64_t generation, uint64_t after_id,
                              const std::function<Status(const VectorRecord&)>& fn) const {
  std::string prefix = fmt::GenerationScope(fmt::kVectorPrefix, generation);
  if (after_id == UINT64_MAX) return Status::Ok();
  return Scan(db_.get(), prefix, fmt::VectorKey(generation, after_id + 1),
              [&](const rocksdb::Slice& key, const rocksdb::Slice& value) -> Status {
                if (key.size() != prefix.size() + 8) {
                  return Status::Corruption("catalog has a malformed vector key");
                }
                uint64_t id = fmt::ReadBigEndian64(key.data() + prefix.size());
                StatusOr<VectorRecord> v =
                    fmt::DecodeVector(id, std::string_view(value.data(), value.size()));
                if (!v.ok()) return v.status();
                return fn(*v);
              });
}

Status Catalog::ForEachDeletion(
    uint64_t generation, uint64_t after_seq,
    const std::function<Status(uint64_t, const std::vector<uint64_t>&)>& fn) const {
  std::string prefix = fmt::GenerationScope(fmt::kDeletionPrefix, generation);
  if (after_seq == UINT64_MAX) return Status::Ok();
  return Scan(db_.get(), prefix, fmt::DeletionKey(generation, after_seq + 1),
              [&](const rocksdb::Slice& key, const rocksdb::Slice& value) -> Status {
                if (key.size() != prefix.size() + 8) {
                  return Status::Corruption("catalog has a malformed deletion key");
                }
                uint64_t seq = fmt::ReadBigEndian64(key.data() + prefix.size());
                StatusOr<std::vector<uint64_t>> ids =
                    fmt::DecodeIds(std::string_view(value.data(), value.size()));
                if (!ids.ok()) return ids.status();
                return fn(seq, *ids);
              });
}

uint64_t Catalog::LastDeletionSeq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_.next_deletion - 1;
}

Status Catalog::TrimDeletionLog(uint64_t generation, uint64_t up_to) {
  VIDX_RETURN_IF_ERROR(CheckWritable());
  std::string begin = fmt::GenerationScope(fmt::kDeletionPrefix, generation);
  std::string end =
      up_to == UINT64_MAX ? PrefixEnd(begin) : fmt::DeletionKey(generation, up_to + 1);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db_->DeleteRange(wo, db_->DefaultColumnFamily(), begin, end),
                   "catalog " + path_ + " write failed");
}

}  // namespace vidx
