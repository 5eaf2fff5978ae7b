#include "indexer/model/clip_encoder.h"

#include <fstream>
#include <set>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "indexer/model/checkpoint_file.h"
#include "indexer/model/clip_model.h"
#include "indexer/model/preprocess.h"
#include "indexer/model/strict_loader.h"

namespace vidx {

struct ClipEncoder::Impl {
  ClipConfig config;
  PreprocessConfig preprocess;
  KeyMapSpec key_map;
  torch::Device device{torch::kCPU};
  c10::ScalarType dtype = torch::kFloat32;
  std::string precision;
  mutable ClipModel model{nullptr};  // forward() is logically const (reads parameters only)

  Status EncodePixelsTensor(const torch::Tensor& pixels, std::vector<float>* out) const;
};

namespace {

bool Exists(const std::string& path) { return std::ifstream(path).good(); }

// The shard files a Hugging Face index (`weight_map`: tensor -> file) names, sorted.
StatusOr<std::vector<std::string>> ShardsOf(const std::string& dir, const std::string& index) {
  std::ifstream in(index);
  std::vector<std::string> files;
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    std::set<std::string> names;
    for (const auto& kv : j.at("weight_map").items()) names.insert(kv.value().get<std::string>());
    for (const auto& n : names) {
      if (n.find('/') != std::string::npos || n == "..") {
        return Status::InvalidArgument(index + ": shard name " + n + " leaves the directory");
      }
      files.push_back(dir + "/" + n);
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(index + ": " + e.what());
  }
  if (files.empty()) return Status::Corruption(index + ": empty weight_map");
  return files;
}

}  // namespace

StatusOr<std::vector<std::string>> ClipWeightFiles(const ClipEncoderOptions& o) {
  if (!o.weights.empty()) return std::vector<std::string>{o.weights};
  // Safetensors first, then what torch.save wrote (Hugging Face, then open_clip).
  static const char* kSingle[] = {"model.safetensors", "pytorch_model.bin",
                                  "open_clip_pytorch_model.bin"};
  static const char* kIndex[] = {"model.safetensors.index.json", "pytorch_model.bin.index.json"};
  for (size_t i = 0; i < 2; ++i) {
    const std::string single = o.model_dir + "/" + kSingle[i];
    if (Exists(single)) return std::vector<std::string>{single};
    const std::string index = o.model_dir + "/" + kIndex[i];
    if (Exists(index)) return ShardsOf(o.model_dir, index);
  }
  const std::string open_clip = o.model_dir + "/" + kSingle[2];
  if (Exists(open_clip)) return std::vector<std::string>{open_clip};
  return Status::NotFound(o.model_dir +
                          ": no weights (model.safetensors, model.safetensors.index.json, "
                          "pytorch_model.bin, pytorch_model.bin.index.json or "
                          "open_clip_pytorch_model.bin)");
}

Status ResolveDevice(const EmbedderOptions& o, torch::Device* device, c10::ScalarType* dtype,
                     std::string* precision) {
  std::string p = o.precision.empty() ? "auto" : o.precision;
  std::string dev = o.device.empty() ? "cpu" : o.device;
  // int8 runs on the CPU only: device auto means cpu for it, an explicit CUDA device is refused
  // (before asking whether there is one, so the answer names the real problem).
  if (dev == "auto") dev = (p != "int8" && torch::cuda::is_available()) ? "cuda" : "cpu";
  if (dev != "cpu" && dev.rfind("cuda", 0) != 0) {
    return Status::InvalidArgument("model.device \"" + o.device +
                                   "\" is not cpu, cuda, cuda:N or auto");
  }
  if (p == "int8" && dev != "cpu") {
    return Status::Unsupported("model.precision int8 runs on the CPU only, but model.device is " +
                               dev + " (use fp16 or bf16 on CUDA)");
  }
  if (dev != "cpu" && !torch::cuda::is_available()) {
    return Status::Unsupported("model.device is " + dev + " but LibTorch sees no CUDA device");
  }
  try {
    *device = torch::Device(dev);
  } catch (const std::exception& e) {
    return Status::InvalidArgument("model.device \"" + dev + "\": " + e.what());
  }
  if (p == "auto") p = device->is_cuda() ? "fp16" : "fp32";
  if (p == "fp32" || p == "int8") {
    *dtype = torch::kFloat32;  // int8: float32 parameters, Linear layers quantized after loading
  } else if (p == "fp16") {
    if (!device->is_cuda()) return Status::Unsupported("model.precision fp16 needs a CUDA device");
    *dtype = torch::kFloat16;
  } else if (p == "bf16") {
    *dtype = torch::kBFloat16;
  } else {
    return Status::InvalidArgument("model.precision \"" + o.precision +
                                   "\" is not fp32, fp16, bf16, int8 or auto");
  }
  *precision = p;
  return Status::Ok();
}

namespace {

void AppendRows(const torch::Tensor& emb, std::vector<float>* out) {
  torch::Tensor cpu = emb.to(torch::kCPU, torch::kFloat32).contiguous();
  const float* p = cpu.data_ptr<float>();
  out->insert(out->end(), p, p + cpu.numel());
}

}  // namespace

ClipEncoder::ClipEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClipEncoder::~ClipEncoder() = default;

StatusOr<std::unique_ptr<ClipEncoder>> ClipEncoder::Load(const ClipEncoderOptions& options,
                                                         LoadReport* report) {
  LoadReport local;
  if (report == nullptr) report = &local;
  auto impl = std::make_unique<Impl>();
  auto config = LoadClipConfig(options.model_dir);
  if (!config.ok()) return config.status();
  impl->config = *config;
  auto pre = LoadPreprocessConfig(options.model_dir, impl->config.vision);
  if (!pre.ok()) return pre.status();
  impl->preprocess = *pre;
  report->config_defaults = impl->config.defaulted;
  for (const auto& d : impl->preprocess.defaulted) report->config_defaults.push_back(d);
  impl->key_map = options.key_map;
  VIDX_RETURN_IF_ERROR(ResolveDevice(options, &impl->device, &impl->dtype, &impl->precision));

  auto paths = ClipWeightFiles(options);
  if (!paths.ok()) return paths.status();
  auto files = OpenCheckpointFiles(*paths);
  if (!files.ok()) return files.status();
  try {
    if (options.threads > 0) at::set_num_threads(options.threads);
    impl->model = ClipModel(impl->config);
    impl->model->to(impl->device, impl->dtype);
    impl->model->eval();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("building the CLIP model failed: ") + e.what());
  }
  StrictLoadOptions lo;
  lo.key_map = options.key_map;
  lo.ignore_unexpected = options.ignore_unexpected;
  lo.alias_checkpoint = options.map_weights;
  VIDX_RETURN_IF_ERROR(StrictLoad(*impl->model, RawPointers(*files), lo, report));
  // After the complete float32 load (every check above passed on the float weights).
  if (impl->precision == "int8") {
    VIDX_RETURN_IF_ERROR(QuantizeLinearLayers(*impl->model, nullptr));
  }
  return std::unique_ptr<ClipEncoder>(new ClipEncoder(std::move(impl)));
}

