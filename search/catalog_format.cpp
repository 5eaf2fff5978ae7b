#include "search/catalog_format.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace vidx {

const char* GenerationStateName(GenerationState s) {
  switch (s) {
    case GenerationState::kBuilding:
      return "building";
    case GenerationState::kActive:
      return "active";
    case GenerationState::kRetired:
      return "retired";
  }
  return "unknown";
}

namespace catalog_format {
namespace {

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE-754 floats expected");

void PutLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put32(std::string* out, uint32_t v) { PutLE(out, v, 4); }
void Put64(std::string* out, uint64_t v) { PutLE(out, v, 8); }
void PutDouble(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  Put64(out, bits);
}
void PutString(std::string* out, const std::string& s) {
  Put32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

// Bounds-checked little-endian reader over one value.
class Reader {
 public:
  Reader(std::string_view data, const char* what) : data_(data), what_(what) {}
  bool ok() const { return ok_; }
  uint64_t LE(int bytes) {
    if (!Need(bytes)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += bytes;
    return v;
  }
  uint8_t U8() { return static_cast<uint8_t>(LE(1)); }
  uint32_t U32() { return static_cast<uint32_t>(LE(4)); }
  uint64_t U64() { return LE(8); }
  double Double() {
    uint64_t bits = U64();
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  std::string String() {
    uint32_t n = U32();
    if (!Need(n)) return {};
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  const char* Bytes(size_t n) {
    if (!Need(n)) return nullptr;
    const char* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  Status Finish() const {
    if (!ok_) return Status::Corruption(std::string("catalog ") + what_ + " record is truncated");
    if (pos_ != data_.size()) {
      return Status::Corruption(std::string("catalog ") + what_ + " record has trailing bytes");
    }
    return Status::Ok();
  }

 private:
  bool Need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  std::string_view data_;
  const char* what_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string BigEndian64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * (7 - i))) & 0xff);
  return s;
}

uint64_t ReadBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

std::string GenerationScope(const char* prefix, uint64_t generation) {
  return prefix + BigEndian64(generation);
}

std::string GenerationKey(uint64_t generation) {
  return GenerationScope(kGenerationPrefix, generation);
}

std::string FileKey(uint64_t generation, const std::string& path) {
  return GenerationScope(kFilePrefix, generation) + path;
}

std::string HashKey(uint64_t generation, const std::string& content_hash, const std::string& path) {
  return GenerationScope(kHashPrefix, generation) + content_hash + "/" + path;
}

std::string VectorKey(uint64_t generation, uint64_t id) {
  return GenerationScope(kVectorPrefix, generation) + BigEndian64(id);
}

std::string DeletionKey(uint64_t generation, uint64_t seq) {
  return GenerationScope(kDeletionPrefix, generation) + BigEndian64(seq);
}

std::string EncodeGeneration(const Generation& g) {
  std::string out;
  out.push_back(static_cast<char>(g.state));
  Put32(&out, g.dimension);
  Put64(&out, static_cast<uint64_t>(g.created_unix));
  Put64(&out, g.files_indexed);
  Put64(&out, g.files_failed);
  Put64(&out, g.vectors);
  PutString(&out, g.fingerprint);
  return out;
}

StatusOr<Generation> DecodeGeneration(uint64_t id, std::string_view value) {
  Reader r(value, "generation");
  Generation g;
  g.id = id;
  uint8_t state = r.U8();
  g.dimension = r.U32();
  g.created_unix = static_cast<int64_t>(r.U64());
  g.files_indexed = r.U64();
  g.files_failed = r.U64();
  g.vectors = r.U64();
  g.fingerprint = r.String();
  VIDX_RETURN_IF_ERROR(r.Finish());
  if (state > static_cast<uint8_t>(GenerationState::kRetired)) {
    return Status::Corruption("catalog generation " + std::to_string(id) + " has unknown state " +
                              std::to_string(state));
  }
  g.state = static_cast<GenerationState>(state);
  return g;
}

std::string EncodeFile(const FileRecord& f) {
  std::string out;
  Put64(&out, f.file.size);
  Put64(&out, static_cast<uint64_t>(f.file.mtime_ns));
  Put64(&out, f.file.inode);
  Put64(&out, f.file.device);
  PutString(&out, f.content_hash);
  out.push_back(static_cast<char>(f.status));
  PutString(&out, f.error);
  Put32(&out, f.attempts);
  PutDouble(&out, f.duration);
  PutString(&out, f.codec);
  Put64(&out, static_cast<uint64_t>(f.updated_unix));
  Put32(&out, static_cast<uint32_t>(f.vector_ids.size()));
  for (uint64_t id : f.vector_ids) Put64(&out, id);
  out.push_back(static_cast<char>(f.failure));  // since version 2
  return out;
}

StatusOr<FileRecord> DecodeFile(uint64_t generation, const std::string& path,
                                std::string_view value, int version) {
  Reader r(value, "file");
  FileRecord f;
  f.generation = generation;
  f.file.path = path;
  f.file.size = r.U64();
  f.file.mtime_ns = static_cast<int64_t>(r.U64());
  f.file.inode = r.U64();
  f.file.device = r.U64();
  f.content_hash = r.String();
  uint8_t status = r.U8();
  f.error = r.String();
  f.attempts = r.U32();
  f.duration = r.Double();
  f.codec = r.String();
  f.updated_unix = static_cast<int64_t>(r.U64());
  uint32_t n = r.U32();
  if (r.ok() && n <= value.size() / 8) {
    f.vector_ids.reserve(n);
    for (uint32_t i = 0; i < n; ++i) f.vector_ids.push_back(r.U64());
  } else {
    r.Bytes(value.size() + 1);  // forces the truncation error
  }
  uint8_t failure = 0;
  if (version >= 2) failure = r.U8();
  VIDX_RETURN_IF_ERROR(r.Finish().WithContext(path));
  if (status > static_cast<uint8_t>(FileStatus::kFailed)) {
    return Status::Corruption("catalog file record of " + path + " has unknown status");
  }
  f.status = static_cast<FileStatus>(status);
  if (version < 2) {
    f.failure = f.status == FileStatus::kFailed ? FailureKind::kUnknown : FailureKind::kNone;
  } else if (failure > static_cast<uint8_t>(FailureKind::kUnknown)) {
    return Status::Corruption("catalog file record of " + path + " has unknown failure kind " +
                              std::to_string(failure));
  } else {
    f.failure = static_cast<FailureKind>(failure);
  }
  return f;
}

std::string EncodeVector(const std::string& path, double start, double end, const float* v,
                         uint32_t dim) {
  std::string out;
  out.reserve(4 + path.size() + 20 + 4 * size_t{dim});
  PutString(&out, path);
  PutDouble(&out, start);
  PutDouble(&out, end);
  Put32(&out, dim);
  for (uint32_t i = 0; i < dim; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &v[i], 4);
    Put32(&out, bits);
  }
  return out;
}

StatusOr<VectorRecord> DecodeVector(uint64_t id, std::string_view value) {
  Reader r(value, "vector");
  VectorRecord v;
  v.id = id;
  v.path = r.String();
  v.start = r.Double();
  v.end = r.Double();
  uint32_t dim = r.U32();
  const char* p =
      (r.ok() && dim <= value.size() / 4) ? r.Bytes(size_t{dim} * 4) : r.Bytes(value.size() + 1);
  VIDX_RETURN_IF_ERROR(r.Finish().WithContext("vector " + std::to_string(id)));
  v.vector.resize(dim);
  for (uint32_t i = 0; i < dim; ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) {
      bits |= static_cast<uint32_t>(static_cast<uint8_t>(p[4 * i + b])) << (8 * b);
    }
    std::memcpy(&v.vector[i], &bits, 4);
  }
  return v;
}

std::string EncodeIds(const std::vector<uint64_t>& ids) {
  std::string out;
  Put32(&out, static_cast<uint32_t>(ids.size()));
  for (uint64_t id : ids) Put64(&out, id);
  return out;
}

StatusOr<std::vector<uint64_t>> DecodeIds(std::string_view value) {
  Reader r(value, "deletion");
  uint32_t n = r.U32();
  std::vector<uint64_t> ids;
  if (r.ok() && n <= value.size() / 8) {
    ids.reserve(n);
    for (uint32_t i = 0; i < n; ++i) ids.push_back(r.U64());
  } else {
    r.Bytes(value.size() + 1);
  }
  VIDX_RETURN_IF_ERROR(r.Finish());
  return ids;
}

std::string EncodeHashCacheEntry(const FileIdentity& f, const std::string& sha256) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "v1 %" PRIu64 " %" PRId64 " %" PRIu64 " %" PRIu64 " ", f.size,
                f.mtime_ns, f.inode, f.device);
  return buf + sha256;
}

bool ParseCounter(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

}  // namespace catalog_format
}  // namespace vidx
