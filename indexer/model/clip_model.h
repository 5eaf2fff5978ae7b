// ClipModel: the CLIP towers as torch::nn modules whose registered parameter names are exactly
// Hugging Face CLIPModel's state-dict keys, and whose forward reproduces transformers 4.40's
// CLIPModel.get_image_features / get_text_features (followed by L2 normalisation).
//
// Internal to indexer/model (includes LibTorch); the rest of vidx uses ClipEncoder.
// Parameters are created uninitialised; the strict loader sets every one to NaN before filling it.
// Position ids are not registered buffers: they are recomputed (arange), which is what
// transformers >= 4.31 does too (non-persistent buffer).
//
// Thread-safety: after loading, forward() only reads the parameters; concurrent calls are safe.
#ifndef VIDX_INDEXER_MODEL_CLIP_MODEL_H_
#define VIDX_INDEXER_MODEL_CLIP_MODEL_H_

#include <torch/torch.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "indexer/model/clip_config.h"
#include "indexer/model/embedder.h"
#include "indexer/model/linear_kernel.h"

namespace vidx {

// The device and dtype that options.device / options.precision name ("auto" resolved; the
// precision written back as fp32 | fp16 | bf16 | int8). int8 is float32 parameters whose Linear
// layers the family quantizes after loading (linear_kernel.h); it runs on the CPU only, and
// makes device auto mean cpu. Errors: kInvalidArgument for an unknown value, kUnsupported for
// CUDA without a device, fp16 on the CPU or int8 on CUDA. Shared by the model families.
Status ResolveDevice(const EmbedderOptions& options, torch::Device* device, c10::ScalarType* dtype,
                     std::string* precision);

// Parameter holders for the building blocks. Unlike Linear and friends they do not
// draw random initial values (the strict loader overwrites every value; drawing 150 M random
// numbers for a ViT-B/32 cost a second of start-up). Parameter names ("weight", "bias") and the
// forward computations are those of the torch::nn modules.
// Linear multiplies through LinearKernel: in float, or in int8 once QuantizeInt8 has run.
class LinearImpl : public torch::nn::Module, public Int8Quantizable {
 public:
  LinearImpl(int64_t in, int64_t out, bool bias);
  torch::Tensor forward(const torch::Tensor& x);
  void QuantizeInt8() override;
  torch::Tensor weight, bias;  // bias undefined when the layer has none

 private:
  std::shared_ptr<const Int8LinearWeights> int8_;  // set by QuantizeInt8
};
TORCH_MODULE(Linear);

class LayerNormImpl : public torch::nn::Module {
 public:
  LayerNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;

 private:
  int64_t dim_;
  double eps_;
};
TORCH_MODULE(LayerNorm);

class EmbeddingImpl : public torch::nn::Module {
 public:
  EmbeddingImpl(int64_t count, int64_t dim);
  torch::Tensor forward(const torch::Tensor& ids);
  torch::Tensor weight;
};
TORCH_MODULE(Embedding);

// Square kernel, stride = kernel, no padding, no bias: CLIP's patch embedding.
class PatchConvImpl : public torch::nn::Module {
 public:
  PatchConvImpl(int64_t in_channels, int64_t out_channels, int64_t patch);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  int64_t patch_;
};
TORCH_MODULE(PatchConv);

class ClipAttentionImpl : public torch::nn::Module {
 public:
  explicit ClipAttentionImpl(const ClipTowerConfig& c);
  // x: (B, L, D); mask: additive (L, L) or undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

 private:
  int64_t heads_;
  int64_t head_dim_;
  double scale_;
  Linear k_proj_{nullptr}, v_proj_{nullptr}, q_proj_{nullptr}, out_proj_{nullptr};
};
TORCH_MODULE(ClipAttention);

class ClipMlpImpl : public torch::nn::Module {
 public:
  explicit ClipMlpImpl(const ClipTowerConfig& c);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  Activation act_;
  Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(ClipMlp);

class ClipEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderLayerImpl(const ClipTowerConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

 private:
  ClipAttention self_attn_{nullptr};
  LayerNorm layer_norm1_{nullptr};
  ClipMlp mlp_{nullptr};
  LayerNorm layer_norm2_{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

// "encoder.layers.N..." — a holder so the names match HF.
class ClipEncoderStackImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderStackImpl(const ClipTowerConfig& c);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& mask);

 private:
  std::vector<ClipEncoderLayer> layer_list_;
  torch::nn::ModuleList layers_;
};
TORCH_MODULE(ClipEncoderStack);

class ClipTextEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipTextEmbeddingsImpl(const ClipTowerConfig& c);
  torch::Tensor forward(const torch::Tensor& ids);

 private:
  Embedding token_embedding_{nullptr}, position_embedding_{nullptr};
};
TORCH_MODULE(ClipTextEmbeddings);

class ClipVisionEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipVisionEmbeddingsImpl(const ClipTowerConfig& c);
  torch::Tensor forward(const torch::Tensor& pixels);

 private:
  torch::Tensor class_embedding_;
  PatchConv patch_embedding_{nullptr};
  Embedding position_embedding_{nullptr};
};
TORCH_MODULE(ClipVisionEmbeddings);

class ClipTextTransformerImpl : public torch::nn::Module {
 public:
  explicit ClipTextTransformerImpl(const ClipTowerConfig& c);
  // ids: (B, L) int64 -> pooled (B, hidden): each row's output at its end-of-text position.
  // Runs positions 0 .. the last row's end-of-text only, unless full_length (all L; the same
  // result within float rounding, kept for comparisons).
  torch::Tensor forward(const torch::Tensor& ids, bool full_length = false);

 private:
  // (B) int64: the position each row is pooled at.
  torch::Tensor PooledPositions(const torch::Tensor& ids) const;

  int64_t eos_token_id_;
  ClipTextEmbeddings embeddings_{nullptr};
  ClipEncoderStack encoder_{nullptr};
  LayerNorm final_layer_norm_{nullptr};
};
TORCH_MODULE(ClipTextTransformer);

class ClipVisionTransformerImpl : public torch::nn::Module {
 public:
  explicit ClipVisionTransformerImpl(const ClipTowerConfig& c);
  // pixels: (B, C, S, S) -> pooled (B, hidden).
  torch::Tensor forward(const torch::Tensor& pixels);

 private:
  ClipVisionEmbeddings embeddings_{nullptr};
  LayerNorm pre_layrnorm_{nullptr};
  ClipEncoderStack encoder_{nullptr};
  LayerNorm post_layernorm_{nullptr};
};
TORCH_MODULE(ClipVisionTransformer);

class ClipModelImpl : public torch::nn::Module {
 public:
  explicit ClipModelImpl(const ClipConfig& c);
  // L2-normalised embeddings (B, projection_dim), in the model's dtype.
  torch::Tensor EncodeImage(const torch::Tensor& pixels);
  // full_length: see ClipTextTransformerImpl::forward.
  torch::Tensor EncodeText(const torch::Tensor& ids, bool full_length = false);
  const ClipConfig& config() const { return config_; }

 private:
  ClipConfig config_;
  ClipTextTransformer text_model_{nullptr};
  ClipVisionTransformer vision_model_{nullptr};
  Linear visual_projection_{nullptr};
  Linear text_projection_{nullptr};
  torch::Tensor logit_scale_;
};
TORCH_MODULE(ClipModel);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_CLIP_MODEL_H_
