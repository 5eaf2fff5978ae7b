#include "daemon/daemon.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <utility>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/api_json.h"
#include "app/model_session.h"
#include "app/status_report.h"
#include "daemon/daemon_log.h"
#include "thumbs/thumbnailer.h"
#include "web/web_token.h"

namespace vidx {

namespace {

using nlohmann::json;

HttpResponse JsonOk(const json& doc, int status = 200) {
  HttpResponse r;
  r.status = status;
  // File names need not be UTF-8: invalid bytes become U+FFFD rather than an exception.
  r.body = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

}  // namespace

// What the web routes ask of the daemon. Thread-safe: everything it calls is.
class Daemon::WebSide : public WebBackend {
 public:
  explicit WebSide(Daemon* daemon) : d_(daemon) {}

  StatusOr<SearchResponse> Search(const Query& query) override {
    ++d_->searches_;
    return d_->search_.Search(query);
  }
  StatusOr<nlohmann::json> StatusDocument() override { return d_->StatusDocument(); }
  StatusOr<FileRecord> FindFile(uint64_t file_id) override { return d_->search_.FindFile(file_id); }
  StatusOr<std::vector<std::string>> Folders() override { return d_->search_.Folders(); }
  std::vector<std::string> LibraryRoots() override { return d_->indexer_->status().roots; }
  void RequestReindex() override { d_->indexer_->RequestReindex(); }
  StatusOr<std::string> Thumbnail(const FileIdentity& file, double seconds, int width) override {
    if (thumbnailer_) return thumbnailer_->Get(file, seconds, width);
    return Status::Unavailable(
        "thumbnails are not available: their cache could not be opened (asked for " + file.path +
        ")");
  }

  // The cache under <state_dir>/thumbs, at most web.thumb_cache_mb. A cache that cannot be
  // opened leaves thumbnails unavailable (logged), not the daemon stopped.
  void OpenThumbnailer(const Config& config) {
    ThumbnailerOptions o;
    o.cache_dir = (std::filesystem::path(config.state_dir) / "thumbs").string();
    o.max_cache_bytes = config.web.thumb_cache_mb << 20;
    StatusOr<std::unique_ptr<Thumbnailer>> t = Thumbnailer::Open(o);
    if (!t.ok()) {
      DaemonLog()->warn("thumbnails are unavailable: {}", t.status().message());
      return;
    }
    thumbnailer_ = std::move(*t);
  }

 private:
  Daemon* const d_;
  std::unique_ptr<Thumbnailer> thumbnailer_;
};

Daemon::Daemon() = default;

StatusOr<std::unique_ptr<Daemon>> Daemon::Start(std::string config_path, Config config) {
  std::unique_ptr<Daemon> d(new Daemon());
  d->notifier_ = SystemdNotifier::FromEnvironment();
  VIDX_RETURN_IF_ERROR(EnsureStateDir(config));
  StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(config.state_dir);
  if (!catalog.ok()) return catalog.status();
  d->catalog_ = std::move(*catalog);
  DaemonLog()->info("loading model {}", config.model.path);
  StatusOr<std::shared_ptr<const LoadedModel>> model =
      LoadModelForConfig(config, d->catalog_.get());
  if (!model.ok()) return model.status();
  DaemonLog()->info("model ready: fingerprint {}", (*model)->fingerprint());
  d->indexer_ = std::make_unique<LibraryIndexer>(d->catalog_.get(), &d->search_,
                                                 std::move(config_path), config, *model);
  VIDX_RETURN_IF_ERROR(d->indexer_->Open());
  ApiServerOptions api;
  api.socket_path = config.daemon.socket;
  Daemon* self = d.get();
  StatusOr<std::unique_ptr<ApiServer>> server =
      ApiServer::Start(api, [self](const HttpRequest& r) { return self->Handle(r); });
  if (!server.ok()) return server.status();
  d->api_ = std::move(*server);
  DaemonLog()->info("answering on {}", config.daemon.socket);
  if (!config.web.listen.empty()) VIDX_RETURN_IF_ERROR(d->StartWeb(config));
  return d;
}

Status Daemon::StartWeb(const Config& config) {
  const std::string where = config.source.Where("web.listen");
  StatusOr<ListenAddress> address = ParseListenAddress(config.web.listen);
  if (!address.ok())
    return Status::InvalidArgument(where + "web.listen " + address.status().message());
  StatusOr<std::string> token = LoadOrCreateWebToken(config.state_dir);
  if (!token.ok()) return token.status();
  web_side_ = std::make_unique<WebSide>(this);
  web_side_->OpenThumbnailer(config);
  web_routes_ = std::make_unique<WebRoutes>(web_side_.get(), *token);
  HttpServerOptions options;
  options.listen = config.web.listen;
  options.body_limit = &WebRoutes::BodyLimit;
  options.default_headers = WebRoutes::SecurityHeaders();
  options.log = [](const std::string& line) { DaemonLog()->warn("web: {}", line); };
  const WebRoutes* routes = web_routes_.get();
  StatusOr<std::unique_ptr<HttpServer>> web =
      HttpServer::Start(options, [routes](const WebRequest& r) { return routes->Handle(r); });
  if (!web.ok()) return web.status().WithContext(where + "web.listen");
  web_ = std::move(*web);
  const std::string bound = web_->address().ToString();
  const std::string path = (std::filesystem::path(config.state_dir) / kWebAddressFile).string();
  VIDX_RETURN_IF_ERROR(WriteFileAtomically(path, bound + "\n"));
  web_address_path_ = path;
  DaemonLog()->info("web UI on http://{}/ (`vidx web` prints the login link)", bound);
  if (!address->loopback) {
    DaemonLog()->warn(
        "web.listen {} is reachable beyond this machine over plain HTTP: put a TLS reverse "
        "proxy in front of it (docs/operations.md) or listen on 127.0.0.1",
        bound);
  }
  return Status::Ok();
}

void Daemon::StopWeb() {
  if (web_) web_->Stop();
  if (!web_address_path_.empty()) {
    std::error_code ec;
    std::filesystem::remove(web_address_path_, ec);
    web_address_path_.clear();
  }
}

Daemon::~Daemon() {
  if (api_) api_->Stop();
  StopWeb();
  if (indexer_) indexer_->Stop();
}

void Daemon::RequestStop() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = true;
  cv_.notify_all();
}

void Daemon::RequestReload() {
  std::lock_guard<std::mutex> lock(mu_);
  reload_ = true;
  cv_.notify_all();
}

Status Daemon::Run() {
  indexer_->Start();
  Notify("READY=1\nSTATUS=" + StatusLine());
  const std::optional<double> watchdog = notifier_.WatchdogIntervalSeconds();
  const double tick = std::min(watchdog.value_or(5.0), 5.0);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::duration<double>(tick), [&] { return stop_ || reload_; });
    if (reload_) {
      reload_ = false;
      indexer_->RequestReload();
    }
    if (stop_) break;
    lock.unlock();
    std::string state = "STATUS=" + StatusLine();
    // Fed only while the indexing thread shows life within the watchdog's timeout (twice the
    // ping interval); otherwise systemd restarts the service.
    const double silent = indexer_->SecondsSinceHeartbeat();
    if (watchdog && silent < 2 * *watchdog) {
      state += "\nWATCHDOG=1";
    } else if (watchdog) {
      DaemonLog()->error(
          "the indexing thread has shown no progress for {:.0f} s; not feeding the watchdog",
          silent);
    }
    Notify(state);
    lock.lock();
  }
  lock.unlock();
  DaemonLog()->info("stopping");
  Notify("STOPPING=1\nSTATUS=stopping");
  api_->Stop();
  StopWeb();
  indexer_->Stop();
  DaemonLog()->info("stopped");
  return Status::Ok();
}

