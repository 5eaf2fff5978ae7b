#include "daemon/library_indexer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>

#include <spdlog/spdlog.h>

#include "daemon/daemon_log.h"
#include "indexer/pipeline/file_scan.h"
#include "indexer/pipeline/pipeline.h"
#include "search/index_loader.h"

namespace vidx {

namespace {

namespace fs = std::filesystem;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The configured roots that exist, absolute and normal.
std::vector<std::string> ExistingRoots(const LibraryOptions& library) {
  std::vector<std::string> roots;
  for (const std::string& r : library.roots) {
    std::error_code ec;
    if (fs::is_directory(r, ec)) roots.push_back(fs::absolute(r).lexically_normal().string());
  }
  return roots;
}

}  // namespace

std::vector<std::string> LibraryIndexer::PathQueue::Take(size_t n) {
  std::vector<std::string> out;
  while (!order_.empty() && out.size() < n) {
    std::string p = std::move(order_.front());
    order_.pop_front();
    if (members_.erase(p) > 0) out.push_back(std::move(p));
  }
  return out;
}

LibraryIndexer::LibraryIndexer(Catalog* catalog, SearchService* search, std::string config_path,
                               Config config, std::shared_ptr<const LoadedModel> model,
                               IndexerTuning tuning)
    : catalog_(catalog),
      search_(search),
      config_path_(std::move(config_path)),
      config_(std::move(config)),
      tuning_(tuning),
      current_model_(std::move(model)),
      settle_(config_.library.settle_seconds) {}

LibraryIndexer::~LibraryIndexer() { Stop(); }

Status LibraryIndexer::Open() {
  const std::string fingerprint = current_model_->fingerprint();
  for (const Generation& g : catalog_->ListGenerations()) {
    if (g.state == GenerationState::kBuilding && g.fingerprint != fingerprint) {
      DaemonLog()->info("deleting generation {}: an abandoned build for another configuration", g.id);
      VIDX_RETURN_IF_ERROR(catalog_->DeleteGeneration(g.id));
      VIDX_RETURN_IF_ERROR(RemoveSnapshot(config_.state_dir, g.id));
    }
  }
  const uint32_t dim = static_cast<uint32_t>(current_model_->embedder().dim());
  std::optional<Generation> active = catalog_->ActiveGeneration();
  if (active && active->fingerprint == fingerprint) {
    StatusOr<std::unique_ptr<IndexService>> s = IndexService::Open(
        catalog_, config_.state_dir, config_.index.factory, fingerprint, dim);
    if (!s.ok()) return s.status();
    current_ = std::move(*s);
    if (current_->rebuilt_at_open()) dirty_ = true;  // save the rebuild at the next snapshot
  } else {
    std::shared_ptr<const LoadedModel> model = std::move(current_model_);
    VIDX_RETURN_IF_ERROR(StartBuilding(model));
    const std::string note =
        active ? "the active generation " + std::to_string(active->id) +
                     " was built with another model or sampling (fingerprint " +
                     active->fingerprint + "); searches resume when generation " +
                     std::to_string(building_->generation().id) + " is complete"
               : "nothing is indexed yet; generation " +
                     std::to_string(building_->generation().id) + " is being built";
    Update([&](IndexerStatus& st) { st.serving_note = note; });
  }
  Publish();
  return Status::Ok();
}

void LibraryIndexer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void LibraryIndexer::RequestReload() {
  reload_ = true;
  std::lock_guard<std::mutex> lock(wake_mu_);
  if (watcher_) watcher_->Wake();
  wake_cv_.notify_all();
}

void LibraryIndexer::RequestReindex() {
  reindex_ = true;
  RequestReload();
}

void LibraryIndexer::Stop() {
  stop_ = true;
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    if (watcher_) watcher_->Wake();
    wake_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

double LibraryIndexer::SecondsSinceHeartbeat() const {
  const double last = heartbeat_.load();
  return last == 0 ? 0 : Now() - last;
}

IndexerStatus LibraryIndexer::status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_;
}

void LibraryIndexer::SetPhase(const std::string& phase) {
  Update([&](IndexerStatus& st) { st.phase = phase; });
}

void LibraryIndexer::Publish() {
  std::string note;
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    note = status_.serving_note;
  }
  search_->Replace([&](std::string* reason) -> std::optional<Serving> {
    if (!current_) {
      *reason = note;
      return std::nullopt;
    }
    return Serving{current_model_, catalog_, current_->generation(), &current_->index()};
  });
  if (current_) Update([](IndexerStatus& st) { st.serving_note.clear(); });
}

