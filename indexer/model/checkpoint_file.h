// CheckpointFile: one weight file as the strict loader sees it — a flat, validated set of named
// tensors whose bytes lie in memory owned by the file (docs/model-formats.md, "Weight files").
// Two formats implement it: SafetensorsFile (safetensors.h) and TorchCheckpointFile
// (torch_checkpoint.h, the zip format of torch.save). OpenCheckpointFile picks the reader by
// the file's first bytes, never by its name.
//
// Thread-safety: implementations are immutable after opening; const methods may be called
// from several threads.
#ifndef VIDX_INDEXER_MODEL_CHECKPOINT_FILE_H_
#define VIDX_INDEXER_MODEL_CHECKPOINT_FILE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace vidx {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

const char* DTypeName(DType d);  // "F32", ...
size_t DTypeSize(DType d);       // bytes per element

struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // contiguous little-endian elements, not necessarily aligned
  size_t nbytes = 0;
  int64_t numel() const;
};

class CheckpointFile {
 public:
  virtual ~CheckpointFile() = default;
  virtual const std::string& path() const = 0;
  // Every tensor, by name (sorted). Views point into bytes().
  virtual const std::map<std::string, TensorView>& tensors() const = 0;
  // Shared ownership of the memory every TensorView::data points into: the views stay valid
  // while a copy lives, also after the file object is destroyed.
  virtual std::shared_ptr<const void> bytes() const = 0;
  // Advisory: asks the kernel to read the tensor data in now (see SafetensorsFile::Prefetch).
  virtual void Prefetch() const = 0;
  // How the file's structure was turned into the flat tensor list, one sentence each (a nested
  // state dict taken from an entry, a prefix removed, entries ignored). Empty when the file was
  // flat already. The strict loader copies these into LoadReport::layout.
  virtual std::vector<std::string> layout() const { return {}; }
};

// Opens `path` with the reader its first bytes call for: a zip archive ("PK\3\4", torch.save)
// is a TorchCheckpointFile, a pickle of PyTorch's magic number (torch.save's legacy format) is
// refused with kUnsupported and how to convert it, anything else is read as safetensors.
// Errors: those of the readers (kNotFound, kIoError, kCorruption, kUnsupported).
StatusOr<std::unique_ptr<CheckpointFile>> OpenCheckpointFile(const std::string& path);

// Opens every file of `paths` in order; the first failure is returned.
StatusOr<std::vector<std::unique_ptr<CheckpointFile>>> OpenCheckpointFiles(
    const std::vector<std::string>& paths);

// Non-owning pointers to `files`, as StrictLoad takes them.
std::vector<const CheckpointFile*> RawPointers(
    const std::vector<std::unique_ptr<CheckpointFile>>& files);

// The bytes of a whole file, memory-mapped read-only (MAP_PRIVATE), or a heap copy.
struct FileBytes {
  std::shared_ptr<const void> owner;  // munmap or delete[] with the last copy
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool mapped = false;
};
// Errors: kNotFound (no such file), kIoError (not a regular file, open/stat/mmap failed).
StatusOr<FileBytes> MapFile(const std::string& path);
FileBytes CopyBytes(const uint8_t* data, size_t size);
// MADV_POPULATE_READ (MADV_WILLNEED on older kernels) over [from, size) of a mapping; no
// effect on a copy. Advisory.
void PrefetchBytes(const FileBytes& bytes, size_t from);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_CHECKPOINT_FILE_H_
