#include "indexer/model/siglip_embedder.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "indexer/model/checkpoint_file.h"
#include "indexer/model/clip_encoder.h"
#include "indexer/model/preprocess.h"
#include "indexer/model/sentencepiece_tokenizer.h"
#include "indexer/model/siglip_model.h"
#include "indexer/model/strict_loader.h"

namespace vidx {
namespace {

ImagePreprocessSpec SpecOf(const PreprocessConfig& p, const ClipTowerConfig& vision) {
  ImagePreprocessSpec s;
  s.height = s.width = vision.image_size;
  if (!p.do_resize) {
    s.resize = ImagePreprocessSpec::Resize::kNone;
  } else {
    s.resize = ImagePreprocessSpec::Resize::kExact;
    s.resize_height = p.resize_height;
    s.resize_width = p.resize_width;
  }
  s.center_crop = false;
  s.interpolation = "bicubic";  // the only resample PreprocessConfig accepts
  s.rescale_factor = p.do_rescale ? p.rescale_factor : 1.0;
  if (p.do_normalize) {
    s.mean = p.image_mean;
    s.std = p.image_std;
  }
  return s;
}

Status CheckBatch(int64_t n) {
  if (n < 1 || n > (int64_t{1} << 30)) {
    return Status::InvalidArgument("a batch must hold 1 to 2^30 inputs, not " + std::to_string(n));
  }
  return Status::Ok();
}

class SiglipEmbedder final : public Embedder {
 public:
  SiglipEmbedder(SiglipModel model, PreprocessConfig preprocess,
                 std::unique_ptr<SentencePieceTokenizer> tokenizer,
                 std::vector<std::string> weights, torch::Device device, c10::ScalarType dtype,
                 std::string precision, std::string key_map, int context)
      : model_(std::move(model)),
        preprocess_(std::move(preprocess)),
        tokenizer_(std::move(tokenizer)),
        weights_(std::move(weights)),
        device_(device),
        dtype_(dtype),
        precision_(std::move(precision)),
        key_map_(std::move(key_map)),
        context_(context),
        spec_(SpecOf(preprocess_, model_->config().vision)),
        calibration_{model_->logit_scale(), model_->logit_bias()} {}

  std::string family() const override { return "siglip"; }
  int dim() const override { return model_->config().dim(); }
  const ImagePreprocessSpec& image_input() const override { return spec_; }
  std::string device() const override { return device_.str(); }
  std::string precision() const override { return precision_; }
  std::vector<std::string> checkpoint_files() const override { return weights_; }
  std::string Describe() const override {
    return "arch{" + model_->config().Describe() + "};preprocess{" + preprocess_.Describe() +
           "};tokenizer{" + tokenizer_->Describe() + ",context=" + std::to_string(context_) +
           "};key_map{" + key_map_ + "};" + DescribePrecision(precision_);
  }

  std::optional<MatchCalibration> match_calibration() const override { return calibration_; }

  Status EmbedPreparedImages(int64_t n, const uint8_t* rgb, float* out) const override {
    VIDX_RETURN_IF_ERROR(CheckBatch(n));
    PreprocessConfig p = preprocess_;
    p.do_resize = false;
    p.do_center_crop = true;  // a no-op crop to the prepared size
    p.crop_height = spec_.height;
    p.crop_width = spec_.width;
    std::vector<float> pixels;
    VIDX_RETURN_IF_ERROR(
        PreprocessImages(p, rgb, static_cast<int>(n), spec_.height, spec_.width, &pixels));
    return RunImages(pixels, n, out);
  }

  Status EmbedImages(int64_t n, int height, int width, const uint8_t* rgb,
                     float* out) const override {
    VIDX_RETURN_IF_ERROR(CheckBatch(n));
    std::vector<float> pixels;
    VIDX_RETURN_IF_ERROR(
        PreprocessImages(preprocess_, rgb, static_cast<int>(n), height, width, &pixels));
    return RunImages(pixels, n, out);
  }

  Status EmbedTexts(int64_t n, const std::string* texts, float* out) const override {
    VIDX_RETURN_IF_ERROR(CheckBatch(n));
    std::vector<int64_t> ids;
    ids.reserve(static_cast<size_t>(n) * static_cast<size_t>(context_));
    for (int64_t i = 0; i < n; ++i) {
      const std::vector<int32_t> row = tokenizer_->Encode(texts[i], context_);
      ids.insert(ids.end(), row.begin(), row.end());
    }
    return RunTokens(ids, n, out);
  }

  StatusOr<std::vector<int32_t>> Tokenize(std::string_view text) const override {
    return tokenizer_->Tokenize(text);
  }

  StatusOr<EmbedderProbe> Probe() const override {
    const int h = spec_.height, w = spec_.width;
    std::vector<uint8_t> rgb(static_cast<size_t>(h) * w * 3);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        uint8_t* p = &rgb[(static_cast<size_t>(y) * w + x) * 3];
        p[0] = static_cast<uint8_t>((x * 255) / std::max(w - 1, 1));
        p[1] = static_cast<uint8_t>((y * 255) / std::max(h - 1, 1));
        p[2] = static_cast<uint8_t>((x * 7 + y * 13 + ((x / 8 + y / 8) % 2) * 100) % 256);
      }
    }
    EmbedderProbe probe;
    probe.image.resize(static_cast<size_t>(dim()));
    probe.text.resize(static_cast<size_t>(dim()));
    VIDX_RETURN_IF_ERROR(EmbedPreparedImages(1, rgb.data(), probe.image.data()));
    const std::string text = "a photo of the vidx probe";
    VIDX_RETURN_IF_ERROR(EmbedTexts(1, &text, probe.text.data()));
    return probe;
  }

