// ClipEncoder: the CLIP towers. Loads a Hugging Face CLIP directory strictly and turns images
// and token ids into L2-normalised float embeddings. The rest of vidx uses it through the
// Embedder interface (clip_embedder.h adds the tokenizer). No LibTorch type appears here
// (pimpl), so including this header is cheap.
//
// Model directory: config.json (required), preprocessor_config.json (optional: CLIP defaults,
// listed in LoadReport::config_defaults), and the weights (ClipWeightFiles), safetensors or
// torch.save checkpoints (checkpoint_file.h).
//
// Thread-safety: after Load() the encoder is immutable; Encode*/Probe may be called from several
// threads at once (each call uses LibTorch's intra-op thread pool).
// Failures: Status values; LibTorch exceptions never escape.
#ifndef VIDX_INDEXER_MODEL_CLIP_ENCODER_H_
#define VIDX_INDEXER_MODEL_CLIP_ENCODER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/clip_config.h"
#include "indexer/model/embedder.h"
#include "indexer/model/key_map.h"
#include "indexer/model/load_report.h"

namespace vidx {

// The family-neutral options (embedder.h); map_weights becomes StrictLoadOptions::
// alias_checkpoint.
using ClipEncoderOptions = EmbedderOptions;

// Embeddings of the fixed synthetic probe (see Probe()).
using ClipProbe = EmbedderProbe;

// The weight files Load() reads for `options`, in a stable (sorted) order: `weights`, else the
// first of <dir>/model.safetensors, the shards of <dir>/model.safetensors.index.json,
// <dir>/pytorch_model.bin, the shards of <dir>/pytorch_model.bin.index.json,
// <dir>/open_clip_pytorch_model.bin. Used by every family (SigLIP too).
// Errors: kNotFound when none exists, kCorruption for a malformed index.
StatusOr<std::vector<std::string>> ClipWeightFiles(const ClipEncoderOptions& options);

class ClipEncoder {
 public:
  // Reads the configs, builds the towers on the device, strict-loads the weights.
  // `report` (may be null) receives the full load report, also when loading is refused.
  // Errors: kNotFound/kIoError/kCorruption (files), kInvalidArgument/kUnsupported (config,
  // options), kFailedPrecondition (checkpoint does not match: see the report).
  static StatusOr<std::unique_ptr<ClipEncoder>> Load(const ClipEncoderOptions& options,
                                                     LoadReport* report);
  ~ClipEncoder();
  ClipEncoder(const ClipEncoder&) = delete;
  ClipEncoder& operator=(const ClipEncoder&) = delete;

  const ClipConfig& config() const;
  const PreprocessConfig& preprocess() const;
  int dim() const;           // embedding size (projection_dim)
  int image_height() const;  // input size of the vision tower
  int image_width() const;
  int context_length() const;     // max token ids per text
  std::string device() const;     // "cpu", "cuda:0"
  std::string precision() const;  // "fp32", "fp16", "bf16", "int8"
  // Canonical description (architecture, preprocessing, key map, precision) for the fingerprint.
  std::string Describe() const;

  // n RGB images, h x w, interleaved uint8 (N, H, W, 3) of any size: resized and cropped like
  // CLIPImageProcessor, then encoded. Appends n * dim() floats to `out`.
  Status EncodeImages(const uint8_t* rgb, int n, int h, int w, std::vector<float>* out) const;
  // Images already at image_height() x image_width() (e.g. from the frame sampler): only
  // rescaled and normalised. kInvalidArgument for any other size.
  Status EncodePreparedImages(const uint8_t* rgb, int n, int h, int w,
                              std::vector<float>* out) const;
  // Already normalised pixels (N, 3, image_height(), image_width()) float32.
  Status EncodePixels(const float* nchw, int n, std::vector<float>* out) const;
  // How much of a token row the text tower runs. The tower is causal, so both give the same
  // embedding within float rounding; kToEndOfText (the default) runs only up to the batch's
  // last end-of-text token, kFull all `len` positions (for comparisons and benchmarks).
  enum class TextLength { kToEndOfText, kFull };
  // Token ids (N, len) int64, padded rows of equal length, len <= context_length(), every id
  // in [0, vocab_size). Appends n * dim() floats.
  Status EncodeTokens(const int64_t* ids, int n, int len, std::vector<float>* out,
                      TextLength length = TextLength::kToEndOfText) const;

  // Embeds a fixed synthetic probe (an arithmetic RGB pattern at the model's input size and a
  // fixed token row built from the config's vocabulary and eos id). Same model, device and
  // precision -> same bits on CPU.
  StatusOr<ClipProbe> Probe() const;

 private:
  struct Impl;
  explicit ClipEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_CLIP_ENCODER_H_
