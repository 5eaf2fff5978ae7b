// vidx search | status without a daemon: the state directory opened read-only, the model loaded
// in this process. The daemon path (cli/client_commands.cpp) prints the same documents
// (app/api_json.h, app/status_report.h).
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "app/api_json.h"
#include "app/status_report.h"
#include "cli/commands.h"
#include "indexer/pipeline/file_scan.h"
#include "search/catalog.h"
#include "search/index_loader.h"
#include "search/query_engine.h"

namespace vidx {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Opens the catalog read-only for queries; nullptr (not an error) when there is none yet.
StatusOr<std::unique_ptr<Catalog>> OpenForReading(const Config& config) {
  if (!fs::exists(fs::path(config.state_dir) / "catalog" / "CURRENT")) {
    return std::unique_ptr<Catalog>();
  }
  CatalogOptions o;
  o.read_only = true;
  return Catalog::Open(config.state_dir, o);
}

// Library files the catalog does not know in their current state.
StatusOr<int64_t> CountPending(const Config& config, const Catalog* catalog) {
  std::optional<Generation> shown;
  if (catalog != nullptr) {
    shown = catalog->ActiveGeneration();
    for (const Generation& g : catalog->ListGenerations()) {
      if (!shown && g.state == GenerationState::kBuilding) shown = g;
    }
  }
  std::vector<std::string> roots;
  for (const std::string& root : config.library.roots) {
    if (fs::is_directory(root)) roots.push_back(root);
  }
  if (roots.empty()) return 0;
  StatusOr<std::vector<std::string>> files = ExpandPaths(roots, config.library.extensions);
  if (!files.ok()) return files.status();
  int64_t pending = 0;
  for (const std::string& path : *files) {
    StatusOr<FileIdentity> id = IdentifyFile(path);
    if (!id.ok()) continue;
    StatusOr<FileRecord> rec =
        shown ? catalog->GetFile(shown->id, path) : StatusOr<FileRecord>(Status::NotFound(path));
    if (!rec.ok() || !SameFileState(rec->file, *id)) {
      ++pending;
    }
  }
  return pending;
}

}  // namespace

StatusOr<json> SearchStateDirectory(const Config& config, const Query& q) {
  StatusOr<std::unique_ptr<Catalog>> catalog = OpenForReading(config);
  if (!catalog.ok()) return catalog.status();
  std::optional<Generation> active;
  if (*catalog) active = (*catalog)->ActiveGeneration();
  if (!active) {
    return Status::FailedPrecondition("nothing is indexed in " + config.state_dir +
                                      " yet; run `vidx index PATH...` or the daemon first");
  }
  StatusOr<std::shared_ptr<const LoadedModel>> model = LoadModelForConfig(config, catalog->get());
  if (!model.ok()) return model.status();
  std::unique_ptr<VectorIndex> index;
  if ((*model)->fingerprint() == active->fingerprint) {  // else the engine refuses below
    StatusOr<OpenedIndex> opened =
        OpenIndexForGeneration(**catalog, active->id, config.index.factory, config.state_dir);
    if (!opened.ok()) return opened.status();
    index = std::move(opened->index);
  } else {
    StatusOr<std::unique_ptr<VectorIndex>> empty =
        VectorIndex::Build("Flat", active->dimension, 0, nullptr, nullptr);
    if (!empty.ok()) return empty.status();
    index = std::move(*empty);
  }
  std::unique_ptr<QueryEngine> engine =
      MakeQueryEngine(**model, catalog->get(), *active, index.get());
  StatusOr<SearchResponse> r = engine->Search(q);
  if (!r.ok()) return r.status();
  return SearchResponseJson(q, *r);
}

StatusOr<json> StatusOfStateDirectory(const Config& config) {
  StatusOr<std::unique_ptr<Catalog>> catalog = OpenForReading(config);
  if (!catalog.ok()) return catalog.status();
  StatusOr<int64_t> pending = CountPending(config, catalog->get());
  if (!pending.ok()) return pending.status();
  StatusOr<json> doc = CatalogStatusJson(catalog->get(), *pending);
  if (doc.ok()) (*doc)["library"] = {{"roots", config.library.roots}};
  return doc;
}

}  // namespace vidx
