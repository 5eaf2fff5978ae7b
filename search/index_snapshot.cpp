// VectorIndex::Save and VectorIndex::Load: the snapshot files of docs/storage.md.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>
#include <unordered_set>
#include <vector>

#include <faiss/IVFlib.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>

#include "indexer/model/sha256.h"
#include "search/vector_index.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[] = "vidx-index-snapshot";
constexpr char kMetaName[] = "meta";
constexpr size_t kMaxMetaBytes = 64 * 1024;

// A file descriptor closed on scope exit.
struct Fd {
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int fd;
};

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Writes everything FAISS serialises to an fd while hashing it.
class HashingWriter : public faiss::IOWriter {
 public:
  explicit HashingWriter(int fd) : fd_(fd) {}
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    const char* p = static_cast<const char*>(ptr);
    size_t left = size * nitems;
    sha_.Update(p, left);
    bytes_ += left;
    while (left > 0) {
      ssize_t w = ::write(fd_, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error_ = errno == 0 ? EIO : errno;
        return 0;
      }
      p += w;
      left -= static_cast<size_t>(w);
    }
    return nitems;
  }
  std::string Digest() { return sha_.HexDigest(); }
  uint64_t bytes() const { return bytes_; }
  int error() const { return error_; }

 private:
  int fd_;
  Sha256 sha_;
  uint64_t bytes_ = 0;
  int error_ = 0;
};

Status FsyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  if (fd.fd < 0 || ::fsync(fd.fd) != 0) return Status::IoError(Errno("cannot fsync " + dir));
  return Status::Ok();
}

// Creates dir/name.tmp, lets `fill` write it, fsyncs and renames it to dir/name.
// `digest`/`bytes` get what was written.
Status WriteDurably(const std::string& dir, const std::string& name,
                    const std::function<Status(HashingWriter*)>& fill, std::string* digest,
                    uint64_t* bytes) {
  std::string final_path = dir + "/" + name;
  std::string tmp = final_path + ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.fd < 0) return Status::IoError(Errno("cannot create " + tmp));
    HashingWriter writer(fd.fd);
    Status s = fill(&writer);
    if (s.ok() && writer.error() != 0) {
      s = Status::IoError(tmp + " cannot be written: " + std::strerror(writer.error()));
    }
    if (s.ok() && ::fsync(fd.fd) != 0) s = Status::IoError(Errno("cannot fsync " + tmp));
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
    if (digest != nullptr) *digest = writer.Digest();
    if (bytes != nullptr) *bytes = writer.bytes();
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    Status s = Status::IoError(Errno("cannot rename " + tmp));
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

// sha256 and size of a whole file, read in 1 MiB blocks.
Status HashFile(const std::string& path, std::string* digest, uint64_t* bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) {
    if (errno == ENOENT) return Status::Corruption("snapshot file " + path + " is missing");
    return Status::IoError(Errno("cannot open " + path));
  }
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  for (;;) {
    ssize_t r = ::read(fd.fd, buf.data(), buf.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::IoError(Errno("cannot read " + path));
    if (r == 0) break;
    sha.Update(buf.data(), static_cast<size_t>(r));
    total += static_cast<uint64_t>(r);
  }
  *digest = sha.HexDigest();
  *bytes = total;
  return Status::Ok();
}

Status ReadSmallFile(const std::string& path, std::string* out) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no snapshot at " + path);
    return Status::IoError(Errno("cannot open " + path));
  }
  out->clear();
  char buf[8192];
  for (;;) {
    ssize_t r = ::read(fd.fd, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::IoError(Errno("cannot read " + path));
    if (r == 0) break;
    out->append(buf, static_cast<size_t>(r));
    if (out->size() > kMaxMetaBytes)
      return Status::Corruption(path + " is too large for a meta file");
  }
  return Status::Ok();
}

bool ParseU64(const std::string& s, uint64_t* v) {
  if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *v = std::stoull(s);
  return true;
}

}  // namespace

