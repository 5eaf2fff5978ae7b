#include "indexer/model/clip_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace vidx {
namespace {

using nlohmann::json;

std::string Fmt(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

// Reads fields of one JSON object, filling defaults and recording them. The first error sticks.
class FieldReader {
 public:
  FieldReader(const json& obj, std::string source, std::string prefix,
              std::vector<std::string>* defaulted)
      : obj_(obj), source_(std::move(source)), prefix_(std::move(prefix)), defaulted_(defaulted) {}

  void Int(const char* key, int def, int* out, int min_value = 1) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      *out = def;
      Default(key, std::to_string(def));
      return;
    }
    if (!it->is_number_integer()) return Fail(key, "must be an integer");
    const int64_t v = it->get<int64_t>();
    if (v < min_value || v > (int64_t{1} << 30)) {
      return Fail(key, "is out of range (" + std::to_string(v) + ")");
    }
    *out = static_cast<int>(v);
  }

  void Double(const char* key, double def, double* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      *out = def;
      Default(key, Fmt(def));
      return;
    }
    if (!it->is_number()) return Fail(key, "must be a number");
    *out = it->get<double>();
  }

  void Bool(const char* key, bool def, bool* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      *out = def;
      return;
    }
    if (!it->is_boolean()) return Fail(key, "must be true or false");
    *out = it->get<bool>();
  }

  void Act(const char* key, Activation* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      *out = Activation::kQuickGelu;
      Default(key, "quick_gelu");
      return;
    }
    if (!it->is_string()) return Fail(key, "must be a string");
    const std::string v = it->get<std::string>();
    if (v == "quick_gelu") {
      *out = Activation::kQuickGelu;
    } else if (v == "gelu") {
      *out = Activation::kGelu;
    } else {
      Fail(key, "is \"" + v + "\"; supported: quick_gelu, gelu");
    }
  }

  void Triple(const char* key, const std::array<double, 3>& def, std::array<double, 3>* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      *out = def;
      Default(key, "[" + Fmt(def[0]) + "," + Fmt(def[1]) + "," + Fmt(def[2]) + "]");
      return;
    }
    if (it->is_number()) {  // transformers accepts one value for all channels
      out->fill(it->get<double>());
      return;
    }
    if (!it->is_array() || it->size() != 3) return Fail(key, "must be a list of 3 numbers");
    for (size_t i = 0; i < 3; ++i) {
      if (!(*it)[i].is_number()) return Fail(key, "must be a list of 3 numbers");
      (*out)[i] = (*it)[i].get<double>();
    }
  }

  void Fail(const std::string& key, const std::string& what) {
    if (status_.ok()) {
      status_ = Status::InvalidArgument(source_ + ": field " + prefix_ + key + " " + what);
    }
  }
  void Default(const std::string& key, const std::string& value) {
    if (defaulted_ != nullptr) defaulted_->push_back(prefix_ + key + "=" + value);
  }
  const Status& status() const { return status_; }

 private:
  const json& obj_;
  std::string source_;
  std::string prefix_;
  std::vector<std::string>* defaulted_;
  Status status_;
};

StatusOr<json> ParseJson(const std::string& text, const std::string& source) {
  try {
    json j = json::parse(text);
    if (!j.is_object()) return Status::InvalidArgument(source + ": not a JSON object");
    return j;
  } catch (const json::exception& e) {
    return Status::InvalidArgument(source + ": invalid JSON: " + e.what());
  }
}

// The sub-config `name`, merged with a legacy `<name>_dict` which takes precedence.
StatusOr<json> SubConfig(const json& root, const std::string& name, const std::string& source) {
  json merged = json::object();
  auto it = root.find(name);
  auto legacy = root.find(name + "_dict");
  if ((it == root.end() || it->is_null()) && (legacy == root.end() || legacy->is_null())) {
    return Status::InvalidArgument(source + ": required field " + name + " is missing");
  }
  for (auto src : {it, legacy}) {
    if (src == root.end() || src->is_null()) continue;
    if (!src->is_object()) {
      return Status::InvalidArgument(source + ": field " + src.key() + " must be an object");
    }
    for (auto f = src->begin(); f != src->end(); ++f) merged[f.key()] = f.value();
  }
  return merged;
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
      return Status::NotFound("model directory " + dir.string() + " does not exist");
    }
    if (!std::filesystem::exists(path, ec)) return Status::NotFound(path + " does not exist");
    return Status::IoError(path + " cannot be read");
  }
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return Status::IoError(path + ": read failed");
  *out = s.str();
  return Status::Ok();
}

bool FileExists(const std::string& path) { return std::ifstream(path).good(); }

}  // namespace

const char* ActivationName(Activation a) {
  switch (a) {
    case Activation::kGelu:
      return "gelu";
    case Activation::kGeluTanh:
      return "gelu_pytorch_tanh";
    case Activation::kQuickGelu:
      break;
  }
  return "quick_gelu";
}

