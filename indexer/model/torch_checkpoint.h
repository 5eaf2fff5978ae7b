// TorchCheckpointFile: the tensors of a PyTorch checkpoint written by torch.save in its zip
// format (PyTorch >= 1.6: `.pt`, `.pth`, `.bin`, Hugging Face's `pytorch_model.bin`, open_clip's
// `open_clip_pytorch_model.bin`), read without running anything (docs/model-formats.md,
// "PyTorch checkpoints").
//
// The archive (read with minizip over the file's bytes) holds PREFIX/data.pkl, a pickle of the
// saved object, and PREFIX/data/KEY, one record per storage. torch.save stores records
// uncompressed and 64-byte aligned, so tensors are views into the memory-mapped file, exactly
// as with safetensors. The pickle is read by ReadPickle (pickle_reader.h) and may name only
// TorchPickleGlobals(): collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// torch._utils._rebuild_parameter(_with_state) and the typed storages (torch.FloatStorage,
// ...). Any other global refuses the file with kUnsupported naming it; nothing is executed.
//
// Which object holds the tensors, by explicit rules, each one reported by layout():
//  1. the saved object is a dict whose values are all tensors: that dict;
//  2. otherwise, a dict with exactly one entry named state_dict, model, model_state_dict or
//     module whose value is a dict of tensors: that entry (the other entries are ignored and
//     listed); two such entries are ambiguous and refused;
//  3. when every key of the chosen dict starts with "module." (torch.nn.DataParallel), the
//     prefix is removed.
// Keys must be strings and values tensors (a Parameter counts as its tensor); tensors must be
// contiguous on their storage, of a dtype DType has, and lie inside their record.
// Errors: kNotFound/kIoError (open, mmap), kCorruption (zip, pickle or a record out of bounds),
// kUnsupported (a forbidden global, a compressed or TorchScript archive, big-endian data, a
// non-contiguous tensor, no recognisable state dict).
//
// Thread-safety: immutable after Open(); const methods may be used from several threads.
#ifndef VIDX_INDEXER_MODEL_TORCH_CHECKPOINT_H_
#define VIDX_INDEXER_MODEL_TORCH_CHECKPOINT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/checkpoint_file.h"

namespace vidx {

class TorchCheckpointFile final : public CheckpointFile {
 public:
  static StatusOr<std::unique_ptr<TorchCheckpointFile>> Open(const std::string& path);
  // Reads an in-memory archive (copied). Used by tests and the fuzzer.
  static StatusOr<std::unique_ptr<TorchCheckpointFile>> FromBuffer(const uint8_t* data, size_t size,
                                                                   const std::string& name);
  ~TorchCheckpointFile() override;

  const std::string& path() const override { return path_; }
  const std::map<std::string, TensorView>& tensors() const override { return tensors_; }
  std::shared_ptr<const void> bytes() const override { return bytes_.owner; }
  void Prefetch() const override { PrefetchBytes(bytes_, 0); }
  std::vector<std::string> layout() const override { return layout_; }

 private:
  TorchCheckpointFile() = default;
  static StatusOr<std::unique_ptr<TorchCheckpointFile>> Parse(
      std::unique_ptr<TorchCheckpointFile> f);

  std::string path_;
  FileBytes bytes_;
  std::map<std::string, TensorView> tensors_;
  std::vector<std::string> layout_;
};

// The globals a checkpoint's pickle may name ("module.name").
const std::vector<std::string>& TorchPickleGlobals();

// Whether `data` starts like a legacy (pre-zip) torch.save file: a pickle (any protocol) of
// PyTorch's 10-byte magic number. A safetensors file never does (its header length would be
// above 2^62).
bool IsLegacyTorchFormat(const uint8_t* data, size_t size);

// The kUnsupported refusal of a legacy (pre-zip) torch.save file, saying how to convert it.
Status LegacyTorchFormatError(const std::string& path);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_TORCH_CHECKPOINT_H_
