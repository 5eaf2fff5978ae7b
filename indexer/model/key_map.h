// Key maps: how the tensor names of a checkpoint become the names of the C++ CLIP model, which
// are exactly Hugging Face CLIPModel's state-dict keys (text_model.embeddings.token_embedding.
// weight, vision_model.pre_layrnorm.weight, visual_projection.weight, logit_scale, ...).
//
// A key map only decides names and transforms; the strict loader applies the transforms to the
// tensors, checks shapes and reports. Every mapped entry keeps the checkpoint key it came from,
// so every error names the key as it is written in the file.
//
//  kHf        identity. The legacy buffers text_model.embeddings.position_ids and
//             vision_model.embeddings.position_ids (saved by transformers < 4.31) are recognised
//             by name and marked kLegacyPositionIds: the loader verifies they hold 0..n-1 and
//             drops them (the C++ model recomputes positions). No other key is ever dropped.
//  kOpenAI    OpenAI CLIP's state dict: visual.conv1.weight, visual.class_embedding,
//             visual.positional_embedding, visual.ln_pre / ln_post, visual.transformer.resblocks.N
//             .{ln_1, ln_2, attn.in_proj_weight/bias (split into q/k/v), attn.out_proj,
//             mlp.c_fc, mlp.c_proj}, visual.proj (transposed), token_embedding.weight,
//             positional_embedding, transformer.resblocks.N..., ln_final, text_projection
//             (transposed), logit_scale.
//  kOpenClip  open_clip's ViT CLIP layout, which is the OpenAI layout (the activation still comes
//             from config.json: open_clip defaults to gelu, OpenAI to quick_gelu).
//
// User rename rules (`rules`) are applied to every checkpoint key first, in order, each one to
// the result of the previous: a `prefix` rule replaces a leading `from` by `to`; a `regex` rule
// is std::regex_replace (ECMAScript, $1 back-references) over the whole key, applied when the
// regex matches somewhere in the key. The renamed key then goes through the base map. The model
// layer does not read YAML (it builds with LibTorch and header-only libraries only): the config
// layer parses a rules file of this shape into a KeyMapSpec:
//     base: hf                       # hf | openai | open_clip (default hf)
//     rules:
//       - {prefix: "module.", to: ""}
//       - {regex: "^backbone\\.(.*)$", to: "vision_model.$1"}
//
// Thread-safety: plain values and pure functions.
#ifndef VIDX_INDEXER_MODEL_KEY_MAP_H_
#define VIDX_INDEXER_MODEL_KEY_MAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/rename_rule.h"

namespace vidx {

enum class KeyMapBase { kHf, kOpenAI, kOpenClip };

struct KeyMapSpec {
  KeyMapBase base = KeyMapBase::kHf;
  std::vector<RenameRule> rules;
  std::string name = "hf";  // what the user wrote (hf, openai, open_clip, or a file path)

  // Canonical description for the feature fingerprint.
  std::string Describe() const;
};

// "hf" | "openai" | "open_clip" -> spec; anything else is kInvalidArgument (a rules file path
// is parsed by the config layer).
StatusOr<KeyMapSpec> BuiltinKeyMap(const std::string& name);

enum class KeyTransform {
  kIdentity,
  kTranspose,  // 2-D: target = source.t()
  kSplitQ,     // dim 0 split in three equal parts: first / second / third
  kSplitK,
  kSplitV,
  kLegacyPositionIds,  // verified to be arange(n) (shape [1,n] or [n]) and dropped
};
const char* KeyTransformName(KeyTransform t);
// The shape of the model tensor that `t` makes from a checkpoint tensor of `shape`; false when
// `t` cannot apply to that shape (a transpose of a tensor that is not 2-D, a split of a first
// dimension that is not a multiple of 3).
bool ShapeAfterTransform(KeyTransform t, std::vector<int64_t> shape, std::vector<int64_t>* out);

struct MappedKey {
  std::string target;  // model name (HF CLIPModel key)
  std::string source;  // the key as written in the checkpoint
  KeyTransform transform = KeyTransform::kIdentity;
};

// Maps every checkpoint key. Keys no rule knows keep their (renamed) name as target and so
// become "unexpected" in the loader unless the model has such a parameter. An invalid regex is
// kInvalidArgument.
StatusOr<std::vector<MappedKey>> MapCheckpointKeys(const KeyMapSpec& spec,
                                                   const std::vector<std::string>& keys);

// Levenshtein distance (bytes), used for "nearest checkpoint key" suggestions.
size_t EditDistance(const std::string& a, const std::string& b);

// fnmatch-style glob (* ? [..]); '*' also matches '.'.
bool GlobMatch(const std::string& pattern, const std::string& text);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_KEY_MAP_H_
