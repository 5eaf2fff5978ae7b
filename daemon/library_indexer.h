// LibraryIndexer: the daemon's indexing thread. It keeps the generations of the catalog in
// step with the library (docs/architecture.md):
//
//   inotify events / full scans ─► Scheduler (settling, fresh before background, removals,
//   rescans, back-off) ─► pipeline chunks ─► GenerationManager (active / building generation)
//
// Each pipeline chunk is a few files, so a reload, a reindex request or a stop is handled
// within one chunk; a stop cancels the chunk in flight (its unfinished files are not
// committed and are picked up by the next start).
//
// Generations: the configuration's model has a fingerprint. When the active generation has
// it, that generation receives every change and is what searches use. Otherwise (first run,
// a changed model or sampling: at start, on SIGHUP or on RequestReindex) a building
// generation is filled from a full scan while searches keep using the active one with the
// model that built it; when the scan is done (every file indexed or failed) the building
// generation is activated and the old one deleted (GenerationManager: searches never wait
// for the snapshot, the rebuild or the deletion). A crash mid-way resumes the building
// generation. Snapshots are written after changes when idle and at least every
// daemon.snapshot_interval seconds.
//
// Searches go first: the pipeline embeds in small chunks and holds back while a search of the
// search service is in flight (indexer/pipeline/inference_gate.h), and the indexing thread and
// every thread it starts run at daemon.index_nice (daemon/thread_priority.h).
//
// A model that fails to load on reload leaves everything as it is; the reason shows in
// status().reload_error. An indexing failure that is not a file's own (the catalog cannot
// write: a full disk) pauses indexing with status().last_error and retries with back-off.
//
// Thread-safety: Open/Start/Stop from one thread; Request*/status() from any thread.
#ifndef VIDX_DAEMON_LIBRARY_INDEXER_H_
#define VIDX_DAEMON_LIBRARY_INDEXER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/model_session.h"
#include "common/status.h"
#include "config/config.h"
#include "daemon/dir_watcher.h"
#include "daemon/generation_manager.h"
#include "daemon/scheduler.h"
#include "daemon/search_service.h"
#include "search/catalog.h"

namespace vidx {

struct IndexerStatus {
  // starting | scanning | indexing | reindexing | idle | paused | stopping
  std::string phase = "starting";
  int64_t queued = 0;  // files settling or waiting for the pipeline
  // Since the daemon started.
  int64_t files_embedded = 0, files_renamed = 0, files_failed = 0, files_removed = 0;
  int64_t frames = 0;
  double video_seconds = 0;
  double busy_seconds = 0;           // wall time spent in pipeline runs
  int64_t scans = 0;                 // full scans listed
  std::optional<uint64_t> building;  // generation being built, when reindexing
  int64_t reindex_done = 0, reindex_total = 0;
  std::string last_error;          // the last failure that paused indexing (empty when none)
  std::string reload_error;        // why the last reload was refused (empty when it worked)
  std::string serving_note;        // why searches are not answered, when they are not
  std::vector<std::string> roots;  // library.roots of the configuration in use
};

struct IndexerTuning {
  size_t chunk_files = 8;   // files per pipeline run
  double max_backoff = 60;  // seconds, after a failure that is not a file's own
  int decode_workers = 2;
};

class LibraryIndexer {
 public:
  // None owned; `catalog` and `search` outlive the indexer. `config_path` is re-read on
  // reload (empty: built-in defaults). `model` is `config`'s verified model.
  LibraryIndexer(Catalog* catalog, SearchService* search, std::string config_path, Config config,
                 std::shared_ptr<const LoadedModel> model, IndexerTuning tuning = {});
  ~LibraryIndexer();

  // Opens the generations and publishes the active one (see above); deletes building
  // generations of other fingerprints (abandoned reindexes). Errors: catalog/FAISS failures.
  Status Open();
  void Start();
  void RequestReload();
  // Reload, rebuild the vector index from the catalog (no features recomputed), full rescan.
  void RequestReindex();
  // Cancels the chunk in flight, snapshots, joins. Idempotent.
  void Stop();

  IndexerStatus status() const;
  // Seconds (steady clock) since the indexing thread last showed life: every loop turn, every
  // committed file and every inference batch. The daemon feeds systemd's watchdog only while
  // this stays small, so a hung indexer gets the service restarted.
  double SecondsSinceHeartbeat() const;

 private:
  void Loop();
  // One turn's work after the wait: scan, one chunk, removals, activation, snapshot.
  Status Turn(double now);
  void HandleEvents(const std::vector<WatchEvent>& events, double now);
  void ListLibrary(double now);
  // Runs the pipeline over `chunk` into the target generation. Counts into status.
  Status IndexChunk(const Chunk& chunk);
  Status ApplyRemovals(const std::vector<std::string>& paths);
  Status Reload(bool rebuild_index);
  Status StartBuilding(std::shared_ptr<const LoadedModel> model);
  Status AbandonBuilding();
  Status Activate();  // the building generation becomes the active one
  Status Snapshot(bool force);
  void RestartWatcher();
  SchedulerOptions SchedulingOf(const Config& config) const;
  void SetPhase(const std::string& phase);
  template <typename F>
  void Update(F&& f) {
    std::lock_guard<std::mutex> lock(status_mu_);
    f(status_);
  }

  Catalog* const catalog_;
  const std::string config_path_;
  Config config_;
  const IndexerTuning tuning_;
  std::shared_ptr<const LoadedModel> initial_model_;  // until Open()
  InferenceGate* const gate_;                         // the search service's

  // Owned by the indexing thread after Start().
  GenerationManager generations_;
  Scheduler scheduler_;
  std::unique_ptr<DirWatcher> watcher_;

  std::atomic<bool> stop_{false}, reload_{false}, reindex_{false};
  std::atomic<double> heartbeat_{0};
  std::thread thread_;
  mutable std::mutex status_mu_;
  IndexerStatus status_;
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;  // used when there is no watcher
};

}  // namespace vidx

#endif  // VIDX_DAEMON_LIBRARY_INDEXER_H_
