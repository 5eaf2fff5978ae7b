// OpenCheckpointFile and the file mapping both weight-file readers share. See checkpoint_file.h.
#include "indexer/model/checkpoint_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "indexer/model/safetensors.h"
#include "indexer/model/torch_checkpoint.h"

namespace vidx {

StatusOr<FileBytes> MapFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = path + ": cannot open: " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(msg) : Status::IoError(msg);
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::IoError(path + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::IoError(path + ": not a regular file");
  FileBytes out;
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) return out;  // mmap refuses empty mappings; the readers report the size
  void* m = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED) return Status::IoError(path + ": mmap failed: " + std::strerror(errno));
  out.owner =
      std::shared_ptr<const void>(m, [size](const void* p) { munmap(const_cast<void*>(p), size); });
  out.data = static_cast<const uint8_t*>(m);
  out.size = size;
  out.mapped = true;
  return out;
}

FileBytes CopyBytes(const uint8_t* data, size_t size) {
  FileBytes out;
  if (size == 0 || data == nullptr) return out;
  std::shared_ptr<uint8_t> copy(new uint8_t[size], std::default_delete<uint8_t[]>());
  std::memcpy(copy.get(), data, size);
  out.data = copy.get();
  out.owner = std::move(copy);
  out.size = size;
  return out;
}

void PrefetchBytes(const FileBytes& bytes, size_t from) {
  if (!bytes.mapped || from >= bytes.size) return;
  // madvise wants a page-aligned start; the mapping itself is page-aligned.
  const long page = sysconf(_SC_PAGESIZE);
  const size_t start = page > 0 ? from / static_cast<size_t>(page) * page : 0;
  void* addr = const_cast<uint8_t*>(bytes.data + start);
  const size_t len = bytes.size - start;
#ifdef MADV_POPULATE_READ
  if (madvise(addr, len, MADV_POPULATE_READ) == 0) return;
#else
  // Linux >= 5.14 knows it even when the C library's headers do not.
  if (madvise(addr, len, 22 /* MADV_POPULATE_READ */) == 0) return;
#endif
  (void)madvise(addr, len, MADV_WILLNEED);  // older kernel (EINVAL): readahead at least
}

StatusOr<std::unique_ptr<CheckpointFile>> OpenCheckpointFile(const std::string& path) {
  uint8_t head[14] = {};
  ssize_t got = 0;
  {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      got = ::read(fd, head, sizeof head);
      ::close(fd);
    }
  }  // an unreadable file is reported by the reader below
  if (got >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
    auto f = TorchCheckpointFile::Open(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<CheckpointFile>(std::move(f).value());
  }
  if (got > 0 && IsLegacyTorchFormat(head, static_cast<size_t>(got))) {
    return LegacyTorchFormatError(path);
  }
  auto f = SafetensorsFile::Open(path);
  if (!f.ok()) return f.status();
  return std::unique_ptr<CheckpointFile>(std::move(f).value());
}

StatusOr<std::vector<std::unique_ptr<CheckpointFile>>> OpenCheckpointFiles(
    const std::vector<std::string>& paths) {
  std::vector<std::unique_ptr<CheckpointFile>> files;
  for (const auto& path : paths) {
    auto f = OpenCheckpointFile(path);
    if (!f.ok()) return f.status();
    files.push_back(std::move(f).value());
  }
  return files;
}

std::vector<const CheckpointFile*> RawPointers(
    const std::vector<std::unique_ptr<CheckpointFile>>& files) {
  std::vector<const CheckpointFile*> raw;
  raw.reserve(files.size());
  for (const auto& f : files) raw.push_back(f.get());
  return raw;
}

}  // namespace vidx
