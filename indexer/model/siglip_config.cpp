#include "indexer/model/siglip_config.h"

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

Status ParseObject(const std::string& text, const std::string& source, json* out) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(source + " is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument(source + " is not a JSON object");
  *out = std::move(j);
  return Status::Ok();
}

// Reads the fields of one sub-config with transformers' defaults; the first error sticks.
class TowerReader {
 public:
  TowerReader(const json& obj, const std::string& source, const std::string& prefix,
              std::vector<std::string>* defaulted)
      : obj_(obj), source_(source), prefix_(prefix), defaulted_(defaulted) {}

  void Int(const char* key, int def, int* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      *out = def;
      defaulted_->push_back(prefix_ + key + "=" + std::to_string(def));
      return;
    }
    if (!it->is_number_integer()) return Fail(key, "must be an integer");
    const int64_t v = it->get<int64_t>();
    if (v < 1 || v > (int64_t{1} << 30)) return Fail(key, "is out of range");
    *out = static_cast<int>(v);
  }
  void Eps(const char* key, double def, double* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      *out = def;
      defaulted_->push_back(prefix_ + key + "=" + Fmt(def));
      return;
    }
    if (!it->is_number() || !(it->get<double>() > 0)) return Fail(key, "must be a number > 0");
    *out = it->get<double>();
  }
  void Act(const char* key, Activation* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      *out = Activation::kGeluTanh;
      defaulted_->push_back(prefix_ + key + "=gelu_pytorch_tanh");
      return;
    }
    const std::string v = it->is_string() ? it->get<std::string>() : it->dump();
    if (v == "gelu_pytorch_tanh") {
      *out = Activation::kGeluTanh;
    } else if (v == "gelu") {
      *out = Activation::kGelu;
    } else if (v == "quick_gelu") {
      *out = Activation::kQuickGelu;
    } else {
      Fail(key, "is " + v + "; supported: gelu_pytorch_tanh, gelu, quick_gelu");
    }
  }
  void Fail(const std::string& key, const std::string& what) {
    if (status_.ok()) {
      status_ = Status::InvalidArgument(source_ + ": field " + prefix_ + key + " " + what);
    }
  }
  const Status& status() const { return status_; }

 private:
  const json& obj_;
  const std::string& source_;
  std::string prefix_;
  std::vector<std::string>* defaulted_;
  Status status_;
};

Status ReadTower(const json& root, const char* name, const std::string& source, bool text,
                 ClipTowerConfig* t, std::vector<std::string>* defaulted) {
  auto it = root.find(name);
  if (it == root.end() || !it->is_object()) {
    return Status::InvalidArgument(source + ": field " + name + " is missing or not an object");
  }
  TowerReader r(*it, source, std::string(name) + ".", defaulted);
  r.Int("hidden_size", 768, &t->hidden_size);
  r.Int("intermediate_size", 3072, &t->intermediate_size);
  r.Int("num_hidden_layers", 12, &t->num_hidden_layers);
  r.Int("num_attention_heads", 12, &t->num_attention_heads);
  r.Act("hidden_act", &t->hidden_act);
  r.Eps("layer_norm_eps", 1e-6, &t->layer_norm_eps);
  if (text) {
    r.Int("vocab_size", 32000, &t->vocab_size);
    r.Int("max_position_embeddings", 64, &t->max_position_embeddings);
  } else {
    r.Int("num_channels", 3, &t->num_channels);
    r.Int("image_size", 224, &t->image_size);
    r.Int("patch_size", 16, &t->patch_size);
  }
  VIDX_RETURN_IF_ERROR(r.status());
  if (t->hidden_size % t->num_attention_heads != 0) {
    return Status::InvalidArgument(source + ": field " + name + ".hidden_size (" +
                                   std::to_string(t->hidden_size) +
                                   ") is not divisible by num_attention_heads (" +
                                   std::to_string(t->num_attention_heads) + ")");
  }
  if (!text && t->image_size % t->patch_size != 0) {
    return Status::InvalidArgument(
        source + ": field vision_config.image_size (" + std::to_string(t->image_size) +
        ") is not divisible by patch_size (" + std::to_string(t->patch_size) + ")");
  }
  return Status::Ok();
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return Status::NotFound(path + " does not exist");
    return Status::IoError(path + " cannot be read");
  }
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return Status::IoError(path + ": read failed");
  *out = s.str();
  return Status::Ok();
}

}  // namespace