StatusOr<ClipConfig> ParseClipConfig(const std::string& json_text, const std::string& source) {
  auto root = ParseJson(json_text, source);
  if (!root.ok()) return root.status();
  const json& j = *root;
  auto mt = j.find("model_type");
  if (mt != j.end() && !(mt->is_string() && mt->get<std::string>() == "clip")) {
    return Status::Unsupported(source + ": field model_type is " + mt->dump() +
                               "; only \"clip\" is supported");
  }
  auto text_json = SubConfig(j, "text_config", source);
  if (!text_json.ok()) return text_json.status();
  auto vision_json = SubConfig(j, "vision_config", source);
  if (!vision_json.ok()) return vision_json.status();

  ClipConfig c;
  {  // Defaults: transformers 4.40 CLIPTextConfig.
    FieldReader r(*text_json, source, "text_config.", &c.defaulted);
    ClipTowerConfig& t = c.text;
    r.Int("vocab_size", 49408, &t.vocab_size);
    r.Int("hidden_size", 512, &t.hidden_size);
    r.Int("intermediate_size", 2048, &t.intermediate_size);
    r.Int("num_hidden_layers", 12, &t.num_hidden_layers, 0);
    r.Int("num_attention_heads", 8, &t.num_attention_heads);
    r.Int("max_position_embeddings", 77, &t.max_position_embeddings);
    r.Act("hidden_act", &t.hidden_act);
    r.Double("layer_norm_eps", 1e-5, &t.layer_norm_eps);
    r.Int("eos_token_id", 49407, &t.eos_token_id, 0);
    VIDX_RETURN_IF_ERROR(r.status());
  }
  {  // Defaults: transformers 4.40 CLIPVisionConfig.
    FieldReader r(*vision_json, source, "vision_config.", &c.defaulted);
    ClipTowerConfig& v = c.vision;
    r.Int("hidden_size", 768, &v.hidden_size);
    r.Int("intermediate_size", 3072, &v.intermediate_size);
    r.Int("num_hidden_layers", 12, &v.num_hidden_layers, 0);
    r.Int("num_attention_heads", 12, &v.num_attention_heads);
    r.Int("num_channels", 3, &v.num_channels);
    r.Int("image_size", 224, &v.image_size);
    r.Int("patch_size", 32, &v.patch_size);
    r.Act("hidden_act", &v.hidden_act);
    r.Double("layer_norm_eps", 1e-5, &v.layer_norm_eps);
    VIDX_RETURN_IF_ERROR(r.status());
  }
  {
    FieldReader r(j, source, "", &c.defaulted);
    r.Int("projection_dim", 512, &c.projection_dim);
    VIDX_RETURN_IF_ERROR(r.status());
  }
  for (const auto* tower : {&c.text, &c.vision}) {
    const std::string name = tower == &c.text ? "text_config." : "vision_config.";
    if (tower->hidden_size % tower->num_attention_heads != 0) {
      return Status::InvalidArgument(source + ": field " + name + "hidden_size (" +
                                     std::to_string(tower->hidden_size) +
                                     ") is not divisible by num_attention_heads (" +
                                     std::to_string(tower->num_attention_heads) + ")");
    }
    if (!(tower->layer_norm_eps > 0)) {
      return Status::InvalidArgument(source + ": field " + name + "layer_norm_eps must be > 0");
    }
  }
  if (c.vision.image_size % c.vision.patch_size != 0) {
    return Status::InvalidArgument(
        source + ": field vision_config.image_size (" + std::to_string(c.vision.image_size) +
        ") is not divisible by patch_size (" + std::to_string(c.vision.patch_size) + ")");
  }
  return c;
}

std::string ClipConfig::Describe() const {
  std::ostringstream s;
  auto tower = [&s](const char* name, const ClipTowerConfig& t) {
    s << name << "{hidden=" << t.hidden_size << ",intermediate=" << t.intermediate_size
      << ",layers=" << t.num_hidden_layers << ",heads=" << t.num_attention_heads
      << ",act=" << ActivationName(t.hidden_act) << ",eps=" << Fmt(t.layer_norm_eps);
  };
  tower("text", text);
  s << ",vocab=" << text.vocab_size << ",positions=" << text.max_position_embeddings
    << ",eos=" << text.eos_token_id << "}";
  tower("vision", vision);
  s << ",image=" << vision.image_size << ",patch=" << vision.patch_size
    << ",channels=" << vision.num_channels << "}";
  s << "projection=" << projection_dim;
  return s.str();
}

PreprocessConfig DefaultPreprocessConfig(const ClipTowerConfig& vision) {
  PreprocessConfig p;
  p.shortest_edge = vision.image_size;
  p.crop_height = p.crop_width = vision.image_size;
  p.defaulted.push_back(
      "preprocessor_config.json absent: CLIPImageProcessor defaults "
      "(shortest_edge=crop=" +
      std::to_string(vision.image_size) + ", bicubic, OpenAI mean/std)");
  return p;
}