void LibraryIndexer::RestartWatcher() {
  std::unique_ptr<DirWatcher> next;
  const std::vector<std::string> roots = ExistingRoots(config_.library);
  if (!roots.empty()) {
    StatusOr<std::unique_ptr<DirWatcher>> w = DirWatcher::Start(roots);
    if (w.ok()) {
      next = std::move(*w);
    } else {
      DaemonLog()->warn("not watching the library ({}); relying on rescans every {} s",
                  w.status().message(), config_.library.rescan_interval);
    }
  }
  std::lock_guard<std::mutex> lock(wake_mu_);
  watcher_ = std::move(next);
}

void LibraryIndexer::Loop() {
  RestartWatcher();
  last_snapshot_ = Now();
  while (!stop_) {
    heartbeat_ = Now();
    if (reload_.exchange(false)) {
      const bool rebuild = reindex_.exchange(false);
      Status s = Reload(rebuild);
      Update([&](IndexerStatus& st) { st.reload_error = s.ok() ? "" : s.message(); });
      if (!s.ok()) DaemonLog()->error("reload refused, still running as before: {}", s.message());
    }
    double now = Now();
    double next_removal = std::numeric_limits<double>::infinity();
    for (const auto& r : removals_) next_removal = std::min(next_removal, r.second);
    const bool work = !fresh_.Empty() || !background_.Empty() || scan_due_ ||
                      scan_cleanup_pending_ || next_removal <= now;
    double timeout = 1.0;
    if (work && now >= retry_at_) {
      timeout = 0;
    } else {
      timeout = std::min({timeout, settle_.NextDeadline() - now, next_scan_ - now,
                          next_removal - now, work ? retry_at_ - now : timeout});
      timeout = std::max(timeout, 0.0);
    }
    if (watcher_) {
      HandleEvents(watcher_->Wait(timeout), Now());
    } else if (timeout > 0) {
      std::unique_lock<std::mutex> lock(wake_mu_);
      wake_cv_.wait_for(lock, std::chrono::duration<double>(timeout),
                        [&] { return stop_.load() || reload_.load(); });
    }
    now = Now();
    for (std::string& p : settle_.TakeReady(now)) {
      // A link whose target leaves the library is not read (file_scan.h).
      if (ResolvesUnder(p, config_.library.roots)) fresh_.Push(p);
    }
    if (stop_) break;
    if (now < retry_at_) continue;

    Status s;
    if (scan_due_ || now >= next_scan_) ListLibrary(now);
    if (!fresh_.Empty()) {
      s = IndexChunk(fresh_.Take(tuning_.chunk_files), false);
    } else if (!background_.Empty()) {
      s = IndexChunk(background_.Take(tuning_.chunk_files), true);
    } else if (scan_cleanup_pending_) {
      s = ApplyRemovals(ExistingRoots(config_.library));
      if (s.ok()) scan_cleanup_pending_ = false;
    }
    if (s.ok()) {
      std::vector<std::string> due;
      auto split = std::partition(removals_.begin(), removals_.end(),
                                  [&](const auto& r) { return r.second > now; });
      for (auto it = split; it != removals_.end(); ++it) due.push_back(it->first);
      if (!due.empty()) {
        s = ApplyRemovals(due);
        if (s.ok()) removals_.erase(split, removals_.end());
      }
    }
    if (s.ok() && building_ && build_scan_listed_ && fresh_.Empty() && background_.Empty() &&
        !scan_cleanup_pending_ && settle_.size() == 0) {
      s = Activate();
    }
    if (s.ok()) s = Snapshot(false);
    if (!s.ok() && s.code() == StatusCode::kUnavailable && stop_) break;  // cancelled
    if (!s.ok()) {
      backoff_ = backoff_ == 0 ? 1 : std::min(backoff_ * 2, tuning_.max_backoff);
      retry_at_ = Now() + backoff_;
      DaemonLog()->error("indexing paused for {:.0f} s: {}", backoff_, s.message());
      Update([&](IndexerStatus& st) {
        st.last_error = s.message();
        st.phase = "paused";
      });
      continue;
    }
    if (backoff_ > 0) {
      backoff_ = 0;
      DaemonLog()->info("indexing resumed");
    }
    const int64_t queued =
        static_cast<int64_t>(settle_.size() + fresh_.Size() + background_.Size());
    Update([&](IndexerStatus& st) {
      st.last_error.clear();
      st.queued = queued;
      if (building_ && current_) {
        st.phase = "reindexing";
      } else if (queued > 0 || scan_cleanup_pending_) {
        st.phase = "indexing";
      } else {
        st.phase = "idle";
      }
    });
  }
  SetPhase("stopping");
  Status s = Snapshot(true);
  if (!s.ok()) DaemonLog()->warn("final snapshot not written ({}); the next start replays the catalog", s.message());
  std::lock_guard<std::mutex> lock(wake_mu_);
  watcher_.reset();
}

