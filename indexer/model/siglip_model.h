// SiglipModel: the SigLIP towers as torch::nn modules whose registered parameter names are
// exactly Hugging Face SiglipModel's state-dict keys, and whose forward reproduces transformers
// 4.40's SiglipModel.get_image_features / get_text_features (followed by L2 normalisation).
//
//   vision: patch conv (with bias) + patch-only position embeddings (no class token, no
//           pre-encoder LayerNorm), encoder, post_layernorm, then the attention pooling head:
//           a learned probe attends over the patches through torch.nn.MultiheadAttention
//           (packed in_proj_weight / in_proj_bias, out_proj), then
//           x + mlp(layernorm(x)); the probe's row is the embedding.
//   text:   token + position embeddings, encoder without a causal mask, final_layer_norm, the
//           last position (inputs are padded to the full length), then head (Linear with bias).
//   logit_scale, logit_bias: shape (1), loaded strictly and kept for the match probability
//           sigmoid(cos * exp(logit_scale) + logit_bias).
//
// Internal to indexer/model (includes LibTorch). The building blocks (encoder layers, Linear,
// LayerNorm) are ClipModel's: SigLIP's layers have CLIP's names and computation.
//
// Thread-safety: after loading, forward() only reads the parameters; concurrent calls are safe.
#ifndef VIDX_INDEXER_MODEL_SIGLIP_MODEL_H_
#define VIDX_INDEXER_MODEL_SIGLIP_MODEL_H_

#include <torch/torch.h>

#include <vector>

#include "indexer/model/clip_model.h"
#include "indexer/model/siglip_config.h"

namespace vidx {

class SiglipVisionEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit SiglipVisionEmbeddingsImpl(const ClipTowerConfig& c);
  torch::Tensor forward(const torch::Tensor& pixels);

 private:
  int64_t patch_;
  torch::Tensor patch_weight_, patch_bias_;
  Embedding position_embedding_{nullptr};
};
TORCH_MODULE(SiglipVisionEmbeddings);

// torch.nn.MultiheadAttention(batch_first=True) for one query set, no masks, no dropout.
// The packed q, k, v projections go through LinearKernel like every Linear layer.
class PackedAttentionImpl : public torch::nn::Module, public Int8Quantizable {
 public:
  PackedAttentionImpl(int64_t dim, int64_t heads);
  // q: (B, Lq, D), kv: (B, L, D) -> (B, Lq, D)
  torch::Tensor forward(const torch::Tensor& q, const torch::Tensor& kv);
  void QuantizeInt8() override;  // the q, k, v rows of in_proj_weight (out_proj is a Linear)

 private:
  int64_t dim_, heads_;
  torch::Tensor in_proj_weight_, in_proj_bias_;
  Linear out_proj_{nullptr};
  std::vector<Int8LinearWeights> int8_in_proj_;  // q, k, v once QuantizeInt8 has run
};
TORCH_MODULE(PackedAttention);

class SiglipPoolingHeadImpl : public torch::nn::Module {
 public:
  explicit SiglipPoolingHeadImpl(const ClipTowerConfig& c);
  torch::Tensor forward(const torch::Tensor& h);  // (B, L, D) -> (B, D)

 private:
  torch::Tensor probe_;
  PackedAttention attention_{nullptr};
  LayerNorm layernorm_{nullptr};
  ClipMlp mlp_{nullptr};
};
TORCH_MODULE(SiglipPoolingHead);

class SiglipVisionTransformerImpl : public torch::nn::Module {
 public:
  explicit SiglipVisionTransformerImpl(const ClipTowerConfig& c);
  torch::Tensor forward(const torch::Tensor& pixels);  // (B, C, S, S) -> (B, D)

 private:
  SiglipVisionEmbeddings embeddings_{nullptr};
  ClipEncoderStack encoder_{nullptr};
  LayerNorm post_layernorm_{nullptr};
  SiglipPoolingHead head_{nullptr};
};
TORCH_MODULE(SiglipVisionTransformer);

class SiglipTextTransformerImpl : public torch::nn::Module {
 public:
  explicit SiglipTextTransformerImpl(const ClipTowerConfig& c);
  torch::Tensor forward(const torch::Tensor& ids);  // (B, L) int64 -> (B, D)

 private:
  ClipTextEmbeddings embeddings_{nullptr};
  ClipEncoderStack encoder_{nullptr};
  LayerNorm final_layer_norm_{nullptr};
  Linear head_{nullptr};
};
TORCH_MODULE(SiglipTextTransformer);

class SiglipModelImpl : public torch::nn::Module {
 public:
  explicit SiglipModelImpl(const SiglipConfig& c);
  // L2-normalised embeddings (B, hidden), in the model's dtype.
  torch::Tensor EncodeImage(const torch::Tensor& pixels);
  torch::Tensor EncodeText(const torch::Tensor& ids);
  const SiglipConfig& config() const { return config_; }
  // The loaded scalars (call after loading).
  double logit_scale() const { return logit_scale_.item<double>(); }
  double logit_bias() const { return logit_bias_.item<double>(); }

 private:
  SiglipConfig config_;
  SiglipTextTransformer text_model_{nullptr};
  SiglipVisionTransformer vision_model_{nullptr};
  torch::Tensor logit_scale_, logit_bias_;
};
TORCH_MODULE(SiglipModel);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_SIGLIP_MODEL_H_
