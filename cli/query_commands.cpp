// vidx search | status: through the daemon's socket when it answers, otherwise from the
// state directory opened read-only (loading the model in this process). Both paths print
// the same documents (daemon/api_json.h, daemon/status_report.h).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/api_json.h"
#include "app/status_report.h"
#include "cli/commands.h"
#include "daemon/api_client.h"
#include "indexer/pipeline/file_scan.h"
#include "search/catalog.h"
#include "search/index_loader.h"
#include "search/query_engine.h"

namespace vidx {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Seconds a command waits for the daemon's answer (a search may wait for a flip).
constexpr double kApiTimeout = 120;

std::string Absolute(const std::string& path) {
  return path.empty() ? path : fs::absolute(path).lexically_normal().string();
}

// VIDEO[@SECONDS] with VIDEO made absolute (the daemon runs elsewhere).
std::string AbsoluteLike(const std::string& like) {
  const size_t at = like.rfind('@');
  if (at != std::string::npos && at + 1 < like.size() &&
      like.find_first_not_of("0123456789.", at + 1) == std::string::npos) {
    return Absolute(like.substr(0, at)) + like.substr(at);
  }
  return Absolute(like);
}

// The daemon's answer as a document, or kUnavailable when no daemon answers (the caller
// then works alone). An error answer becomes its Status (400: kInvalidArgument). A socket
// that refuses this user is kPermissionDenied, never kUnavailable: a daemon may well be
// running, and answering from the state directory behind its back would hide that.
StatusOr<json> AskDaemon(const Config& config, const std::string& method, const std::string& target,
                         const std::string& body) {
  StatusOr<HttpResponse> r = CallApi(config.daemon.socket, method, target, body, kApiTimeout);
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kPermissionDenied) return r.status();
    if (r.status().code() == StatusCode::kUnavailable ||
        r.status().code() == StatusCode::kIoError) {
      spdlog::debug("no daemon: {}", r.status().message());
      return Status::Unavailable(r.status().message());
    }
    return r.status();
  }
  json doc = json::parse(r->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Corruption("the daemon on " + config.daemon.socket +
                              " sent a malformed answer (HTTP " + std::to_string(r->status) + ")");
  }
  if (r->status != 200) {
    const std::string message = doc.value("error", "HTTP " + std::to_string(r->status));
    if (r->status == 400) return Status::InvalidArgument(message);
    return Status::FailedPrecondition("the daemon says: " + message);
  }
  return doc;
}

// Opens the catalog read-only for queries; nullptr (not an error) when there is none yet.
StatusOr<std::unique_ptr<Catalog>> OpenForReading(const Config& config) {
  if (!fs::exists(fs::path(config.state_dir) / "catalog" / "CURRENT")) {
    return std::unique_ptr<Catalog>();
  }
  CatalogOptions o;
  o.read_only = true;
  return Catalog::Open(config.state_dir, o);
}

StatusOr<json> SearchLocally(const Config& config, const Query& q) {
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

int RunSearch(const Config& config, const SearchArgs& args) {
  if (args.text.empty() && args.image.empty() && args.like.empty()) {
    std::fprintf(stderr, "vidx: search needs TEXT, --image FILE or --like VIDEO[@SECONDS]\n");
    return kExitUsage;
  }
  Query q;
  q.text = args.text;
  q.image = Absolute(args.image);
  q.like = AbsoluteLike(args.like);
  q.k = args.k;
  // Text and names need not be UTF-8: invalid bytes become U+FFFD rather than an exception.
  const std::string request =
      SearchRequestJson(q).dump(-1, ' ', false, json::error_handler_t::replace);
  StatusOr<json> doc = AskDaemon(config, "POST", "/v1/search", request);
  if (!doc.ok() && doc.status().code() == StatusCode::kUnavailable) doc = SearchLocally(config, q);
  if (!doc.ok()) return ReportError(doc.status());
  if (args.json) {
    std::cout << doc->dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    std::cout << FormatSearchResults(*doc);
  }
  return kExitOk;
}

int RunStatus(const Config& config, const StatusArgs& args) {
  StatusOr<json> doc = AskDaemon(config, "GET", "/v1/status", "");
  if (!doc.ok() && doc.status().code() == StatusCode::kUnavailable) {
    StatusOr<std::unique_ptr<Catalog>> catalog = OpenForReading(config);
    if (!catalog.ok()) return ReportError(catalog.status());
    StatusOr<int64_t> pending = CountPending(config, catalog->get());
    if (!pending.ok()) return ReportError(pending.status());
    doc = CatalogStatusJson(catalog->get(), *pending);
    if (doc.ok()) (*doc)["library"] = {{"roots", config.library.roots}};
  }
  if (!doc.ok()) return ReportError(doc.status());
  if (args.json) {
    std::cout << doc->dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    std::cout << FormatStatus(*doc);
  }
  return kExitOk;
}

int RunReindex(const Config& config) {
  StatusOr<json> doc = AskDaemon(config, "POST", "/v1/reindex", "{}");
  if (!doc.ok() && doc.status().code() == StatusCode::kUnavailable) {
    return ReportError(Status::FailedPrecondition(
        "no daemon answers on " + config.daemon.socket +
        " (daemon.socket); start it with `vidx daemon` or `systemctl start vidx`"));
  }
  if (!doc.ok()) return ReportError(doc.status());
  std::printf("reindex requested; follow it with `vidx status`\n");
  return kExitOk;
}

}  // namespace vidx