const ClipConfig& ClipEncoder::config() const { return impl_->config; }
const PreprocessConfig& ClipEncoder::preprocess() const { return impl_->preprocess; }
int ClipEncoder::dim() const { return impl_->config.projection_dim; }
int ClipEncoder::image_height() const { return impl_->config.vision.image_size; }
int ClipEncoder::image_width() const { return impl_->config.vision.image_size; }
int ClipEncoder::context_length() const { return impl_->config.text.max_position_embeddings; }
std::string ClipEncoder::device() const { return impl_->device.str(); }
std::string ClipEncoder::precision() const { return impl_->precision; }

std::string ClipEncoder::Describe() const {
  return "arch{" + impl_->config.Describe() + "};preprocess{" + impl_->preprocess.Describe() +
         "};key_map{" + impl_->key_map.Describe() + "};" + DescribePrecision(impl_->precision);
}

Status ClipEncoder::Impl::EncodePixelsTensor(const torch::Tensor& pixels,
                                             std::vector<float>* out) const {
  try {
    c10::InferenceMode guard;
    torch::Tensor x = pixels.to(device, dtype);
    AppendRows(model->EncodeImage(x), out);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("image tower failed: ") + e.what());
  }
  return Status::Ok();
}

Status ClipEncoder::EncodePixels(const float* nchw, int n, std::vector<float>* out) const {
  if (n <= 0 || nchw == nullptr) return Status::InvalidArgument("EncodePixels: empty batch");
  const int s = image_height();
  const int c = impl_->config.vision.num_channels;
  torch::Tensor t = torch::from_blob(const_cast<float*>(nchw), {n, c, s, s}, torch::kFloat32);
  return impl_->EncodePixelsTensor(t, out);
}