 private:
  Status Copy(const torch::Tensor& emb, int64_t n, float* out) const {
    torch::Tensor cpu = emb.to(torch::kCPU, torch::kFloat32).contiguous();
    if (cpu.numel() != n * dim()) {
      return Status::Internal("the model returned " + std::to_string(cpu.numel()) + " floats for " +
                              std::to_string(n) + " inputs");
    }
    std::memcpy(out, cpu.data_ptr<float>(), static_cast<size_t>(cpu.numel()) * sizeof(float));
    return Status::Ok();
  }

  Status RunImages(std::vector<float>& pixels, int64_t n, float* out) const {
    const ClipTowerConfig& v = model_->config().vision;
    try {
      c10::InferenceMode guard;
      torch::Tensor x =
          torch::from_blob(pixels.data(), {n, v.num_channels, v.image_size, v.image_size})
              .to(device_, dtype_);
      return Copy(model_->EncodeImage(x), n, out);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("SigLIP image tower failed: ") + e.what());
    }
  }

  Status RunTokens(std::vector<int64_t>& ids, int64_t n, float* out) const {
    try {
      c10::InferenceMode guard;
      torch::Tensor t = torch::from_blob(ids.data(), {n, context_}, torch::kInt64).to(device_);
      return Copy(model_->EncodeText(t), n, out);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("SigLIP text tower failed: ") + e.what());
    }
  }

  mutable SiglipModel model_;  // forward() only reads the parameters
  const PreprocessConfig preprocess_;
  const std::unique_ptr<SentencePieceTokenizer> tokenizer_;
  const std::vector<std::string> weights_;
  const torch::Device device_;
  const c10::ScalarType dtype_;
  const std::string precision_;
  const std::string key_map_;
  const int context_;
  const ImagePreprocessSpec spec_;
  const MatchCalibration calibration_;  // read once: logit_scale() syncs with the device
};

}  // namespace

StatusOr<std::unique_ptr<Embedder>> LoadSiglipEmbedder(const EmbedderOptions& options,
                                                       LoadReport* report) {
  LoadReport local;
  if (report == nullptr) report = &local;
  auto config = LoadSiglipConfig(options.model_dir);
  if (!config.ok()) return config.status();
  auto preprocess = LoadSiglipPreprocessConfig(options.model_dir, config->vision);
  if (!preprocess.ok()) return preprocess.status();
  report->config_defaults = config->defaulted;
  for (const auto& d : preprocess->defaulted) report->config_defaults.push_back(d);

  auto tokenizer = SentencePieceTokenizer::Open(options.model_dir);
  if (!tokenizer.ok()) return tokenizer.status();
  const std::string config_path = options.model_dir + "/config.json";
  VIDX_RETURN_IF_ERROR((*tokenizer)->CheckFitsTextTower(config->text.vocab_size, config_path));
  const int positions = config->text.max_position_embeddings;
  const int context =
      (*tokenizer)->model_max_length() > 0 ? (*tokenizer)->model_max_length() : positions;
  if (context > positions) {
    return Status::FailedPrecondition(
        options.model_dir + "/tokenizer_config.json: model_max_length " + std::to_string(context) +
        " exceeds " + config_path + "'s text_config.max_position_embeddings " +
        std::to_string(positions));
  }

  torch::Device device(torch::kCPU);
  c10::ScalarType dtype = torch::kFloat32;
  std::string precision;
  VIDX_RETURN_IF_ERROR(ResolveDevice(options, &device, &dtype, &precision));
  auto paths = ClipWeightFiles(options);
  if (!paths.ok()) return paths.status();
  auto files = OpenCheckpointFiles(*paths);
  if (!files.ok()) return files.status();
  SiglipModel model(nullptr);
  try {
    if (options.threads > 0) at::set_num_threads(options.threads);
    model = SiglipModel(*config);
    model->to(device, dtype);
    model->eval();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("building the SigLIP model failed: ") + e.what());
  }
  StrictLoadOptions lo;
  lo.key_map = options.key_map;
  lo.ignore_unexpected = options.ignore_unexpected;
  lo.alias_checkpoint = options.map_weights;
  VIDX_RETURN_IF_ERROR(StrictLoad(*model, RawPointers(*files), lo, report));
  // After the complete float32 load (every check above passed on the float weights).
  if (precision == "int8") VIDX_RETURN_IF_ERROR(QuantizeLinearLayers(*model, nullptr));
  return std::unique_ptr<Embedder>(std::make_unique<SiglipEmbedder>(
      std::move(model), std::move(*preprocess), std::move(*tokenizer), std::move(*paths), device,
      dtype, precision, options.key_map.Describe(), context));
}

}  // namespace vidx
