// Scheduler: what the daemon's indexing thread does next, and when. It holds the queues and
// the timers of LibraryIndexer and nothing else: no threads, no clock (every method that
// depends on time takes `now`, seconds on one monotonic clock), no filesystem access except
// the stat() calls of its SettleQueue.
//
//   FileChanged ─► settling (settle_seconds without change) ─► fresh ┐
//   ScanListed (at start, every rescan_interval, after RequestScan) ─► background ┴► NextChunk
//   FileRemoved ─► due after settle_seconds (after the files that settled with them, so a
//   move inside the library is seen as a rename, not a delete + re-embed)
//
// Fresh files go before background files. After a failure that is not a file's own, work
// waits: 1 s, doubling up to max_backoff, back to nothing after a success.
//
// A building generation (BuildStarted) may be activated once a full scan was listed after
// it started, both queues are empty, the listed scan's vanished files were removed and
// nothing is settling (ReadyToActivate).
//
// Snapshots: Changed() marks the index dirty; SnapshotDue says when it should be written
// (the queues are empty, or snapshot_interval passed since the last one).
//
// Thread-safety: none. One owner thread calls every method.
#ifndef VIDX_DAEMON_SCHEDULER_H_
#define VIDX_DAEMON_SCHEDULER_H_

#include <cstddef>
#include <deque>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "daemon/settle_queue.h"

namespace vidx {

struct SchedulerOptions {
  double settle_seconds = 5;      // >= 0
  double rescan_interval = 3600;  // > 0
  double snapshot_interval = 60;  // > 0
  double max_backoff = 60;        // >= 1
};

// One pipeline run's worth of files.
struct Chunk {
  std::vector<std::string> files;  // empty: nothing queued
  bool background = false;         // from a scan (false: from the settle queue)
};

class Scheduler {
 public:
  // The first full scan is due at once; the snapshot interval counts from `now`.
  Scheduler(const SchedulerOptions& options, double now);

  // New options (a reload). A changed settle time drops what was settling and asks for a
  // scan (which finds it again); a changed rescan interval makes the next scan due now.
  void Reconfigure(const SchedulerOptions& options, double now);

  // --- Intake ----------------------------------------------------------------------------
  // A video file was written (or appeared): it settles, then becomes fresh.
  void FileChanged(const std::string& path, double now);
  // `path` (a file or a directory) left the library: it is dropped from the queues and its
  // removal is due at now + settle_seconds.
  void FileRemoved(const std::string& path, double now);
  // Asks for a full scan at the next turn (lost events, changed roots, a reindex).
  void RequestScan() { scan_due_ = true; }
  // Files settled by `now` become fresh when `admit` accepts them (dropped otherwise).
  template <typename Admit>
  void PromoteSettled(double now, Admit&& admit) {
    for (std::string& p : settle_.TakeReady(now)) {
      if (admit(p)) fresh_.Push(std::move(p));
    }
  }

  // --- Scans -----------------------------------------------------------------------------
  bool ScanDue(double now) const { return scan_due_ || now >= next_scan_; }
  // A full scan listed `files`: they are queued as background work, the next scan is due
  // after rescan_interval, and the files the scan no longer found are to be removed
  // (CleanupPending until CleanupDone). Counts as the building generation's scan when one is
  // building.
  void ScanListed(const std::vector<std::string>& files, double now);
  bool CleanupPending() const { return cleanup_pending_; }
  void CleanupDone() { cleanup_pending_ = false; }

  // --- Work --------------------------------------------------------------------------------
  // Up to `max_files` fresh files, or else up to `max_files` background files.
  Chunk NextChunk(size_t max_files);
  // Puts a chunk that failed back in its queue (its committed files are skipped next time).
  void Requeue(const Chunk& chunk);
  // Removals due by `now`, in the order they were reported; they stay due until
  // RemovalsApplied(now).
  std::vector<std::string> DueRemovals(double now) const;
  void RemovalsApplied(double now);

  // --- Generations -----------------------------------------------------------------------
  // A building generation was opened (it needs a full scan of its own) / is gone (activated
  // or abandoned).
  void BuildStarted();
  void BuildEnded() { building_ = false; }
  // A full scan was listed since BuildStarted().
  bool BuildScanListed() const { return build_scan_listed_; }
  bool ReadyToActivate() const;

  // --- Failures ----------------------------------------------------------------------------
  // Work failed at `now`: it waits. Returns the back-off in seconds.
  double Failed(double now);
  // A turn succeeded. Returns true when this ends a back-off.
  bool Succeeded();
  bool Paused(double now) const { return now < retry_at_; }

  // --- Snapshots ---------------------------------------------------------------------------
  void Changed() { dirty_ = true; }
  // True when the index changed since the last snapshot and either `force`, the queues are
  // empty or snapshot_interval has passed since the last one.
  bool SnapshotDue(double now, bool force) const;
  void Snapshotted(double now);

  // --- Waiting -----------------------------------------------------------------------------
  // How long the thread may wait for events before the next turn (0: work now), at most 1 s:
  // until the next settle deadline, rescan or removal, or while paused until the back-off
  // ends.
  double WaitSeconds(double now) const;
  // Files settling or waiting for the pipeline.
  size_t queued() const { return settle_.size() + fresh_.Size() + background_.Size(); }
  // Something to do at `now` when not paused: queued files, a scan, the scan's cleanup or a
  // due removal.
  bool HasWork(double now) const;

 private:
  // A queue of paths without duplicates, in arrival order.
  class PathQueue {
   public:
    void Push(std::string path);
    bool Empty() const { return members_.empty(); }
    size_t Size() const { return members_.size(); }
    std::vector<std::string> Take(size_t n);
    void Erase(const std::string& path) { members_.erase(path); }  // lazily skipped by Take

   private:
    std::deque<std::string> order_;
    std::set<std::string> members_;
  };

  double NextRemoval() const;

  SchedulerOptions options_;
  SettleQueue settle_;
  PathQueue fresh_, background_;
  std::vector<std::pair<std::string, double>> removals_;  // path, when due
  bool scan_due_ = true;
  double next_scan_ = 0;
  bool cleanup_pending_ = false;  // the listed scan's vanished files are not removed yet
  bool building_ = false;
  bool build_scan_listed_ = false;  // a full scan was listed since the build started
  bool dirty_ = false;              // changes since the last snapshot
  double last_snapshot_ = 0;
  double backoff_ = 0, retry_at_ = 0;
};

}  // namespace vidx

#endif  // VIDX_DAEMON_SCHEDULER_H_
