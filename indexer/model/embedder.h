// Embedder: a loaded image-text model as the rest of vidx sees it. It turns images and texts
// into L2-normalised vectors of one feature space, owns its tokenizer, and describes itself
// for the feature fingerprint and for the frame sampler. The pipeline, the query engine, the
// verifier and the daemon depend only on this interface; a model family (CLIP first) is one
// implementation plus one line in the family registry (embedder_registry.h). No LibTorch type
// appears here.
//
// Batch calls follow FAISS: (n, input, out) with `out` holding n * dim() floats, written in
// input order. When a call fails, what `out` holds is unspecified.
//
// Thread-safety: an Embedder is immutable once loaded; every const method may be called from
// several threads at once.
// Failures: Status values naming what is wrong in one sentence; no exception escapes.
#ifndef VIDX_INDEXER_MODEL_EMBEDDER_H_
#define VIDX_INDEXER_MODEL_EMBEDDER_H_

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "indexer/model/key_map.h"

namespace vidx {

// How to find and run a model (from `model:` in the configuration). Families read what
// applies to them.
struct EmbedderOptions {
  std::string model_dir;                       // required; holds config.json
  std::string weights;                         // default: the family's files in model_dir
  KeyMapSpec key_map;                          // default: hf
  std::vector<std::string> ignore_unexpected;  // default: none
  std::string device = "cpu";                  // cpu | cuda | cuda:N | auto (cuda when available)
  // fp32 | fp16 | bf16 | int8 | auto (cuda: fp16, cpu: fp32). int8: float32 parameters whose
  // Linear layers run as dynamically quantized int8 on the CPU (linear_kernel.h).
  std::string precision = "fp32";
  // > 0: at::set_num_threads(threads) — process-wide, LibTorch has no per-model setting.
  // 0 (default): leave LibTorch's setting alone.
  int threads = 0;
  // CPU float32 weights stored as F32 alias the memory-mapped checkpoint instead of being
  // copied: faster loading and one copy of the weights in memory, but the file must not be
  // rewritten in place while the model lives (replacing it by rename is fine). Default off;
  // meant for short-lived processes.
  bool map_weights = false;
};

// The image preprocessing the model expects, which the frame sampler must reproduce so that
// its frames can go to EmbedPreparedImages unchanged: resize, then optional centre crop to
// height x width, then (value * rescale_factor - mean) / std per channel.
struct ImagePreprocessSpec {
  enum class Resize {
    kNone,          // no resize
    kShortestEdge,  // shortest side to `shortest_edge`, the other side in proportion
    kExact,         // to resize_height x resize_width
  };
  int height = 0;  // input of the vision tower: what EmbedPreparedImages takes
  int width = 0;
  Resize resize = Resize::kShortestEdge;
  int shortest_edge = 0;
  int resize_height = 0;
  int resize_width = 0;
  bool center_crop = true;  // to height x width after the resize
  std::string interpolation = "bicubic";
  double rescale_factor = 1.0 / 255.0;
  std::array<double, 3> mean = {0, 0, 0};
  std::array<double, 3> std = {1, 1, 1};
};

// Embeddings of the model's fixed synthetic probe (see Embedder::Probe).
struct EmbedderProbe {
  std::vector<float> image;  // dim() floats
  std::vector<float> text;   // dim() floats
};

// How a family trained with a sigmoid loss (SigLIP) reads the cosine of an image and a text
// as the probability that the text describes the image:
// sigmoid(cosine * exp(logit_scale) + logit_bias), both values as the checkpoint stores them.
struct MatchCalibration {
  double logit_scale = 0;
  double logit_bias = 0;
  double Probability(double cosine) const {
    return 1.0 / (1.0 + std::exp(-(cosine * std::exp(logit_scale) + logit_bias)));
  }
};

class Embedder {
 public:
  virtual ~Embedder() = default;

  // The model_type of config.json this embedder implements, e.g. "clip".
  virtual std::string family() const = 0;
  virtual int dim() const = 0;  // embedding size
  virtual const ImagePreprocessSpec& image_input() const = 0;
  virtual std::string device() const = 0;     // "cpu", "cuda:0"
  virtual std::string precision() const = 0;  // "fp32", "fp16", "bf16", "int8"
  // The weight files the model was loaded from, in a stable order (what the checkpoint hash
  // covers).
  virtual std::vector<std::string> checkpoint_files() const = 0;
  // Canonical description of the model as loaded (architecture, preprocessing, tokenizer rules
  // and the sha256 of the tokenizer files, key map, precision), part of the feature
  // fingerprint: equal descriptions and weights give equal vectors.
  virtual std::string Describe() const = 0;
  // The image-text match calibration, for families that have one (SigLIP); nullopt for the
  // others (CLIP's logit_scale is a softmax temperature over a batch, not a probability).
  virtual std::optional<MatchCalibration> match_calibration() const { return std::nullopt; }

  // n RGB images (interleaved uint8, n x image_input().height x width x 3) already resized and
  // cropped as image_input() says (e.g. by the frame sampler): only rescaled, normalised and
  // embedded. kInvalidArgument for n < 1.
  virtual Status EmbedPreparedImages(int64_t n, const uint8_t* rgb, float* out) const = 0;
  // n RGB images of height x width (interleaved uint8, n x height x width x 3) of any size:
  // preprocessed as image_input() says, then embedded.
  virtual Status EmbedImages(int64_t n, int height, int width, const uint8_t* rgb,
                             float* out) const = 0;
  // n UTF-8 texts, tokenized by the model's own tokenizer (cut to its context length).
  virtual Status EmbedTexts(int64_t n, const std::string* texts, float* out) const = 0;
  // The token ids the model's tokenizer gives `text`, including any start/end markers, without
  // padding (what `vidx model tokenize` prints).
  virtual StatusOr<std::vector<int32_t>> Tokenize(std::string_view text) const = 0;

  // Embeds a fixed synthetic probe image and token row. The same model, device and precision
  // give the same bits on CPU; the verifier runs it twice to check determinism.
  virtual StatusOr<EmbedderProbe> Probe() const = 0;
};

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_EMBEDDER_H_
