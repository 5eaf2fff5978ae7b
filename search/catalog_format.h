// Byte layouts of the catalog's keys and records (format version 2, docs/storage.md).
//
// Integers inside keys are big-endian so that RocksDB's bytewise order is numeric order;
// integers and floats inside values are little-endian. Every decoder checks bounds and
// returns kCorruption naming the record kind rather than reading past the end.
//
// Internal to search/: the catalog and its tests use it; nothing else should.
#ifndef VIDX_SEARCH_CATALOG_FORMAT_H_
#define VIDX_SEARCH_CATALOG_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "search/catalog_types.h"

namespace vidx {
namespace catalog_format {

// The version this code writes. Version 1 differs only in the file record (no failure kind);
// it is still read (DecodeFile) and migrated on a writable open (search/catalog_migrate.cpp).
constexpr int kFormatVersion = 2;
constexpr int kOldestReadableVersion = 1;

// Singleton keys (values: decimal text).
constexpr char kFormatKey[] = "meta/format";
constexpr char kActiveKey[] = "meta/active";
constexpr char kNextGenerationKey[] = "meta/next-generation";
constexpr char kNextVectorKey[] = "meta/next-vector";
constexpr char kNextDeletionKey[] = "meta/next-deletion";
constexpr char kHashCachePrefix[] = "ckpt-hash/";

// Prefixes of the per-generation key spaces; each is followed by be64(generation).
constexpr char kGenerationPrefix[] = "gen/";
constexpr char kFilePrefix[] = "file/";
constexpr char kHashPrefix[] = "hash/";
constexpr char kVectorPrefix[] = "vec/";
constexpr char kDeletionPrefix[] = "del/";

std::string BigEndian64(uint64_t v);
uint64_t ReadBigEndian64(const char* p);

// "<prefix><be64 generation>": every key of that kind for the generation starts with this.
std::string GenerationScope(const char* prefix, uint64_t generation);

std::string GenerationKey(uint64_t generation);
std::string FileKey(uint64_t generation, const std::string& path);
// content hash (hex, no '/') + '/' + path; value empty.
std::string HashKey(uint64_t generation, const std::string& content_hash, const std::string& path);
std::string VectorKey(uint64_t generation, uint64_t id);
std::string DeletionKey(uint64_t generation, uint64_t seq);

std::string EncodeGeneration(const Generation& g);
StatusOr<Generation> DecodeGeneration(uint64_t id, std::string_view value);

// Always the current layout.
std::string EncodeFile(const FileRecord& f);
// `version` is the catalog's format version (kOldestReadableVersion..kFormatVersion). A
// version-1 record has no failure kind: a failed one reads as FailureKind::kUnknown.
StatusOr<FileRecord> DecodeFile(uint64_t generation, const std::string& path,
                                std::string_view value, int version = kFormatVersion);

std::string EncodeVector(const std::string& path, double start, double end, const float* v,
                         uint32_t dim);
StatusOr<VectorRecord> DecodeVector(uint64_t id, std::string_view value);

std::string EncodeIds(const std::vector<uint64_t>& ids);
StatusOr<std::vector<uint64_t>> DecodeIds(std::string_view value);

std::string EncodeHashCacheEntry(const FileIdentity& f, const std::string& sha256);

// A counter value (meta/next-*, meta/active, the format version): decimal digits only, no
// overflow. False for anything else.
bool ParseCounter(const std::string& s, uint64_t* out);

}  // namespace catalog_format
}  // namespace vidx

#endif  // VIDX_SEARCH_CATALOG_FORMAT_H_
