#include "indexer/model/key_map.h"

#include <fnmatch.h>

#include <algorithm>
#include <regex>

namespace vidx {
namespace {

bool StartsWith(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}

// One OpenAI-layout transformer block suffix -> HF encoder layer suffix.
bool MapResblockSuffix(const std::string& rest, std::vector<MappedKey>* out,
                       const std::string& hf_layer, const std::string& source) {
  static const char* const kPairs[][2] = {
      {"ln_1.weight", "layer_norm1.weight"},
      {"ln_1.bias", "layer_norm1.bias"},
      {"ln_2.weight", "layer_norm2.weight"},
      {"ln_2.bias", "layer_norm2.bias"},
      {"mlp.c_fc.weight", "mlp.fc1.weight"},
      {"mlp.c_fc.bias", "mlp.fc1.bias"},
      {"mlp.c_proj.weight", "mlp.fc2.weight"},
      {"mlp.c_proj.bias", "mlp.fc2.bias"},
      {"attn.out_proj.weight", "self_attn.out_proj.weight"},
      {"attn.out_proj.bias", "self_attn.out_proj.bias"},
  };
  for (const auto& p : kPairs) {
    if (rest == p[0]) {
      out->push_back({hf_layer + p[1], source, KeyTransform::kIdentity});
      return true;
    }
  }
  for (const char* kind : {"weight", "bias"}) {
    if (rest == std::string("attn.in_proj_") + kind) {
      out->push_back({hf_layer + "self_attn.q_proj." + kind, source, KeyTransform::kSplitQ});
      out->push_back({hf_layer + "self_attn.k_proj." + kind, source, KeyTransform::kSplitK});
      out->push_back({hf_layer + "self_attn.v_proj." + kind, source, KeyTransform::kSplitV});
      return true;
    }
  }
  return false;
}

// Maps `key` (already renamed) from the OpenAI layout; false when it is not an OpenAI key.
bool MapOpenAI(const std::string& key, const std::string& source, std::vector<MappedKey>* out) {
  static const char* const kFixed[][2] = {
      {"visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"},
      {"visual.class_embedding", "vision_model.embeddings.class_embedding"},
      {"visual.positional_embedding", "vision_model.embeddings.position_embedding.weight"},
      {"visual.ln_pre.weight", "vision_model.pre_layrnorm.weight"},
      {"visual.ln_pre.bias", "vision_model.pre_layrnorm.bias"},
      {"visual.ln_post.weight", "vision_model.post_layernorm.weight"},
      {"visual.ln_post.bias", "vision_model.post_layernorm.bias"},
      {"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
      {"positional_embedding", "text_model.embeddings.position_embedding.weight"},
      {"ln_final.weight", "text_model.final_layer_norm.weight"},
      {"ln_final.bias", "text_model.final_layer_norm.bias"},
      {"logit_scale", "logit_scale"},
  };
  for (const auto& p : kFixed) {
    if (key == p[0]) {
      out->push_back({p[1], source, KeyTransform::kIdentity});
      return true;
    }
  }
  if (key == "visual.proj") {
    out->push_back({"visual_projection.weight", source, KeyTransform::kTranspose});
    return true;
  }
  if (key == "text_projection") {
    out->push_back({"text_projection.weight", source, KeyTransform::kTranspose});
    return true;
  }
  static const std::regex kBlock(R"(^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)$)");
  std::smatch m;
  if (std::regex_match(key, m, kBlock)) {
    const std::string tower = m[1].matched ? "vision_model." : "text_model.";
    const std::string layer = tower + "encoder.layers." + m[2].str() + ".";
    return MapResblockSuffix(m[3].str(), out, layer, source);
  }
  return false;
}

}  // namespace

std::string KeyMapSpec::Describe() const {
  std::string s;
  switch (base) {
    case KeyMapBase::kHf:
      s = "hf";
      break;
    case KeyMapBase::kOpenAI:
      s = "openai";
      break;
    case KeyMapBase::kOpenClip:
      s = "open_clip";
      break;
  }
  for (const auto& r : rules) {
    s += r.kind == RenameRule::Kind::kPrefix ? ";prefix:" : ";regex:";
    s += r.from + "->" + r.to;
  }
  return s;
}

StatusOr<KeyMapSpec> BuiltinKeyMap(const std::string& name) {
  KeyMapSpec spec;
  spec.name = name;
  if (name == "hf") {
    spec.base = KeyMapBase::kHf;
  } else if (name == "openai") {
    spec.base = KeyMapBase::kOpenAI;
  } else if (name == "open_clip") {
    spec.base = KeyMapBase::kOpenClip;
  } else {
    return Status::InvalidArgument("key_map \"" + name +
                                   "\" is not a built-in map (hf, openai, open_clip)");
  }
  return spec;
}

const char* KeyTransformName(KeyTransform t) {
  switch (t) {
    case KeyTransform::kIdentity:
      return "identity";
    case KeyTransform::kTranspose:
      return "transpose";
    case KeyTransform::kSplitQ:
      return "split q";
    case KeyTransform::kSplitK:
      return "split k";
    case KeyTransform::kSplitV:
      return "split v";
    case KeyTransform::kLegacyPositionIds:
      return "legacy position_ids";
  }
  return "?";
}

StatusOr<std::vector<MappedKey>> MapCheckpointKeys(const KeyMapSpec& spec,
                                                   const std::vector<std::string>& keys) {
  std::vector<std::regex> regexes(spec.rules.size());
  for (size_t i = 0; i < spec.rules.size(); ++i) {
    if (spec.rules[i].kind != RenameRule::Kind::kRegex) continue;
    try {
      regexes[i] = std::regex(spec.rules[i].from, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument("key_map " + spec.name + ": rule " + std::to_string(i + 1) +
                                     ": invalid regex \"" + spec.rules[i].from + "\": " + e.what());
    }
  }
  std::vector<MappedKey> out;
  out.reserve(keys.size() + 16);
  for (const std::string& source : keys) {
    std::string key = source;
    for (size_t i = 0; i < spec.rules.size(); ++i) {
      const RenameRule& r = spec.rules[i];
      if (r.kind == RenameRule::Kind::kPrefix) {
        if (StartsWith(key, r.from)) key = r.to + key.substr(r.from.size());
      } else if (std::regex_search(key, regexes[i])) {
        key = std::regex_replace(key, regexes[i], r.to);
      }
    }
    if (key == "text_model.embeddings.position_ids" ||
        key == "vision_model.embeddings.position_ids") {
      out.push_back({key, source, KeyTransform::kLegacyPositionIds});
      continue;
    }
    if (spec.base != KeyMapBase::kHf && MapOpenAI(key, source, &out)) continue;
    out.push_back({key, source, KeyTransform::kIdentity});
  }
  return out;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

bool GlobMatch(const std::string& pattern, const std::string& text) {
  return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

bool ShapeAfterTransform(KeyTransform t, std::vector<int64_t> shape, std::vector<int64_t>* out) {
  switch (t) {
    case KeyTransform::kTranspose:
      if (shape.size() != 2) return false;
      std::swap(shape[0], shape[1]);
      break;
    case KeyTransform::kSplitQ:
    case KeyTransform::kSplitK:
    case KeyTransform::kSplitV:
      if (shape.empty() || shape[0] % 3 != 0) return false;
      shape[0] /= 3;
      break;
    default:
      break;
  }
  *out = std::move(shape);
  return true;
}

}  // namespace vidx
