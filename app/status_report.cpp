#include "app/status_report.h"

#include <optional>

namespace vidx {

using nlohmann::json;

StatusOr<json> CatalogStatusJson(const Catalog* catalog, int64_t pending) {
  std::optional<Generation> active, building;
  if (catalog != nullptr) {
    active = catalog->ActiveGeneration();
    for (const Generation& g : catalog->ListGenerations()) {
      if (g.state == GenerationState::kBuilding) building = g;
    }
  }
  const std::optional<Generation>& shown = active ? active : building;
  json failed_files = json::array();
  if (shown) {
    Status s = catalog->ForEachFile(shown->id, [&](const FileRecord& r) {
      if (r.status == FileStatus::kFailed) {
        failed_files.push_back({{"path", r.file.path}, {"error", r.error}});
      }
      return Status::Ok();
    });
    VIDX_RETURN_IF_ERROR(s);
  }
  const uint64_t indexed = shown ? shown->files_indexed : 0;
  const uint64_t failed = shown ? shown->files_failed : 0;
  const uint64_t vectors = shown ? shown->vectors : 0;
  return json{{"files", {{"indexed", indexed}, {"failed", failed}, {"pending", pending}}},
              {"vectors", vectors},
              {"generation",
               {{"active", active ? json(active->id) : json(nullptr)},
                {"building", building ? json(building->id) : json(nullptr)}}},
              {"fingerprint", shown ? json(shown->fingerprint) : json(nullptr)},
              {"failed_files", failed_files}};
}

nlohmann::json ModelStatusJson(const LoadedModel& model) {
  return {{"path", model.path},
          {"family", model.embedder().family()},
          {"checkpoint_sha256", model.verification.checkpoint_sha256},
          {"fingerprint", model.fingerprint()}};
}

}  // namespace vidx