void LibraryIndexer::HandleEvents(const std::vector<WatchEvent>& events, double now) {
  for (const WatchEvent& e : events) {
    switch (e.kind) {
      case WatchEvent::Kind::kChanged:
        if (HasVideoExtension(e.path, config_.library.extensions)) settle_.Touch(e.path, now);
        break;
      case WatchEvent::Kind::kRemoved:
        settle_.Forget(e.path);
        fresh_.Erase(e.path);
        background_.Erase(e.path);
        removals_.emplace_back(e.path, now + config_.library.settle_seconds);
        break;
      case WatchEvent::Kind::kRescan:
        DaemonLog()->warn("full rescan of {}: file events were lost",
                    e.path.empty() ? std::string("the library") : e.path);
        scan_due_ = true;
        break;
    }
  }
}

void LibraryIndexer::ListLibrary(double now) {
  SetPhase("scanning");
  size_t listed = 0;
  for (const std::string& root : ExistingRoots(config_.library)) {
    StatusOr<std::vector<std::string>> files = ExpandPaths({root}, config_.library.extensions);
    if (!files.ok()) {
      DaemonLog()->error("cannot list {}: {}", root, files.status().message());
      continue;
    }
    for (const std::string& f : *files) background_.Push(f);
    listed += files->size();
  }
  scan_due_ = false;
  next_scan_ = now + config_.library.rescan_interval;
  scan_cleanup_pending_ = true;
  const bool build_scan = building_ != nullptr && !build_scan_listed_;
  if (building_) build_scan_listed_ = true;
  Update([&](IndexerStatus& st) {
    ++st.scans;
    if (build_scan) {
      st.reindex_total = static_cast<int64_t>(listed);
      st.reindex_done = 0;
    }
  });
}

