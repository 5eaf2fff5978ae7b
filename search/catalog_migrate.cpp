// The catalog's format version at open: refusing newer ones, migrating older ones.
//
// Why migrate at open rather than read old records lazily: with one synced batch the version
// key always tells the layout of every record, so no record needs a layout tag of its own and
// the repair tool, the fixture tests and any later migration only ever see one version per
// catalog. The cost is one pass over the file records on the first writable open (about
// 100 bytes each, so a million files is a batch of about 100 MB, once). A read-only open (a
// second process while the daemon holds the lock, or an old catalog opened read-only) does
// not migrate: it decodes the stored version's layout.
#include <string>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "search/catalog.h"
#include "search/catalog_format.h"
#include "search/catalog_internal.h"

namespace vidx {

namespace fmt = catalog_format;
using catalog_internal::FromRocks;
using catalog_internal::Scan;

namespace {

// Version 1 -> 2: the file record gained its failure kind (kUnknown for failed records).
Status RewriteFileRecords(rocksdb::DB* db, int from, rocksdb::WriteBatch* wb, uint64_t* rewritten) {
  const size_t prefix_size = sizeof(fmt::kFilePrefix) - 1;
  return Scan(db, fmt::kFilePrefix, fmt::kFilePrefix,
              [&](const rocksdb::Slice& key, const rocksdb::Slice& value) -> Status {
                if (key.size() < prefix_size + 8) {
                  return Status::Corruption("catalog has a malformed file key");
                }
                const uint64_t gen = fmt::ReadBigEndian64(key.data() + prefix_size);
                const std::string path(key.data() + prefix_size + 8, key.size() - prefix_size - 8);
                StatusOr<FileRecord> r =
                    fmt::DecodeFile(gen, path, std::string_view(value.data(), value.size()), from);
                if (!r.ok()) return r.status();
                wb->Put(key, fmt::EncodeFile(*r));
                ++*rewritten;
                return Status::Ok();
              });
}

}  // namespace

Status Catalog::CheckFormatLocked() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), fmt::kFormatKey, &value);
  uint64_t version = 0;
  if (s.ok()) {
    if (!fmt::ParseCounter(value, &version) || version == 0) {
      return Status::Corruption("catalog " + path_ + ": key " + fmt::kFormatKey + " holds '" +
                                value + "', not a format version");
    }
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "catalog " + path_ + " cannot be read");
  }
  if (version > static_cast<uint64_t>(fmt::kFormatVersion)) {
    return Status::FailedPrecondition(
        "catalog " + path_ + " has format version " + std::to_string(version) +
        ", newer than this vidx understands (" + std::to_string(fmt::kFormatVersion) +
        "); run a newer vidx or point state_dir elsewhere");
  }
  if (version == 0) {
    // A new database, or one written before the version key existed (the checkpoint-hash
    // cache alone): no record whose layout ever changed.
    format_version_ = fmt::kFormatVersion;
    if (read_only_) return Status::Ok();
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Put(wo, fmt::kFormatKey, std::to_string(fmt::kFormatVersion)),
                     "catalog " + path_ + " cannot be written");
  }
  format_version_ = static_cast<int>(version);
  if (read_only_ || format_version_ == fmt::kFormatVersion) return Status::Ok();

  rocksdb::WriteBatch wb;
  uint64_t rewritten = 0;
  VIDX_RETURN_IF_ERROR(RewriteFileRecords(db_.get(), format_version_, &wb, &rewritten)
                           .WithContext("catalog " + path_ + " cannot be migrated from format " +
                                        std::to_string(format_version_)));
  wb.Put(fmt::kFormatKey, std::to_string(fmt::kFormatVersion));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  VIDX_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "catalog " + path_ + " migration failed"));
  format_version_ = fmt::kFormatVersion;
  return Status::Ok();
}

}  // namespace vidx
