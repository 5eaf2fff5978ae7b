// ClipConfig / PreprocessConfig: the architecture and image preprocessing of a CLIP model, read
// from a Hugging Face model directory (config.json, preprocessor_config.json).
//
// config.json: `text_config` and `vision_config` objects must be present (and `model_type`, when
// given, must be "clip"). transformers' save_pretrained writes only the fields that differ from
// its class defaults, so a field absent from a sub-config takes the default of transformers
// 4.40's CLIPTextConfig / CLIPVisionConfig / CLIPConfig — exactly what transformers itself does
// when it loads the same file. Every field filled that way is listed in `defaulted` (e.g.
// "text_config.hidden_act=quick_gelu") so the caller can log it. Legacy `text_config_dict` /
// `vision_config_dict` objects override `text_config` / `vision_config` as in transformers.
// A field of the wrong JSON type or an invalid value (hidden_size not divisible by heads, image
// size not divisible by patch size, unknown hidden_act, ...) is kInvalidArgument naming
// config.json and the field. A shape-determining value that the defaults get wrong is still
// caught: the strict loader refuses any shape that differs from the checkpoint.
//
// preprocessor_config.json: `size` (int, {"shortest_edge"} or {"height","width"}), `crop_size`
// (int or {"height","width"}), `image_mean`, `image_std`, `resample`, `rescale_factor`,
// `do_resize`, `do_center_crop`, `do_rescale`, `do_normalize`. A missing file or field takes
// CLIPImageProcessor's default (size = crop = the vision image_size, OpenAI mean/std, bicubic),
// recorded in `defaulted`.
//
// Thread-safety: plain values.
#ifndef VIDX_INDEXER_MODEL_CLIP_CONFIG_H_
#define VIDX_INDEXER_MODEL_CLIP_CONFIG_H_

#include <array>
#include <string>
#include <vector>

#include "common/status.h"

namespace vidx {

// kGeluTanh (transformers' "gelu_pytorch_tanh") is SigLIP's; CLIP configs never give it.
enum class Activation { kQuickGelu, kGelu, kGeluTanh };
const char* ActivationName(Activation a);  // "quick_gelu" | "gelu" | "gelu_pytorch_tanh"

struct ClipTowerConfig {
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  Activation hidden_act = Activation::kQuickGelu;
  double layer_norm_eps = 1e-5;
  // Text tower only.
  int vocab_size = 0;
  int max_position_embeddings = 0;
  int eos_token_id = 0;  // 2 = legacy configs: pool at argmax(ids); else first id == eos
  // Vision tower only.
  int image_size = 0;
  int patch_size = 0;
  int num_channels = 0;
};

struct ClipConfig {
  ClipTowerConfig text;
  ClipTowerConfig vision;
  int projection_dim = 0;
  std::vector<std::string> defaulted;  // "field=value" filled from transformers' defaults

  // Canonical one-line description of everything that determines the computation
  // (for the feature fingerprint). Stable across releases: do not reorder.
  std::string Describe() const;
};

struct PreprocessConfig {
  bool do_resize = true;
  int shortest_edge = 0;  // resize target of the shortest side (when resize_height == 0)
  int resize_height = 0;  // exact resize target when size is {"height","width"}
  int resize_width = 0;
  bool do_center_crop = true;
  int crop_height = 0;
  int crop_width = 0;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<double, 3> image_mean = {0.48145466, 0.4578275, 0.40821073};
  std::array<double, 3> image_std = {0.26862954, 0.26130258, 0.27577711};
  int resample = 3;  // PIL code; only 3 (bicubic) is implemented
  std::vector<std::string> defaulted;

  // Height/width of the tensor handed to the vision tower.
  int output_height() const { return do_center_crop ? crop_height : resize_height; }
  int output_width() const { return do_center_crop ? crop_width : resize_width; }
  std::string Describe() const;
};

// Parses the text of a config.json; `source` names the file in error messages.
StatusOr<ClipConfig> ParseClipConfig(const std::string& json_text, const std::string& source);
// Parses preprocessor_config.json text; `vision` supplies the defaults for size and crop.
StatusOr<PreprocessConfig> ParsePreprocessConfig(const std::string& json_text,
                                                 const std::string& source,
                                                 const ClipTowerConfig& vision);
// CLIPImageProcessor's defaults for a vision tower (used when the file is absent).
PreprocessConfig DefaultPreprocessConfig(const ClipTowerConfig& vision);

// Reads <dir>/config.json (required) and <dir>/preprocessor_config.json (optional).
StatusOr<ClipConfig> LoadClipConfig(const std::string& dir);
StatusOr<PreprocessConfig> LoadPreprocessConfig(const std::string& dir,
                                                const ClipTowerConfig& vision);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_CLIP_CONFIG_H_
