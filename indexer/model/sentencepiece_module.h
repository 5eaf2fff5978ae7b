// SpmProcessor: one SentencePiece model, run by libvidx_sentencepiece.so (sentencepiece_abi.h),
// which is loaded on first use with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND) so that
// Debian's libsentencepiece and the protobuf-lite it exports stay out of the process's global
// symbol scope (LibTorch's libprotobuf lives there). The module is looked for, in order:
//   1. next to the running executable;
//   2. at VIDX_SENTENCEPIECE_MODULE_RELDIR relative to the executable's directory (the
//      installed layout, e.g. bin/../lib/vidx);
//   3. at the path where the build tree wrote it (VIDX_SENTENCEPIECE_MODULE_PATH).
// The sanitizers' runtimes (ASan, TSan, MSan, HWASan) abort a process that asks for
// RTLD_DEEPBIND, so in such a process loading is refused with kUnsupported instead.
//
// Thread-safety: the module is loaded once per process (thread-safe); an SpmProcessor is
// immutable after Load() and may be used from several threads.
#ifndef VIDX_INDEXER_MODEL_SENTENCEPIECE_MODULE_H_
#define VIDX_INDEXER_MODEL_SENTENCEPIECE_MODULE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

struct VidxSpm;

namespace vidx {

struct SpmModuleApi;

class SpmProcessor {
 public:
  // Ok when the module can be loaded in this process. Errors: kUnsupported under a sanitizer
  // runtime (saying which), kNotFound naming every path tried, kInternal when dlopen or dlsym
  // fails on the file found (with dlerror's text) or its ABI version differs. The result is
  // computed once and kept.
  static Status ModuleStatus();

  // A processor for the serialized ModelProto `proto` read from `file` (named in errors).
  // Errors: those of ModuleStatus(), kCorruption when the model does not parse.
  static StatusOr<std::unique_ptr<SpmProcessor>> Load(const std::string& proto,
                                                      const std::string& file);
  ~SpmProcessor();
  SpmProcessor(const SpmProcessor&) = delete;
  SpmProcessor& operator=(const SpmProcessor&) = delete;

  int PieceSize() const;
  int PieceToId(const std::string& piece) const;
  bool IsUnknown(int id) const;
  std::string IdToPiece(int id) const;
  // The pieces of text in order, as (id, piece). Error: kInternal with the library's reason.
  Status Encode(const std::string& text, std::vector<std::pair<int32_t, std::string>>* out) const;
  // ids (each in [0, PieceSize())) back to text. Error: kInternal with the library's reason.
  Status Decode(const std::vector<int>& ids, std::string* out) const;

 private:
  SpmProcessor(const SpmModuleApi* api, VidxSpm* spm) : api_(api), spm_(spm) {}
  const SpmModuleApi* api_;
  VidxSpm* spm_;
};

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_SENTENCEPIECE_MODULE_H_
