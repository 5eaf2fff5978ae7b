// SafetensorsFile: a validated, read-only view of a .safetensors checkpoint.
//
// Format: 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping tensor names to
// {"dtype", "shape", "data_offsets":[begin,end]} (offsets relative to the byte after the
// header), an optional "__metadata__" object of string->string, then the data.
//
// Open() validates everything before any tensor is handed out: header length within the file
// and below a bound, valid UTF-8 JSON, known dtypes (F32, F16, BF16, I64 and the other
// standard ones are recognised; only F32/F16/BF16/I64 are supported for loading), shapes of
// non-negative integers whose element count times the dtype size equals end - begin,
// offsets in bounds, sorted, contiguous and non-overlapping, covering the data exactly.
// A malformed file is a kCorruption Status naming the file and the tensor at fault; never a
// crash, never an out-of-bounds read.
//
// The data is memory-mapped once (read-only, MAP_PRIVATE); TensorView::data points into the
// mapping and stays valid while the SafetensorsFile, or any copy of bytes(), lives. The pages
// are read-only: writing through TensorView::data faults. A mapping shows the file as it is on
// disk: a file truncated or rewritten in place while mapped may raise SIGBUS or change the data
// on pages not yet read (files replaced by rename are safe).
//
// Thread-safety: immutable after Open(); const methods may be used from several threads.
#ifndef VIDX_INDEXER_MODEL_SAFETENSORS_H_
#define VIDX_INDEXER_MODEL_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/checkpoint_file.h"

namespace vidx {

class SafetensorsFile final : public CheckpointFile {
 public:
  // Maps and validates `path`. Errors: kNotFound/kIoError (open/mmap), kCorruption (format).
  static StatusOr<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  // Validates an in-memory buffer (copied). Used by tests and the fuzzer.
  static StatusOr<std::unique_ptr<SafetensorsFile>> FromBuffer(const uint8_t* data, size_t size,
                                                               const std::string& name);
  ~SafetensorsFile() override;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const override { return path_; }
  // Tensor names in sorted order.
  std::vector<std::string> names() const;
  // nullptr when absent.
  const TensorView* Find(const std::string& name) const;
  const std::map<std::string, TensorView>& tensors() const override { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Shared ownership of the file's bytes (the mapping, or the FromBuffer copy): every
  // TensorView::data of this file stays valid while a copy of it lives, also after this object
  // is destroyed. Tensors that alias the checkpoint (zero-copy loading) hold one.
  std::shared_ptr<const void> bytes() const override { return bytes_.owner; }

  // Asks the kernel to map all the tensor data now (MADV_POPULATE_READ; MADV_WILLNEED on
  // kernels before 5.14), which costs far less than one page fault per 4 KiB page when the
  // tensors are read later. Reads the file from disk when it is not in the page cache.
  // Advisory: a failure changes nothing. No effect for FromBuffer().
  void Prefetch() const override;

 private:
  SafetensorsFile() = default;
  static StatusOr<std::unique_ptr<SafetensorsFile>> Parse(std::unique_ptr<SafetensorsFile> f);

  std::string path_;
  FileBytes bytes_;         // the whole file: a mapping (Open) or a copy (FromBuffer)
  size_t data_offset_ = 0;  // first byte after the header
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_SAFETENSORS_H_
