#include "indexer/model/checkpoint_hash.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "indexer/model/sha256.h"

namespace vidx {

StatusOr<FileIdentity> IdentifyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::IoError(path + " cannot be examined: " + std::strerror(err));
  }
  FileIdentity id;
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  id.path = ec ? path : abs.lexically_normal().string();
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.device = static_cast<uint64_t>(st.st_dev);
  return id;
}

StatusOr<CheckpointHash> HashCheckpoint(const std::vector<std::string>& weight_files,
                                        HashCache* cache, bool force) {
  if (weight_files.empty()) return Status::InvalidArgument("no weight files to hash");
  CheckpointHash result;
  std::vector<std::pair<std::string, std::string>> digests;  // (file name, sha256)
  for (const std::string& file : weight_files) {
    StatusOr<FileIdentity> before = IdentifyFile(file);
    if (!before.ok()) return before.status();
    std::optional<std::string> cached;
    if (cache != nullptr && !force) cached = cache->Lookup(*before);
    std::string digest;
    if (cached) {
      digest = *cached;
    } else {
      result.from_cache = false;
      StatusOr<std::string> computed = Sha256File(file);
      if (!computed.ok()) return computed.status();
      StatusOr<FileIdentity> after = IdentifyFile(file);
      if (!after.ok()) return after.status();
      if (!(*after == *before)) {
        return Status::FailedPrecondition(file + " changed while it was being hashed");
      }
      digest = *computed;
      if (cache != nullptr) VIDX_RETURN_IF_ERROR(cache->Store(*before, digest));
    }
    digests.emplace_back(std::filesystem::path(file).filename().string(), digest);
  }
  if (digests.size() == 1) {
    result.sha256 = digests[0].second;
    return result;
  }
  std::sort(digests.begin(), digests.end());
  Sha256 combined;
  for (const auto& [name, digest] : digests) combined.Update(name + " " + digest + "\n");
  result.sha256 = combined.HexDigest();
  return result;
}

}  // namespace vidx