Status ClipEncoder::EncodeImages(const uint8_t* rgb, int n, int h, int w,
                                 std::vector<float>* out) const {
  if (n <= 0 || rgb == nullptr) return Status::InvalidArgument("EncodeImages: empty batch");
  if (impl_->config.vision.num_channels != 3) {
    return Status::Unsupported("the model takes " +
                               std::to_string(impl_->config.vision.num_channels) +
                               " channels, not RGB");
  }
  std::vector<float> pixels;
  VIDX_RETURN_IF_ERROR(PreprocessImages(impl_->preprocess, rgb, n, h, w, &pixels));
  return EncodePixels(pixels.data(), n, out);
}

Status ClipEncoder::EncodePreparedImages(const uint8_t* rgb, int n, int h, int w,
                                         std::vector<float>* out) const {
  if (h != image_height() || w != image_width()) {
    return Status::InvalidArgument("prepared images must be " + std::to_string(image_height()) +
                                   "x" + std::to_string(image_width()) + ", got " +
                                   std::to_string(h) + "x" + std::to_string(w));
  }
  PreprocessConfig p = impl_->preprocess;
  p.do_resize = false;
  p.do_center_crop = true;
  p.crop_height = h;
  p.crop_width = w;
  std::vector<float> pixels;
  VIDX_RETURN_IF_ERROR(PreprocessImages(p, rgb, n, h, w, &pixels));
  return EncodePixels(pixels.data(), n, out);
}

Status ClipEncoder::EncodeTokens(const int64_t* ids, int n, int len, std::vector<float>* out,
                                 TextLength length) const {
  if (n <= 0 || len <= 0 || ids == nullptr) {
    return Status::InvalidArgument("EncodeTokens: empty batch");
  }
  if (len > context_length()) {
    return Status::InvalidArgument("token rows of " + std::to_string(len) +
                                   " ids exceed the context length " +
                                   std::to_string(context_length()));
  }
  const int64_t vocab = impl_->config.text.vocab_size;
  for (int64_t i = 0; i < int64_t{n} * len; ++i) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      return Status::InvalidArgument("token id " + std::to_string(ids[i]) +
                                     " is outside the vocabulary of " + std::to_string(vocab));
    }
  }
  try {
    c10::InferenceMode guard;
    torch::Tensor t =
        torch::from_blob(const_cast<int64_t*>(ids), {n, len}, torch::kInt64).to(impl_->device);
    AppendRows(impl_->model->EncodeText(t, length == TextLength::kFull), out);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("text tower failed: ") + e.what());
  }
  return Status::Ok();
}

StatusOr<ClipProbe> ClipEncoder::Probe() const {
  const int h = image_height(), w = image_width();
  std::vector<uint8_t> rgb(static_cast<size_t>(h) * w * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &rgb[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>((x * 255) / std::max(w - 1, 1));
      p[1] = static_cast<uint8_t>((y * 255) / std::max(h - 1, 1));
      p[2] = static_cast<uint8_t>((x * 7 + y * 13 + ((x / 8 + y / 8) % 2) * 100) % 256);
    }
  }
  const ClipTowerConfig& t = impl_->config.text;
  const int len = std::min(context_length(), 16);
  const int64_t vocab = t.vocab_size;
  const int64_t eos = (t.eos_token_id == 2 || t.eos_token_id >= vocab) ? vocab - 1 : t.eos_token_id;
  std::vector<int64_t> ids(len, 0);
  const int body = std::max(len - 2, 0);
  for (int i = 0; i < body; ++i) ids[i] = 1 + (i * 37 + 11) % std::max<int64_t>(vocab - 2, 1);
  ids[body] = eos;
  ClipProbe probe;
  VIDX_RETURN_IF_ERROR(EncodePreparedImages(rgb.data(), 1, h, w, &probe.image));
  VIDX_RETURN_IF_ERROR(EncodeTokens(ids.data(), 1, len, &probe.text));
  return probe;
}

}  // namespace vidx