Status LibraryIndexer::IndexChunk(const std::vector<std::string>& files, bool background) {
  if (files.empty()) return Status::Ok();
  const std::shared_ptr<const LoadedModel>& model = building_ ? building_model_ : current_model_;
  IndexService* into = target();
  PipelineOptions po = MakePipelineOptions(config_, *model, tuning_.decode_workers, &stop_);
  IndexPipeline pipeline(&model->embedder(), model->fingerprint(), into, into, po);
  PipelineCounters c;
  Status s = pipeline.Run(files, &c, [this](const PipelineCounters&) { heartbeat_ = Now(); });
  const int64_t done = c.files_embedded + c.files_unchanged + c.files_renamed + c.files_failed;
  if (c.files_embedded + c.files_renamed + c.files_failed > 0) dirty_ = true;
  const bool building = building_ != nullptr;
  Update([&](IndexerStatus& st) {
    st.files_embedded += c.files_embedded;
    st.files_renamed += c.files_renamed;
    st.files_failed += c.files_failed;
    st.frames += c.frames;
    st.video_seconds += c.video_seconds;
    st.busy_seconds += c.wall_seconds;
    if (building) st.reindex_done = std::min(st.reindex_total, st.reindex_done + done);
  });
  if (!s.ok()) {
    // Files not done go back; the pipeline skips those committed before the failure.
    for (const std::string& f : files) (background ? background_ : fresh_).Push(f);
  }
  return s;
}

Status LibraryIndexer::ApplyRemovals(const std::vector<std::string>& paths) {
  if (paths.empty()) return Status::Ok();
  int64_t removed = 0, more = 0;
  if (current_) VIDX_RETURN_IF_ERROR(current_->RemoveVanished(paths, &removed));
  if (building_) VIDX_RETURN_IF_ERROR(building_->RemoveVanished(paths, &more));
  if (removed + more > 0) {
    dirty_ = true;
    DaemonLog()->info("removed {} vanished file(s)", removed + more);
    Update([&](IndexerStatus& st) { st.files_removed += removed + more; });
  }
  return Status::Ok();
}

Status LibraryIndexer::Reload(bool rebuild_index) {
  DaemonLog()->info(rebuild_index ? "reindex requested" : "reloading the configuration");
  StatusOr<Config> cfg = config_path_.empty() ? StatusOr<Config>(Config()) : LoadConfigFile(config_path_);
  if (!cfg.ok()) return cfg.status();
  StatusOr<std::shared_ptr<const LoadedModel>> model = LoadModelForConfig(*cfg, catalog_);
  if (!model.ok()) return model.status();
  if (cfg->state_dir != config_.state_dir) {
    return Status::InvalidArgument(cfg->source.Where("state_dir") +
                                   "state_dir cannot change while the daemon runs; restart it");
  }
  const Config old = config_;
  config_ = *cfg;
  if (old.library.roots != config_.library.roots ||
      old.library.extensions != config_.library.extensions) {
    RestartWatcher();
    scan_due_ = true;
  }
  if (old.library.settle_seconds != config_.library.settle_seconds) {
    settle_ = SettleQueue(config_.library.settle_seconds);
    scan_due_ = true;  // what was settling is found again by the scan
  }
  if (old.library.rescan_interval != config_.library.rescan_interval) next_scan_ = Now();
  if (rebuild_index) scan_due_ = true;

  const std::string fingerprint = (*model)->fingerprint();
  if (current_ && current_model_->fingerprint() == fingerprint) {
    if (building_) VIDX_RETURN_IF_ERROR(AbandonBuilding());
    if (rebuild_index || old.index.factory != config_.index.factory) {
      if (rebuild_index) VIDX_RETURN_IF_ERROR(RemoveSnapshot(config_.state_dir, current_->generation().id));
      Status s;
      const uint32_t dim = static_cast<uint32_t>(current_model_->embedder().dim());
      search_->Replace([&](std::string* reason) -> std::optional<Serving> {
        current_.reset();
        StatusOr<std::unique_ptr<IndexService>> reopened = IndexService::Open(
            catalog_, config_.state_dir, config_.index.factory, fingerprint, dim);
        if (!reopened.ok()) {
          s = reopened.status();
          *reason = "the vector index could not be rebuilt: " + s.message();
          return std::nullopt;
        }
        current_ = std::move(*reopened);
        dirty_ = true;
        return Serving{current_model_, catalog_, current_->generation(), &current_->index()};
      });
      VIDX_RETURN_IF_ERROR(s);
      DaemonLog()->info("vector index of generation {} rebuilt from the catalog ({} vectors)",
                  current_->generation().id, current_->index().size());
    }
    return Status::Ok();
  }
  if (building_ && building_model_->fingerprint() == fingerprint) return Status::Ok();
  if (building_) VIDX_RETURN_IF_ERROR(AbandonBuilding());
  return StartBuilding(*model);
}

