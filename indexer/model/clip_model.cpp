#include "indexer/model/clip_model.h"

#include <cmath>
#include <limits>
#include <string>

namespace vidx {

LinearImpl::LinearImpl(int64_t in, int64_t out, bool with_bias) {
  weight = register_parameter("weight", torch::empty({out, in}));
  if (with_bias) bias = register_parameter("bias", torch::empty({out}));
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  return LinearKernel(x, weight, bias, int8_.get());
}

void LinearImpl::QuantizeInt8() {
  int8_ = std::make_shared<const Int8LinearWeights>(Int8LinearWeights::Pack(weight, bias));
}

LayerNormImpl::LayerNormImpl(int64_t dim, double eps) : dim_(dim), eps_(eps) {
  weight = register_parameter("weight", torch::empty({dim}));
  bias = register_parameter("bias", torch::empty({dim}));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
  return torch::layer_norm(x, {dim_}, weight, bias, eps_);
}

EmbeddingImpl::EmbeddingImpl(int64_t count, int64_t dim) {
  weight = register_parameter("weight", torch::empty({count, dim}));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) {
  return torch::embedding(weight, ids);
}

PatchConvImpl::PatchConvImpl(int64_t in_channels, int64_t out_channels, int64_t patch)
    : patch_(patch) {
  weight = register_parameter("weight", torch::empty({out_channels, in_channels, patch, patch}));
}

torch::Tensor PatchConvImpl::forward(const torch::Tensor& x) {
  return torch::conv2d(x, weight, /*bias=*/{}, /*stride=*/{patch_, patch_});
}

ClipAttentionImpl::ClipAttentionImpl(const ClipTowerConfig& c)
    : heads_(c.num_attention_heads),
      head_dim_(c.hidden_size / c.num_attention_heads),
      scale_(1.0 / std::sqrt(static_cast<double>(c.hidden_size / c.num_attention_heads))) {
  const int64_t d = c.hidden_size;
  // Registration order follows HF (k, v, q, out) so named_parameters() reads like its state dict.
  k_proj_ = register_module("k_proj", Linear(d, d, true));
  v_proj_ = register_module("v_proj", Linear(d, d, true));
  q_proj_ = register_module("q_proj", Linear(d, d, true));
  out_proj_ = register_module("out_proj", Linear(d, d, true));
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const int64_t b = x.size(0), l = x.size(1), d = x.size(2);
  // (B, L, D) -> (B, H, L, Dh)
  auto split = [&](const torch::Tensor& t) {
    return t.view({b, l, heads_, head_dim_}).transpose(1, 2);
  };
  torch::Tensor q = split(q_proj_->forward(x).mul_(scale_));
  torch::Tensor k = split(k_proj_->forward(x));
  torch::Tensor v = split(v_proj_->forward(x));
  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1));
  if (mask.defined()) scores = scores + mask;
  torch::Tensor probs = torch::softmax(scores, -1);
  torch::Tensor out = torch::matmul(probs, v).transpose(1, 2).reshape({b, l, d});
  return out_proj_->forward(out);
}

ClipMlpImpl::ClipMlpImpl(const ClipTowerConfig& c) : act_(c.hidden_act) {
  fc1_ = register_module("fc1", Linear(c.hidden_size, c.intermediate_size, true));
  fc2_ = register_module("fc2", Linear(c.intermediate_size, c.hidden_size, true));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = fc1_->forward(x);
  if (act_ == Activation::kQuickGelu) {
    h = h.mul_(torch::sigmoid(h * 1.702));
  } else if (act_ == Activation::kGeluTanh) {
    torch::gelu_(h, "tanh");  // transformers' "gelu_pytorch_tanh"
  } else {
    torch::gelu_(h);  // exact (erf) GELU, as transformers' "gelu"
  }
  return fc2_->forward(h);
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTowerConfig& c) {
  self_attn_ = register_module("self_attn", ClipAttention(c));
  layer_norm1_ = register_module("layer_norm1", LayerNorm(c.hidden_size, c.layer_norm_eps));
  mlp_ = register_module("mlp", ClipMlp(c));
  layer_norm2_ = register_module("layer_norm2", LayerNorm(c.hidden_size, c.layer_norm_eps));
}

torch::Tensor ClipEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  // The residual adds, the activation and the query scaling run in place on tensors that a
  // Linear has just made: the same values (addition is commutative), but no extra
  // activation-sized temporaries. Fewer and smaller frees keep glibc from returning the top of
  // its heap and faulting it back in at every layer (docs/benchmarks.md, SigLIP image tower).
  torch::Tensor h = self_attn_->forward(layer_norm1_->forward(x), mask).add_(x);
  return mlp_->forward(layer_norm2_->forward(h)).add_(h);
}

ClipEncoderStackImpl::ClipEncoderStackImpl(const ClipTowerConfig& c) {
  layers_ = register_module("layers", torch::nn::ModuleList());
  for (int i = 0; i < c.num_hidden_layers; ++i) {
    layer_list_.push_back(ClipEncoderLayer(c));
    layers_->push_back(layer_list_.back());
  }
}

torch::Tensor ClipEncoderStackImpl::forward(torch::Tensor x, const torch::Tensor& mask) {
  for (auto& layer : layer_list_) x = layer->forward(x, mask);
  return x;
}

ClipTextEmbeddingsImpl::ClipTextEmbeddingsImpl(const ClipTowerConfig& c) {
  token_embedding_ = register_module("token_embedding", Embedding(c.vocab_size, c.hidden_size));
  position_embedding_ =
      register_module("position_embedding", Embedding(c.max_position_embeddings, c.hidden_size));
}

