#include "daemon/library_indexer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <utility>

#include <spdlog/spdlog.h>

#include "daemon/daemon_log.h"
#include "daemon/thread_priority.h"
#include "indexer/pipeline/file_scan.h"
#include "indexer/pipeline/pipeline.h"

namespace vidx {

namespace {

namespace fs = std::filesystem;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
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

LibraryIndexer::LibraryIndexer(Catalog* catalog, SearchService* search, std::string config_path,
                               Config config, std::shared_ptr<const LoadedModel> model,
                               IndexerTuning tuning)
    : catalog_(catalog),
      config_path_(std::move(config_path)),
      config_(std::move(config)),
      tuning_(tuning),
      initial_model_(std::move(model)),
      gate_(search->gate()),
      generations_(catalog, search, config_.state_dir),
      scheduler_(SchedulingOf(config_), Now()) {
  status_.roots = config_.library.roots;
}

LibraryIndexer::~LibraryIndexer() { Stop(); }

SchedulerOptions LibraryIndexer::SchedulingOf(const Config& config) const {
  SchedulerOptions o;
  o.settle_seconds = config.library.settle_seconds;
  o.rescan_interval = config.library.rescan_interval;
  o.snapshot_interval = config.daemon.snapshot_interval;
  o.max_backoff = tuning_.max_backoff;
  return o;
}

Status LibraryIndexer::Open() {
  std::string note;
  VIDX_RETURN_IF_ERROR(generations_.Open(std::move(initial_model_), config_.index.factory, &note));
  if (generations_.building() != nullptr) {
    scheduler_.BuildStarted();
    const uint64_t id = generations_.building()->generation().id;
    Update([&](IndexerStatus& st) {
      st.building = id;
      st.reindex_done = st.reindex_total = 0;
    });
  }
  // Save a rebuild (no snapshot, or a corrupt, stale or foreign one) at the next snapshot.
  if (generations_.active() != nullptr && generations_.active()->rebuilt_at_open()) {
    scheduler_.Changed();
  }
  Update([&](IndexerStatus& st) { st.serving_note = note; });
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
  // Before anything else, so that every thread this one starts (decoders, LibTorch's OpenMP
  // team for inference) inherits the niceness; searches keep the daemon's own priority
  // (daemon/thread_priority.h says what this does not reach).
  if (config_.daemon.index_nice > 0) {
    Status s = LowerThisThreadPriority(config_.daemon.index_nice);
    if (!s.ok()) DaemonLog()->warn("indexing at the daemon's priority: {}", s.message());
  }
  RestartWatcher();
  while (!stop_) {
    heartbeat_ = Now();
    if (reload_.exchange(false)) {
      const bool rebuild = reindex_.exchange(false);
      Status s = Reload(rebuild);
      Update([&](IndexerStatus& st) { st.reload_error = s.ok() ? "" : s.message(); });
      if (!s.ok()) DaemonLog()->error("reload refused, still running as before: {}", s.message());
    }
    const double timeout = scheduler_.WaitSeconds(Now());
    if (watcher_) {
      HandleEvents(watcher_->Wait(timeout), Now());
    } else if (timeout > 0) {
      std::unique_lock<std::mutex> lock(wake_mu_);
      wake_cv_.wait_for(lock, std::chrono::duration<double>(timeout),
                        [&] { return stop_.load() || reload_.load(); });
    }
    const double now = Now();
    // A link whose target leaves the library is not read (file_scan.h).
    scheduler_.PromoteSettled(
        now, [&](const std::string& p) { return ResolvesUnder(p, config_.library.roots); });
    if (stop_) break;
    if (scheduler_.Paused(now)) continue;

    Status s = Turn(now);
    if (!s.ok() && s.code() == StatusCode::kUnavailable && stop_) break;  // cancelled
    if (!s.ok()) {
      const double backoff = scheduler_.Failed(Now());
      DaemonLog()->error("indexing paused for {:.0f} s: {}", backoff, s.message());
      Update([&](IndexerStatus& st) {
        st.last_error = s.message();
        st.phase = "paused";
      });
      continue;
    }
    if (scheduler_.Succeeded()) DaemonLog()->info("indexing resumed");
    const int64_t queued = static_cast<int64_t>(scheduler_.queued());
    const bool reindexing = generations_.building() != nullptr && generations_.active() != nullptr;
    const bool cleanup = scheduler_.CleanupPending();
    Update([&](IndexerStatus& st) {
      st.last_error.clear();
      st.queued = queued;
      if (reindexing) {
        st.phase = "reindexing";
      } else if (queued > 0 || cleanup) {
        st.phase = "indexing";
      } else {
        st.phase = "idle";
      }
    });
  }
  SetPhase("stopping");
  Status s = Snapshot(true);
  if (!s.ok())
    DaemonLog()->warn("final snapshot not written ({}); the next start replays the catalog",
                      s.message());
  std::lock_guard<std::mutex> lock(wake_mu_);
  watcher_.reset();
}

Status LibraryIndexer::Turn(double now) {
  VIDX_RETURN_IF_ERROR(generations_.DeleteRetired());
  if (scheduler_.ScanDue(now)) ListLibrary(now);
  const Chunk chunk = scheduler_.NextChunk(tuning_.chunk_files);
  if (!chunk.files.empty()) {
    VIDX_RETURN_IF_ERROR(IndexChunk(chunk));
  } else if (scheduler_.CleanupPending()) {
    VIDX_RETURN_IF_ERROR(ApplyRemovals(ExistingRoots(config_.library)));
    scheduler_.CleanupDone();
  }
  const std::vector<std::string> due = scheduler_.DueRemovals(now);
  if (!due.empty()) {
    VIDX_RETURN_IF_ERROR(ApplyRemovals(due));
    scheduler_.RemovalsApplied(now);
  }
  if (scheduler_.ReadyToActivate()) VIDX_RETURN_IF_ERROR(Activate());
  return Snapshot(false);
}

void LibraryIndexer::HandleEvents(const std::vector<WatchEvent>& events, double now) {
  for (const WatchEvent& e : events) {
    switch (e.kind) {
      case WatchEvent::Kind::kChanged:
        if (HasVideoExtension(e.path, config_.library.extensions)) {
          scheduler_.FileChanged(e.path, now);
        }
        break;
      case WatchEvent::Kind::kRemoved:
        scheduler_.FileRemoved(e.path, now);
        break;
      case WatchEvent::Kind::kRescan:
        DaemonLog()->warn("full rescan of {}: file events were lost",
                          e.path.empty() ? std::string("the library") : e.path);
        scheduler_.RequestScan();
        break;
    }
  }
}

void LibraryIndexer::ListLibrary(double now) {
  SetPhase("scanning");
  std::vector<std::string> listed;
  for (const std::string& root : ExistingRoots(config_.library)) {
    StatusOr<std::vector<std::string>> files = ExpandPaths({root}, config_.library.extensions);
    if (!files.ok()) {
      DaemonLog()->error("cannot list {}: {}", root, files.status().message());
      continue;
    }
    listed.insert(listed.end(), files->begin(), files->end());
  }
  // The building generation's own scan sets the reindex total.
  const bool build_scan = generations_.building() != nullptr && !scheduler_.BuildScanListed();
  scheduler_.ScanListed(listed, now);
  Update([&](IndexerStatus& st) {
    ++st.scans;
    if (build_scan) {
      st.reindex_total = static_cast<int64_t>(listed.size());
      st.reindex_done = 0;
    }
  });
}

Status LibraryIndexer::IndexChunk(const Chunk& chunk) {
  const std::shared_ptr<const LoadedModel>& model = generations_.target_model();
  IndexService* into = generations_.target();
  PipelineOptions po = MakePipelineOptions(config_, *model, tuning_.decode_workers, &stop_);
  if (config_.daemon.index_chunk_frames > 0) {  // searches go first (inference_gate.h)
    po.gate = gate_;
    po.chunk_frames = config_.daemon.index_chunk_frames;
  }
  IndexPipeline pipeline(&model->embedder(), model->fingerprint(), into, &generations_, po);
  PipelineCounters c;
  Status s = pipeline.Run(chunk.files, &c, [this](const PipelineCounters&) { heartbeat_ = Now(); });
  const int64_t done = c.files_embedded + c.files_unchanged + c.files_renamed + c.files_failed;
  if (c.files_embedded + c.files_renamed + c.files_failed > 0) scheduler_.Changed();
  const bool building = generations_.building() != nullptr;
  Update([&](IndexerStatus& st) {
    st.files_embedded += c.files_embedded;
    st.files_renamed += c.files_renamed;
    st.files_failed += c.files_failed;
    st.frames += c.frames;
    st.video_seconds += c.video_seconds;
    st.busy_seconds += c.wall_seconds;
    if (building) st.reindex_done = std::min(st.reindex_total, st.reindex_done + done);
  });
  // Files not done go back; the pipeline skips those committed before the failure.
  if (!s.ok()) scheduler_.Requeue(chunk);
  return s;
}

Status LibraryIndexer::ApplyRemovals(const std::vector<std::string>& paths) {
  if (paths.empty()) return Status::Ok();
  int64_t removed = 0;
  VIDX_RETURN_IF_ERROR(generations_.RemoveVanished(paths, &removed));
  if (removed > 0) {
    scheduler_.Changed();
    DaemonLog()->info("removed {} vanished file(s)", removed);
    Update([&](IndexerStatus& st) { st.files_removed += removed; });
  }
  return Status::Ok();
}

Status LibraryIndexer::Reload(bool rebuild_index) {
  DaemonLog()->info(rebuild_index ? "reindex requested" : "reloading the configuration");
  StatusOr<Config> cfg =
      config_path_.empty() ? StatusOr<Config>(Config()) : LoadConfigFile(config_path_);
  if (!cfg.ok()) return cfg.status();
  StatusOr<std::shared_ptr<const LoadedModel>> model = LoadModelForConfig(*cfg, catalog_);
  if (!model.ok()) return model.status();
  if (cfg->state_dir != config_.state_dir) {
    return Status::InvalidArgument(cfg->source.Where("state_dir") +
                                   "state_dir cannot change while the daemon runs; restart it");
  }
  const Config old = config_;
  config_ = *cfg;
  Update([&](IndexerStatus& st) { st.roots = config_.library.roots; });
  if (old.library.roots != config_.library.roots ||
      old.library.extensions != config_.library.extensions) {
    RestartWatcher();
    scheduler_.RequestScan();
  }
  scheduler_.Reconfigure(SchedulingOf(config_), Now());
  if (rebuild_index) scheduler_.RequestScan();

  const std::string fingerprint = (*model)->fingerprint();
  const std::shared_ptr<const LoadedModel>& active_model = generations_.active_model();
  if (generations_.active() != nullptr && active_model->fingerprint() == fingerprint) {
    if (generations_.building() != nullptr) VIDX_RETURN_IF_ERROR(AbandonBuilding());
    if (rebuild_index || old.index.factory != config_.index.factory) {
      VIDX_RETURN_IF_ERROR(generations_.RebuildActive(config_.index.factory, rebuild_index));
      scheduler_.Changed();
    }
    return Status::Ok();
  }
  if (generations_.building() != nullptr &&
      generations_.building_model()->fingerprint() == fingerprint) {
    return Status::Ok();
  }
  if (generations_.building() != nullptr) VIDX_RETURN_IF_ERROR(AbandonBuilding());
  return StartBuilding(*model);
}

Status LibraryIndexer::StartBuilding(std::shared_ptr<const LoadedModel> model) {
  VIDX_RETURN_IF_ERROR(generations_.StartBuilding(std::move(model), config_.index.factory));
  scheduler_.BuildStarted();
  const uint64_t id = generations_.building()->generation().id;
  Update([&](IndexerStatus& st) {
    st.building = id;
    st.reindex_done = st.reindex_total = 0;
  });
  return Status::Ok();
}

Status LibraryIndexer::AbandonBuilding() {
  scheduler_.BuildEnded();
  Update([](IndexerStatus& st) { st.building.reset(); });
  return generations_.AbandonBuilding();
}

Status LibraryIndexer::Activate() {
  Status s = generations_.Activate();
  // Still building: nothing changed and the next turn tries again. Otherwise a failure was
  // the old generation's deletion, which every turn retries (GenerationManager::DeleteRetired).
  if (generations_.building() != nullptr) return s;
  scheduler_.BuildEnded();
  scheduler_.Snapshotted(Now());  // the new generation's snapshot was just written
  Update([](IndexerStatus& st) {
    st.building.reset();
    st.serving_note.clear();
  });
  return s;
}

Status LibraryIndexer::Snapshot(bool force) {
  const double now = Now();
  if (!scheduler_.SnapshotDue(now, force)) return Status::Ok();
  VIDX_RETURN_IF_ERROR(generations_.Snapshot());
  scheduler_.Snapshotted(Now());
  return Status::Ok();
}

}  // namespace vidx