void Daemon::Notify(const std::string& state) {
  Status s = notifier_.Notify(state);
  if (s.ok()) {
    if (!notify_failures_.empty()) DaemonLog()->info("sd_notify: notifications get through again");
    notify_failures_.clear();
    return;
  }
  if (notify_failures_.insert(s.code()).second) {
    DaemonLog()->warn("{} (logged once until a notification gets through)", s.message());
  }
}

std::string Daemon::StatusLine() const {
  const IndexerStatus st = indexer_->status();
  std::string line = st.phase + ", " + std::to_string(st.queued) + " queued";
  if (st.building) {
    line += ", reindex " + std::to_string(st.reindex_done) + "/" + std::to_string(st.reindex_total);
  }
  if (!st.last_error.empty()) line += ", paused: " + st.last_error;
  return line;
}

HttpResponse Daemon::Handle(const HttpRequest& request) {
  if (request.path == "/v1/search") {
    if (request.method != "POST") return JsonError(405, "use POST for /v1/search");
    return Search(request);
  }
  if (request.path == "/v1/status") {
    if (request.method != "GET") return JsonError(405, "use GET for /v1/status");
    return StatusResponse();
  }
  if (request.path == "/v1/reindex") {
    if (request.method != "POST") return JsonError(405, "use POST for /v1/reindex");
    indexer_->RequestReindex();
    return JsonOk({{"accepted", true}}, 202);
  }
  return JsonError(404, "unknown path " + request.path);
}

HttpResponse Daemon::Search(const HttpRequest& request) {
  StatusOr<Query> q = ParseSearchRequest(request.body);
  if (!q.ok()) return JsonError(400, q.status().message());
  ++searches_;
  StatusOr<SearchResponse> r = search_.Search(*q);
  if (!r.ok()) return JsonError(HttpStatusFor(r.status()), r.status().message());
  return JsonOk(SearchResponseJson(*q, *r));
}

HttpResponse Daemon::StatusResponse() {
  StatusOr<json> doc = StatusDocument();
  if (!doc.ok()) return JsonError(500, doc.status().message());
  return JsonOk(*doc);
}

StatusOr<json> Daemon::StatusDocument() {
  const IndexerStatus st = indexer_->status();
  StatusOr<json> doc = CatalogStatusJson(catalog_.get(), st.queued);
  if (!doc.ok()) return doc.status();
  const double rate = st.busy_seconds > 0 ? st.video_seconds / st.busy_seconds : 0;
  json daemon = {{"phase", st.phase},
                 {"queued", st.queued},
                 {"files_embedded", st.files_embedded},
                 {"files_renamed", st.files_renamed},
                 {"files_failed", st.files_failed},
                 {"files_removed", st.files_removed},
                 {"frames", st.frames},
                 {"scans", st.scans},
                 {"searches", searches_.load()},
                 {"video_seconds_per_second", rate},
                 {"last_error", st.last_error},
                 {"reload_error", st.reload_error},
                 {"serving_note", st.serving_note}};
  daemon["reindex"] = st.building ? json{{"generation", *st.building},
                                         {"done", st.reindex_done},
                                         {"total", st.reindex_total}}
                                  : json(nullptr);
  const std::optional<Generation> served = search_.generation();
  daemon["serving"] = served ? json(served->id) : json(nullptr);
  (*doc)["daemon"] = daemon;
  (*doc)["library"] = {{"roots", st.roots}};
  const std::shared_ptr<const LoadedModel> model = search_.model();
  (*doc)["model"] = model ? ModelStatusJson(*model) : json(nullptr);
  return doc;
}

}  // namespace vidx