torch::Tensor ClipTextEmbeddingsImpl::forward(const torch::Tensor& ids) {
  const int64_t l = ids.size(1);
  torch::Tensor pos = position_embedding_->weight.narrow(0, 0, l);  // positions 0..L-1
  return token_embedding_->forward(ids) + pos.unsqueeze(0);
}

ClipVisionEmbeddingsImpl::ClipVisionEmbeddingsImpl(const ClipTowerConfig& c) {
  class_embedding_ = register_parameter("class_embedding", torch::empty({c.hidden_size}));
  patch_embedding_ =
      register_module("patch_embedding", PatchConv(c.num_channels, c.hidden_size, c.patch_size));
  const int64_t grid = c.image_size / c.patch_size;
  position_embedding_ =
      register_module("position_embedding", Embedding(grid * grid + 1, c.hidden_size));
}

torch::Tensor ClipVisionEmbeddingsImpl::forward(const torch::Tensor& pixels) {
  const int64_t b = pixels.size(0);
  torch::Tensor patches = patch_embedding_->forward(pixels.to(class_embedding_.scalar_type()));
  patches = patches.flatten(2).transpose(1, 2);  // (B, grid*grid, D)
  torch::Tensor cls = class_embedding_.view({1, 1, -1}).expand({b, 1, -1});
  return torch::cat({cls, patches}, 1) + position_embedding_->weight.unsqueeze(0);
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTowerConfig& c)
    : eos_token_id_(c.eos_token_id) {
  embeddings_ = register_module("embeddings", ClipTextEmbeddings(c));
  encoder_ = register_module("encoder", ClipEncoderStack(c));
  final_layer_norm_ =
      register_module("final_layer_norm", LayerNorm(c.hidden_size, c.layer_norm_eps));
}

torch::Tensor ClipTextTransformerImpl::PooledPositions(const torch::Tensor& ids) const {
  if (eos_token_id_ == 2) {
    // Legacy configs (before transformers PR #24773): the EOS token has the largest id.
    return ids.to(torch::kInt).argmax(-1).to(torch::kLong);
  }
  // First position holding eos_token_id (0 when absent, as argmax of all-zero).
  return ids.eq(eos_token_id_).to(torch::kInt).argmax(-1).to(torch::kLong);
}

torch::Tensor ClipTextTransformerImpl::forward(const torch::Tensor& ids, bool full_length) {
  const torch::Tensor pos = PooledPositions(ids);
  torch::Tensor x = ids;
  if (!full_length) {
    // The tower is causal (the mask below): the output at a row's pooled position depends on
    // the positions up to it only, so the positions after the batch's last pooled one are not
    // run. Exact but for the order of float reductions. SigLIP cannot do this (its text tower
    // has no mask and pools the last padded position, siglip_model.cpp).
    const int64_t keep = pos.max().item<int64_t>() + 1;
    if (keep < ids.size(1)) x = ids.narrow(1, 0, keep);
  }
  torch::Tensor h = embeddings_->forward(x);
  const int64_t l = x.size(1);
  // Causal mask: position i attends to j <= i.
  torch::Tensor mask =
      torch::full({l, l}, -std::numeric_limits<float>::infinity(), h.options()).triu(1);
  h = final_layer_norm_->forward(encoder_->forward(h, mask));
  torch::Tensor rows = torch::arange(ids.size(0), ids.options().dtype(torch::kLong));
  return h.index({rows, pos});
}

ClipVisionTransformerImpl::ClipVisionTransformerImpl(const ClipTowerConfig& c) {
  embeddings_ = register_module("embeddings", ClipVisionEmbeddings(c));
  pre_layrnorm_ = register_module("pre_layrnorm", LayerNorm(c.hidden_size, c.layer_norm_eps));
  encoder_ = register_module("encoder", ClipEncoderStack(c));
  post_layernorm_ = register_module("post_layernorm", LayerNorm(c.hidden_size, c.layer_norm_eps));
}

torch::Tensor ClipVisionTransformerImpl::forward(const torch::Tensor& pixels) {
  torch::Tensor h = pre_layrnorm_->forward(embeddings_->forward(pixels));
  h = encoder_->forward(h, torch::Tensor());
  return post_layernorm_->forward(h.select(1, 0));  // CLS token
}

ClipModelImpl::ClipModelImpl(const ClipConfig& c) : config_(c) {
  text_model_ = register_module("text_model", ClipTextTransformer(c.text));
  vision_model_ = register_module("vision_model", ClipVisionTransformer(c.vision));
  visual_projection_ =
      register_module("visual_projection", Linear(c.vision.hidden_size, c.projection_dim, false));
  text_projection_ =
      register_module("text_projection", Linear(c.text.hidden_size, c.projection_dim, false));
  logit_scale_ = register_parameter("logit_scale", torch::empty({}));
}

torch::Tensor ClipModelImpl::EncodeImage(const torch::Tensor& pixels) {
  torch::Tensor e = visual_projection_->forward(vision_model_->forward(pixels));
  return e / e.norm(2, -1, true);
}

torch::Tensor ClipModelImpl::EncodeText(const torch::Tensor& ids, bool full_length) {
  torch::Tensor e = text_projection_->forward(text_model_->forward(ids, full_length));
  return e / e.norm(2, -1, true);
}

}  // namespace vidx
