#include "search/hash_cache.h"

#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

namespace vidx {
namespace {

constexpr char kPrefix[] = "ckpt-hash/";

std::string Encode(const FileIdentity& f, const std::string& sha256) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "v1 %" PRIu64 " %" PRId64 " %" PRIu64 " %" PRIu64 " ", f.size,
                f.mtime_ns, f.inode, f.device);
  return buf + sha256;
}

}  // namespace

RocksHashCache::RocksHashCache(std::unique_ptr<rocksdb::DB> db, bool read_only)
    : db_(std::move(db)), read_only_(read_only) {}

RocksHashCache::~RocksHashCache() = default;

StatusOr<std::unique_ptr<RocksHashCache>> RocksHashCache::Open(const std::string& state_dir) {
  std::string path = (std::filesystem::path(state_dir) / "catalog").string();
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Status::IoError("catalog " + path + " cannot be created: " + ec.message());
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  bool read_only = false;
  if (!s.ok() && s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    s = rocksdb::DB::OpenForReadOnly(options, path, &raw);
    read_only = true;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) {
    return Status::IoError("catalog " + path + " cannot be opened: " + s.ToString());
  }
  return std::unique_ptr<RocksHashCache>(new RocksHashCache(std::move(db), read_only));
}

std::optional<std::string> RocksHashCache::Lookup(const FileIdentity& file) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kPrefix + file.path, &value);
  if (!s.ok()) return std::nullopt;
  std::string expected_head = Encode(file, "");
  if (value.size() != expected_head.size() + 64 || value.compare(0, expected_head.size(),
                                                                 expected_head) != 0) {
    return std::nullopt;
  }
  return value.substr(expected_head.size());
}

Status RocksHashCache::Store(const FileIdentity& file, const std::string& sha256) {
  if (read_only_) return Status::Ok();
  rocksdb::WriteOptions options;
  options.sync = true;
  rocksdb::Status s = db_->Put(options, kPrefix + file.path, Encode(file, sha256));
  if (!s.ok()) return Status::IoError("catalog write failed: " + s.ToString());
  return Status::Ok();
}

}  // namespace vidx