Status LibraryIndexer::StartBuilding(std::shared_ptr<const LoadedModel> model) {
  StatusOr<std::unique_ptr<IndexService>> b =
      IndexService::Open(catalog_, config_.state_dir, config_.index.factory, model->fingerprint(),
                         static_cast<uint32_t>(model->embedder().dim()));
  if (!b.ok()) return b.status();
  building_ = std::move(*b);
  building_model_ = std::move(model);
  if (current_) {
    current_->LinkSibling(building_.get());
    building_->LinkSibling(current_.get());
  }
  build_scan_listed_ = false;
  scan_due_ = true;
  const uint64_t id = building_->generation().id;
  DaemonLog()->info("building generation {} for fingerprint {}{}", id, building_model_->fingerprint(),
              current_ ? "; searches keep using generation " +
                             std::to_string(current_->generation().id) + " meanwhile"
                       : "");
  Update([&](IndexerStatus& st) {
    st.building = id;
    st.reindex_done = st.reindex_total = 0;
  });
  return Status::Ok();
}

Status LibraryIndexer::AbandonBuilding() {
  const uint64_t id = building_->generation().id;
  if (current_) current_->LinkSibling(nullptr);
  building_.reset();
  building_model_.reset();
  DaemonLog()->info("abandoning generation {}: the configuration changed again", id);
  Update([](IndexerStatus& st) { st.building.reset(); });
  VIDX_RETURN_IF_ERROR(catalog_->DeleteGeneration(id));
  return RemoveSnapshot(config_.state_dir, id);
}

Status LibraryIndexer::Activate() {
  Status s;
  const uint64_t old = current_ ? current_->generation().id : 0;  // 0: none
  search_->Replace([&](std::string* reason) -> std::optional<Serving> {
    bool flipped = false;
    s = building_->Finish(true, &flipped);
    if (!s.ok()) {
      if (current_) return Serving{current_model_, catalog_, current_->generation(), &current_->index()};
      *reason = "the new generation could not be activated: " + s.message();
      return std::nullopt;
    }
    building_->LinkSibling(nullptr);
    current_ = std::move(building_);  // the old service goes; its generation is deleted
    current_model_ = std::move(building_model_);
    return Serving{current_model_, catalog_, current_->generation(), &current_->index()};
  });
  VIDX_RETURN_IF_ERROR(s);
  dirty_ = false;
  last_snapshot_ = Now();
  const Generation& g = current_->generation();
  DaemonLog()->info("generation {} is active: {} files, {} vectors{}", g.id, g.files_indexed, g.vectors,
              old != 0 ? "; generation " + std::to_string(old) + " deleted" : "");
  Update([](IndexerStatus& st) {
    st.building.reset();
    st.serving_note.clear();
  });
  return Status::Ok();
}

Status LibraryIndexer::Snapshot(bool force) {
  if (!dirty_) return Status::Ok();
  const bool idle = fresh_.Empty() && background_.Empty();
  if (!force && !idle && Now() - last_snapshot_ < tuning_.snapshot_interval) return Status::Ok();
  if (current_) VIDX_RETURN_IF_ERROR(current_->Finish(false, nullptr));
  if (building_) VIDX_RETURN_IF_ERROR(building_->Finish(false, nullptr));
  dirty_ = false;
  last_snapshot_ = Now();
  return Status::Ok();
}

}  // namespace vidx
