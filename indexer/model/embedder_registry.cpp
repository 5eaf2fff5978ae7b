#include "indexer/model/embedder_registry.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "indexer/model/clip_embedder.h"
#include "indexer/model/siglip_embedder.h"

namespace vidx {

const std::vector<EmbedderFamily>& EmbedderFamilies() {
  static const std::vector<EmbedderFamily> kFamilies = {
      {"clip", &LoadClipEmbedder},
      {"siglip", &LoadSiglipEmbedder},
  };
  return kFamilies;
}

StatusOr<std::string> ReadModelType(const std::string& model_dir) {
  const std::string path = model_dir + "/config.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::is_directory(model_dir, ec)) {
      return Status::NotFound("model directory " + model_dir + " does not exist");
    }
    if (!std::filesystem::exists(path, ec)) return Status::NotFound(path + " does not exist");
    return Status::IoError(path + " cannot be read");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError(path + ": read failed");
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(path + ": invalid JSON");
  if (!j.is_object()) return Status::InvalidArgument(path + ": not a JSON object");
  auto it = j.find("model_type");
  if (it == j.end()) return std::string("clip");
  if (!it->is_string()) {
    return Status::InvalidArgument(path + ": model_type must be a string, not " + it->dump());
  }
  return it->get<std::string>();
}

StatusOr<std::unique_ptr<Embedder>> LoadEmbedder(const EmbedderOptions& options,
                                                 LoadReport* report) {
  LoadReport local;
  if (report == nullptr) report = &local;
  StatusOr<std::string> type = ReadModelType(options.model_dir);
  if (!type.ok()) return type.status();
  std::string supported;
  for (const EmbedderFamily& family : EmbedderFamilies()) {
    if (*type == family.model_type) return family.load(options, report);
    supported += (supported.empty() ? "" : ", ") + std::string(family.model_type);
  }
  return Status::Unsupported(options.model_dir + "/config.json: model_type \"" + *type +
                             "\" is not a supported model family (supported: " + supported + ")");
}

}  // namespace vidx
