// SiglipConfig: the architecture of a SigLIP / SigLIP 2 (fixed resolution) model and its image
// preprocessing, read from a Hugging Face model directory.
//
// config.json: `model_type` must be "siglip"; `text_config` and `vision_config` objects must be
// present. A field absent from a sub-config takes the default of transformers 4.40's
// SiglipTextConfig / SiglipVisionConfig (hidden 768, intermediate 3072, 12 layers, 12 heads,
// gelu_pytorch_tanh, layer_norm_eps 1e-6; text: vocab 32000, 64 positions; vision: 3 channels,
// image 224, patch 16), listed in `defaulted`. hidden_act must be gelu_pytorch_tanh, gelu or
// quick_gelu. Errors are kInvalidArgument naming config.json and the field.
//
// preprocessor_config.json (SiglipImageProcessor): `size` {"height","width"} (an int means a
// square), `resample`, `do_resize`, `do_rescale`, `rescale_factor`, `do_normalize`,
// `image_mean`, `image_std`. SigLIP resizes straight to the size, with no centre crop; a
// missing file or field takes SiglipImageProcessor's default (size 224 x 224, bicubic, 1/255,
// mean = std = 0.5), listed in `defaulted`.
//
// Thread-safety: plain values.
#ifndef VIDX_INDEXER_MODEL_SIGLIP_CONFIG_H_
#define VIDX_INDEXER_MODEL_SIGLIP_CONFIG_H_

#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/clip_config.h"

namespace vidx {

struct SiglipConfig {
  ClipTowerConfig text;    // vocab_size, max_position_embeddings used; eos_token_id unused
  ClipTowerConfig vision;  // image_size, patch_size, num_channels used
  std::vector<std::string> defaulted;

  // Embedding size: both towers end at their hidden size, which must be equal.
  int dim() const { return vision.hidden_size; }
  // Canonical one-line description (for the feature fingerprint). Do not reorder.
  std::string Describe() const;
};

StatusOr<SiglipConfig> ParseSiglipConfig(const std::string& json_text, const std::string& source);
// `vision` supplies the default size.
StatusOr<PreprocessConfig> ParseSiglipPreprocessConfig(const std::string& json_text,
                                                       const std::string& source,
                                                       const ClipTowerConfig& vision);
PreprocessConfig DefaultSiglipPreprocessConfig();

// Reads <dir>/config.json (required) and <dir>/preprocessor_config.json (optional).
StatusOr<SiglipConfig> LoadSiglipConfig(const std::string& dir);
StatusOr<PreprocessConfig> LoadSiglipPreprocessConfig(const std::string& dir,
                                                      const ClipTowerConfig& vision);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_SIGLIP_CONFIG_H_