Status VectorIndex::Save(const std::string& dir, uint64_t generation) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return Status::IoError("snapshot directory " + dir + " cannot be created: " + ec.message());
  const std::string nonce =
      std::to_string(max_id_) + "-" + std::to_string(deletion_seq_) + "-" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  const std::string index_name = "index-" + nonce + ".faiss";
  const std::string tomb_name = "tombstones-" + nonce + ".bin";
  std::string index_sha, tomb_sha;
  uint64_t index_bytes = 0, tomb_bytes = 0;
  VIDX_RETURN_IF_ERROR(WriteDurably(
      dir, index_name,
      [&](HashingWriter* w) -> Status {
        try {
          faiss::write_index(index_.get(), w);
        } catch (const std::exception& e) {
          return Status::IoError("snapshot " + dir + "/" + index_name +
                                 " cannot be written: " + e.what());
        }
        return Status::Ok();
      },
      &index_sha, &index_bytes));
  std::vector<int64_t> dead(tombstones_.begin(), tombstones_.end());
  std::sort(dead.begin(), dead.end());
  VIDX_RETURN_IF_ERROR(WriteDurably(
      dir, tomb_name,
      [&](HashingWriter* w) -> Status {
        for (int64_t id : dead) {
          unsigned char le[8];
          for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(uint64_t(id) >> (8 * i));
          (*w)(le, 1, 8);
        }
        return Status::Ok();
      },
      &tomb_sha, &tomb_bytes));
  std::ostringstream meta;
  meta << kMagic << " " << kSnapshotFormatVersion << "\n"
       << "generation " << generation << "\n"
       << "factory " << factory_ << "\n"
       << "effective_factory " << effective_factory_ << "\n"
       << "dimension " << dim_ << "\n"
       << "max_vector_id " << max_id_ << "\n"
       << "deletion_seq " << deletion_seq_ << "\n"
       << "count " << (present_.size() - tombstones_.size()) << "\n"
       << "tombstones " << tombstones_.size() << "\n"
       << "index_file " << index_name << "\n"
       << "index_bytes " << index_bytes << "\n"
       << "index_sha256 " << index_sha << "\n"
       << "tombstones_file " << tomb_name << "\n"
       << "tombstones_bytes " << tomb_bytes << "\n"
       << "tombstones_sha256 " << tomb_sha << "\n";
  std::string body = meta.str();
  body += "meta_sha256 " + Sha256Hex(body) + "\n";
  VIDX_RETURN_IF_ERROR(WriteDurably(
      dir, kMetaName,
      [&](HashingWriter* w) -> Status {
        (*w)(body.data(), 1, body.size());
        return Status::Ok();
      },
      nullptr, nullptr));
  VIDX_RETURN_IF_ERROR(FsyncDir(dir));
  // The previous snapshot's files (and leftovers of an interrupted save) are now unreferenced.
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name != kMetaName && name != index_name && name != tomb_name) fs::remove(entry.path(), ec);
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Load(const std::string& dir,
                                                         const VectorIndexOptions& options,
                                                         SnapshotMeta* meta_out) {
  const std::string meta_path = dir + "/" + kMetaName;
  std::string text;
  VIDX_RETURN_IF_ERROR(ReadSmallFile(meta_path, &text));
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("snapshot " + meta_path + " " + why);
  };
  // The last line is "meta_sha256 <hex>" over everything before it.
  size_t last = text.rfind("meta_sha256 ");
  if (last == std::string::npos || text.size() < last + 12 + 64 + 1 || text.back() != '\n' ||
      text.compare(last + 12, 64, Sha256Hex(text.substr(0, last))) != 0) {
    return corrupt("fails its checksum");
  }
  std::map<std::string, std::string> kv;
  std::istringstream lines(text.substr(0, last));
  std::string line;
  while (std::getline(lines, line)) {
    size_t sp = line.find(' ');
    if (sp == std::string::npos) return corrupt("has a malformed line");
    kv[line.substr(0, sp)] = line.substr(sp + 1);
  }
  SnapshotMeta meta;
  uint64_t version = 0, dim = 0, index_bytes = 0, tomb_bytes = 0;
  if (!ParseU64(kv[kMagic], &version)) return corrupt("is not a vidx snapshot");
  if (version != static_cast<uint64_t>(kSnapshotFormatVersion)) {
    return Status::Unsupported("snapshot " + meta_path + " has format version " +
                               std::to_string(version) + "; this vidx reads " +
                               std::to_string(kSnapshotFormatVersion));
  }
  meta.format_version = static_cast<int>(version);
  meta.factory = kv["factory"];
  meta.effective_factory = kv["effective_factory"];
  if (!ParseU64(kv["generation"], &meta.generation) || !ParseU64(kv["dimension"], &dim) ||
      !ParseU64(kv["max_vector_id"], &meta.max_vector_id) ||
      !ParseU64(kv["deletion_seq"], &meta.deletion_seq) || !ParseU64(kv["count"], &meta.count) ||
      !ParseU64(kv["tombstones"], &meta.tombstones) || !ParseU64(kv["index_bytes"], &index_bytes) ||
      !ParseU64(kv["tombstones_bytes"], &tomb_bytes) || dim == 0 || dim > (1u << 20) ||
      meta.factory.empty() || meta.effective_factory.empty()) {
    return corrupt("lacks a field or has a bad value");
  }
  meta.dimension = static_cast<uint32_t>(dim);
  const std::string index_file = kv["index_file"], tomb_file = kv["tombstones_file"];
  if (index_file.empty() || tomb_file.empty() || index_file.find('/') != std::string::npos ||
      tomb_file.find('/') != std::string::npos) {
    return corrupt("names bad data files");
  }
  for (const auto& [name, bytes, sha] :
       {std::make_tuple(index_file, index_bytes, kv["index_sha256"]),
        std::make_tuple(tomb_file, tomb_bytes, kv["tombstones_sha256"])}) {
    std::string digest;
    uint64_t got = 0;
    VIDX_RETURN_IF_ERROR(HashFile(dir + "/" + name, &digest, &got));
    if (got != bytes || digest != sha) {
      return Status::Corruption("snapshot file " + dir + "/" + name + " is corrupt (" +
                                std::to_string(got) + " bytes, expected " + std::to_string(bytes) +
                                ", or its sha256 differs)");
    }
  }
  const std::string index_path = dir + "/" + index_file;
  std::unique_ptr<faiss::Index> raw;
  std::vector<int64_t> ids;  // every label inside the index
  try {
    raw.reset(faiss::read_index(index_path.c_str()));
    if (auto* map = dynamic_cast<faiss::IndexIDMap2*>(raw.get())) {
      ids.assign(map->id_map.begin(), map->id_map.end());
    } else if (const faiss::IndexIVF* ivf = faiss::ivflib::try_extract_index_ivf(raw.get())) {
      for (size_t list = 0; list < ivf->nlist; ++list) {
        size_t n = ivf->invlists->list_size(list);
        faiss::InvertedLists::ScopedIds list_ids(ivf->invlists, list);
        ids.insert(ids.end(), list_ids.get(), list_ids.get() + n);
      }
    } else {
      raw.reset();
    }
  } catch (const std::exception& e) {
    return Status::Corruption("snapshot file " + index_path +
                              " cannot be read by FAISS: " + e.what());
  }
  std::unordered_set<int64_t> present(ids.begin(), ids.end());
  if (!raw || raw->d != static_cast<int64_t>(dim) ||
      static_cast<uint64_t>(raw->ntotal) != meta.count + meta.tombstones ||
      present.size() != ids.size() || ids.size() != static_cast<size_t>(raw->ntotal)) {
    return Status::Corruption("snapshot file " + index_path + " does not match its meta file");
  }
  std::unordered_set<int64_t> dead;
  if (tomb_bytes > 0) {
    // Tombstone files can exceed the meta size cap: read them directly.
    FILE* f = std::fopen((dir + "/" + tomb_file).c_str(), "rb");
    std::unique_ptr<FILE, int (*)(FILE*)> closer(f, &std::fclose);
    if (f == nullptr) return Status::IoError(Errno("cannot open " + dir + "/" + tomb_file));
    unsigned char le[8];
    while (std::fread(le, 1, 8, f) == 8) {
      uint64_t v = 0;
      for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(le[i]) << (8 * i);
      dead.insert(static_cast<int64_t>(v));
    }
  }
  if (dead.size() != meta.tombstones) {
    return Status::Corruption("snapshot tombstones " + dir + "/" + tomb_file +
                              " do not match its meta file");
  }
  for (int64_t id : dead) {
    if (!present.count(id)) {
      return Status::Corruption("snapshot tombstone " + std::to_string(id) +
                                " is not in the index");
    }
  }
  StatusOr<size_t> min_train = MinTrainingVectors(meta.factory, meta.dimension);
  if (!min_train.ok()) return min_train.status();
  std::unique_ptr<VectorIndex> index(new VectorIndex(
      meta.factory, meta.effective_factory, meta.dimension, std::move(raw), options, *min_train));
  index->present_ = std::move(present);
  index->tombstones_ = std::move(dead);
  index->max_id_ = meta.max_vector_id;
  index->deletion_seq_ = meta.deletion_seq;
  if (meta_out != nullptr) *meta_out = meta;
  return index;
}

}  // namespace vidx