StatusOr<PreprocessConfig> ParsePreprocessConfig(const std::string& json_text,
                                                 const std::string& source,
                                                 const ClipTowerConfig& vision) {
  auto root = ParseJson(json_text, source);
  if (!root.ok()) return root.status();
  const json& j = *root;
  PreprocessConfig p;
  FieldReader r(j, source, "", &p.defaulted);
  r.Bool("do_resize", true, &p.do_resize);
  r.Bool("do_center_crop", true, &p.do_center_crop);
  r.Bool("do_rescale", true, &p.do_rescale);
  r.Bool("do_normalize", true, &p.do_normalize);
  r.Double("rescale_factor", 1.0 / 255.0, &p.rescale_factor);
  r.Triple("image_mean", p.image_mean, &p.image_mean);
  r.Triple("image_std", p.image_std, &p.image_std);
  r.Int("resample", 3, &p.resample, 0);
  VIDX_RETURN_IF_ERROR(r.status());

  auto size_field = [&](const char* key, bool crop) -> Status {
    auto it = j.find(key);
    int* h = crop ? &p.crop_height : &p.resize_height;
    int* w = crop ? &p.crop_width : &p.resize_width;
    if (it == j.end() || it->is_null()) {
      if (crop) {
        *h = *w = vision.image_size;
      } else {
        p.shortest_edge = vision.image_size;
      }
      p.defaulted.push_back(std::string(key) + "=" + std::to_string(vision.image_size));
      return Status::Ok();
    }
    auto bad = [&] {
      return Status::InvalidArgument(
          source + ": field " + key + " must be a positive integer or an object with " +
          (crop ? "height and width" : "shortest_edge or height and width"));
    };
    auto positive = [](const json& v) {
      return v.is_number_integer() && v.get<int64_t>() > 0 && v.get<int64_t>() < (1 << 16);
    };
    if (it->is_number_integer()) {
      if (!positive(*it)) return bad();
      if (crop) {
        *h = *w = it->get<int>();
      } else {
        p.shortest_edge = it->get<int>();
      }
      return Status::Ok();
    }
    if (!it->is_object()) return bad();
    if (!crop && it->contains("shortest_edge")) {
      if (!positive((*it)["shortest_edge"])) return bad();
      p.shortest_edge = (*it)["shortest_edge"].get<int>();
      return Status::Ok();
    }
    if (it->contains("height") && it->contains("width") && positive((*it)["height"]) &&
        positive((*it)["width"])) {
      *h = (*it)["height"].get<int>();
      *w = (*it)["width"].get<int>();
      return Status::Ok();
    }
    return bad();
  };
  VIDX_RETURN_IF_ERROR(size_field("size", false));
  VIDX_RETURN_IF_ERROR(size_field("crop_size", true));
  if (p.resample != 3) {
    return Status::Unsupported(source + ": field resample is " + std::to_string(p.resample) +
                               "; only 3 (bicubic) is implemented");
  }
  for (double s : p.image_std) {
    if (!(s > 0)) return Status::InvalidArgument(source + ": field image_std must be > 0");
  }
  if (!p.do_resize && !p.do_center_crop) {
    return Status::Unsupported(source +
                               ": do_resize and do_center_crop both false: the input "
                               "size would be unconstrained");
  }
  if (!p.do_center_crop && p.resize_height == 0) {
    return Status::Unsupported(source + ": do_center_crop=false needs size {height,width}");
  }
  if (p.output_height() != vision.image_size || p.output_width() != vision.image_size) {
    return Status::InvalidArgument(
        source + ": the preprocessed image is " + std::to_string(p.output_height()) + "x" +
        std::to_string(p.output_width()) + " but config.json vision_config.image_size is " +
        std::to_string(vision.image_size));
  }
  return p;
}

std::string PreprocessConfig::Describe() const {
  std::ostringstream s;
  s << "resize=" << (do_resize ? 1 : 0) << ",shortest_edge=" << shortest_edge
    << ",resize_hw=" << resize_height << "x" << resize_width << ",crop=" << (do_center_crop ? 1 : 0)
    << ",crop_hw=" << crop_height << "x" << crop_width
    << ",rescale=" << (do_rescale ? Fmt(rescale_factor) : "none")
    << ",normalize=" << (do_normalize ? 1 : 0) << ",mean=" << Fmt(image_mean[0]) << ":"
    << Fmt(image_mean[1]) << ":" << Fmt(image_mean[2]) << ",std=" << Fmt(image_std[0]) << ":"
    << Fmt(image_std[1]) << ":" << Fmt(image_std[2]) << ",interp=pil_bicubic";
  return s.str();
}

StatusOr<ClipConfig> LoadClipConfig(const std::string& dir) {
  const std::string path = dir + "/config.json";
  std::string text;
  VIDX_RETURN_IF_ERROR(ReadFile(path, &text));
  return ParseClipConfig(text, path);
}

StatusOr<PreprocessConfig> LoadPreprocessConfig(const std::string& dir,
                                                const ClipTowerConfig& vision) {
  const std::string path = dir + "/preprocessor_config.json";
  if (!FileExists(path)) return DefaultPreprocessConfig(vision);
  std::string text;
  VIDX_RETURN_IF_ERROR(ReadFile(path, &text));
  return ParsePreprocessConfig(text, path, vision);
}

}  // namespace vidx
