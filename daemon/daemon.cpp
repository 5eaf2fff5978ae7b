#include "daemon/daemon.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/api_json.h"
#include "app/model_session.h"
#include "app/status_report.h"
#include "daemon/daemon_log.h"

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

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kUnsupported:
    case StatusCode::kCorruption:
      return 400;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

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
  return d;
}

Daemon::~Daemon() {
  if (api_) api_->Stop();
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
  const IndexerStatus st = indexer_->status();
  StatusOr<json> doc = CatalogStatusJson(catalog_.get(), st.queued);
  if (!doc.ok()) return JsonError(500, doc.status().message());
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
  return JsonOk(*doc);
}

}  // namespace vidx
