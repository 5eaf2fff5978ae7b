#include "indexer/model/siglip_model.h"

#include <cmath>

namespace vidx {

SiglipVisionEmbeddingsImpl::SiglipVisionEmbeddingsImpl(const ClipTowerConfig& c)
    : patch_(c.patch_size) {
  // "patch_embedding.weight" / ".bias": a Conv2d with bias, kernel = stride = patch.
  auto conv = register_module("patch_embedding", std::make_shared<torch::nn::Module>());
  patch_weight_ = conv->register_parameter(
      "weight", torch::empty({c.hidden_size, c.num_channels, c.patch_size, c.patch_size}));
  patch_bias_ = conv->register_parameter("bias", torch::empty({c.hidden_size}));
  const int64_t grid = c.image_size / c.patch_size;
  position_embedding_ =
      register_module("position_embedding", Embedding(grid * grid, c.hidden_size));
}

torch::Tensor SiglipVisionEmbeddingsImpl::forward(const torch::Tensor& pixels) {
  torch::Tensor x = torch::conv2d(pixels.to(patch_weight_.scalar_type()), patch_weight_,
                                  patch_bias_, /*stride=*/{patch_, patch_});
  x = x.flatten(2).transpose(1, 2);  // (B, grid*grid, D)
  return x + position_embedding_->weight.unsqueeze(0);
}

PackedAttentionImpl::PackedAttentionImpl(int64_t dim, int64_t heads) : dim_(dim), heads_(heads) {
  in_proj_weight_ = register_parameter("in_proj_weight", torch::empty({3 * dim, dim}));
  in_proj_bias_ = register_parameter("in_proj_bias", torch::empty({3 * dim}));
  out_proj_ = register_module("out_proj", Linear(dim, dim, true));
}

torch::Tensor PackedAttentionImpl::forward(const torch::Tensor& q_in, const torch::Tensor& kv) {
  const int64_t b = q_in.size(0), lq = q_in.size(1), l = kv.size(1), dh = dim_ / heads_;
  std::vector<torch::Tensor> w = in_proj_weight_.chunk(3, 0);
  std::vector<torch::Tensor> bias = in_proj_bias_.chunk(3, 0);
  auto heads = [&](const torch::Tensor& t, int64_t len) {
    return t.view({b, len, heads_, dh}).transpose(1, 2);  // (B, H, len, Dh)
  };
  auto int8 = [this](size_t i) { return int8_in_proj_.empty() ? nullptr : &int8_in_proj_[i]; };
  torch::Tensor q = heads(LinearKernel(q_in, w[0], bias[0], int8(0)), lq);
  torch::Tensor k = heads(LinearKernel(kv, w[1], bias[1], int8(1)), l);
  torch::Tensor v = heads(LinearKernel(kv, w[2], bias[2], int8(2)), l);
  q = q * (1.0 / std::sqrt(static_cast<double>(dh)));
  torch::Tensor probs = torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1);
  torch::Tensor out = torch::matmul(probs, v).transpose(1, 2).reshape({b, lq, dim_});
  return out_proj_->forward(out);
}

void PackedAttentionImpl::QuantizeInt8() {
  std::vector<torch::Tensor> w = in_proj_weight_.chunk(3, 0);
  std::vector<torch::Tensor> bias = in_proj_bias_.chunk(3, 0);
  int8_in_proj_.clear();
  for (size_t i = 0; i < 3; ++i) int8_in_proj_.push_back(Int8LinearWeights::Pack(w[i], bias[i]));
}

SiglipPoolingHeadImpl::SiglipPoolingHeadImpl(const ClipTowerConfig& c) {
  probe_ = register_parameter("probe", torch::empty({1, 1, c.hidden_size}));
  attention_ = register_module("attention", PackedAttention(c.hidden_size, c.num_attention_heads));
  layernorm_ = register_module("layernorm", LayerNorm(c.hidden_size, c.layer_norm_eps));
  mlp_ = register_module("mlp", ClipMlp(c));
}

torch::Tensor SiglipPoolingHeadImpl::forward(const torch::Tensor& h) {
  torch::Tensor probe = probe_.expand({h.size(0), 1, probe_.size(2)});
  torch::Tensor x = attention_->forward(probe, h);
  x = x + mlp_->forward(layernorm_->forward(x));
  return x.select(1, 0);
}

SiglipVisionTransformerImpl::SiglipVisionTransformerImpl(const ClipTowerConfig& c) {
  embeddings_ = register_module("embeddings", SiglipVisionEmbeddings(c));
  encoder_ = register_module("encoder", ClipEncoderStack(c));
  post_layernorm_ = register_module("post_layernorm", LayerNorm(c.hidden_size, c.layer_norm_eps));
  head_ = register_module("head", SiglipPoolingHead(c));
}

torch::Tensor SiglipVisionTransformerImpl::forward(const torch::Tensor& pixels) {
  torch::Tensor h = encoder_->forward(embeddings_->forward(pixels), torch::Tensor());
  return head_->forward(post_layernorm_->forward(h));
}

SiglipTextTransformerImpl::SiglipTextTransformerImpl(const ClipTowerConfig& c) {
  embeddings_ = register_module("embeddings", ClipTextEmbeddings(c));
  encoder_ = register_module("encoder", ClipEncoderStack(c));
  final_layer_norm_ =
      register_module("final_layer_norm", LayerNorm(c.hidden_size, c.layer_norm_eps));
  head_ = register_module("head", Linear(c.hidden_size, c.hidden_size, true));
}

torch::Tensor SiglipTextTransformerImpl::forward(const torch::Tensor& ids) {
  // No causal mask: every position sees every other one, and the last position is pooled, so
  // the padding is part of the input and all positions always run (CLIP's causal text tower
  // stops at the end-of-text token instead, clip_model.cpp).
  torch::Tensor h = encoder_->forward(embeddings_->forward(ids), torch::Tensor());
  h = final_layer_norm_->forward(h);
  return head_->forward(h.select(1, h.size(1) - 1));
}

SiglipModelImpl::SiglipModelImpl(const SiglipConfig& c) : config_(c) {
  text_model_ = register_module("text_model", SiglipTextTransformer(c.text));
  vision_model_ = register_module("vision_model", SiglipVisionTransformer(c.vision));
  logit_scale_ = register_parameter("logit_scale", torch::empty({1}));
  logit_bias_ = register_parameter("logit_bias", torch::empty({1}));
}

torch::Tensor SiglipModelImpl::EncodeImage(const torch::Tensor& pixels) {
  torch::Tensor e = vision_model_->forward(pixels);
  return e / e.norm(2, -1, true);
}

torch::Tensor SiglipModelImpl::EncodeText(const torch::Tensor& ids) {
  torch::Tensor e = text_model_->forward(ids);
  return e / e.norm(2, -1, true);
}

}  // namespace vidx