StatusOr<SiglipConfig> ParseSiglipConfig(const std::string& json_text, const std::string& source) {
  json root;
  VIDX_RETURN_IF_ERROR(ParseObject(json_text, source, &root));
  auto mt = root.find("model_type");
  if (mt == root.end() || !mt->is_string() || mt->get<std::string>() != "siglip") {
    return Status::InvalidArgument(source + ": field model_type is " +
                                   (mt == root.end() ? std::string("absent") : mt->dump()) +
                                   ", not \"siglip\"");
  }
  SiglipConfig c;
  VIDX_RETURN_IF_ERROR(ReadTower(root, "text_config", source, true, &c.text, &c.defaulted));
  VIDX_RETURN_IF_ERROR(ReadTower(root, "vision_config", source, false, &c.vision, &c.defaulted));
  if (c.text.hidden_size != c.vision.hidden_size) {
    return Status::InvalidArgument(
        source + ": field text_config.hidden_size (" + std::to_string(c.text.hidden_size) +
        ") differs from vision_config.hidden_size (" + std::to_string(c.vision.hidden_size) +
        "), so the towers' embeddings cannot be compared");
  }
  return c;
}

std::string SiglipConfig::Describe() const {
  std::ostringstream s;
  auto tower = [&s](const char* name, const ClipTowerConfig& t) {
    s << name << "{hidden=" << t.hidden_size << ",intermediate=" << t.intermediate_size
      << ",layers=" << t.num_hidden_layers << ",heads=" << t.num_attention_heads
      << ",act=" << ActivationName(t.hidden_act) << ",eps=" << Fmt(t.layer_norm_eps);
  };
  s << "siglip:";
  tower("text", text);
  s << ",vocab=" << text.vocab_size << ",positions=" << text.max_position_embeddings << "}";
  tower("vision", vision);
  s << ",image=" << vision.image_size << ",patch=" << vision.patch_size
    << ",channels=" << vision.num_channels << "}";
  return s.str();
}

PreprocessConfig DefaultSiglipPreprocessConfig() {
  PreprocessConfig p;
  p.resize_height = p.resize_width = 224;
  p.do_center_crop = false;
  p.image_mean = {0.5, 0.5, 0.5};
  p.image_std = {0.5, 0.5, 0.5};
  p.defaulted.push_back(
      "preprocessor_config.json absent: SiglipImageProcessor defaults (224x224, bicubic, "
      "mean=std=0.5)");
  return p;
}

StatusOr<PreprocessConfig> ParseSiglipPreprocessConfig(const std::string& json_text,
                                                       const std::string& source,
                                                       const ClipTowerConfig& vision) {
  json j;
  VIDX_RETURN_IF_ERROR(ParseObject(json_text, source, &j));
  std::vector<std::string> defaulted;
  auto fill = [&](const char* key, const json& value) {
    if (!j.contains(key) || j[key].is_null()) {
      j[key] = value;
      defaulted.push_back(std::string(key) + "=" + value.dump());
    }
  };
  // SiglipImageProcessor's defaults, then CLIP's parser with the crop turned off.
  fill("size", json{{"height", 224}, {"width", 224}});
  fill("resample", 3);
  fill("image_mean", json::array({0.5, 0.5, 0.5}));
  fill("image_std", json::array({0.5, 0.5, 0.5}));
  if (j["size"].is_number_integer()) {
    const int s = j["size"].get<int>();
    j["size"] = json{{"height", s}, {"width", s}};
  }
  if (!j["size"].is_object() || !j["size"].contains("height") || !j["size"].contains("width")) {
    return Status::InvalidArgument(source + ": field size must be {\"height\", \"width\"} for " +
                                   "SiglipImageProcessor, not " + j["size"].dump());
  }
  if (j.contains("do_center_crop") && j["do_center_crop"] == true) {
    return Status::InvalidArgument(source +
                                   ": field do_center_crop is true, but "
                                   "SiglipImageProcessor has no centre crop");
  }
  j["do_center_crop"] = false;
  auto p = ParsePreprocessConfig(j.dump(), source, vision);
  if (!p.ok()) return p.status();
  p->defaulted.insert(p->defaulted.begin(), defaulted.begin(), defaulted.end());
  return p;
}

StatusOr<SiglipConfig> LoadSiglipConfig(const std::string& dir) {
  const std::string path = dir + "/config.json";
  std::string text;
  VIDX_RETURN_IF_ERROR(ReadFile(path, &text));
  return ParseSiglipConfig(text, path);
}

StatusOr<PreprocessConfig> LoadSiglipPreprocessConfig(const std::string& dir,
                                                      const ClipTowerConfig& vision) {
  const std::string path = dir + "/preprocessor_config.json";
  if (!std::ifstream(path).good()) return DefaultSiglipPreprocessConfig();
  std::string text;
  VIDX_RETURN_IF_ERROR(ReadFile(path, &text));
  return ParseSiglipPreprocessConfig(text, path, vision);
}

}  // namespace vidx
