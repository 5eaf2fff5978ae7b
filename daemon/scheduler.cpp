#include "daemon/scheduler.h"

#include <algorithm>
#include <limits>

namespace vidx {

void Scheduler::PathQueue::Push(std::string path) {
  if (members_.insert(path).second) order_.push_back(std::move(path));
}

std::vector<std::string> Scheduler::PathQueue::Take(size_t n) {
  std::vector<std::string> out;
  while (!order_.empty() && out.size() < n) {
    std::string p = std::move(order_.front());
    order_.pop_front();
    if (members_.erase(p) > 0) out.push_back(std::move(p));
  }
  return out;
}

Scheduler::Scheduler(const SchedulerOptions& options, double now)
    : options_(options), settle_(options.settle_seconds), last_snapshot_(now) {}

void Scheduler::Reconfigure(const SchedulerOptions& options, double now) {
  const SchedulerOptions old = options_;
  options_ = options;
  if (old.settle_seconds != options.settle_seconds) {
    settle_ = SettleQueue(options.settle_seconds);
    scan_due_ = true;  // what was settling is found again by the scan
  }
  if (old.rescan_interval != options.rescan_interval) next_scan_ = now;
}

void Scheduler::FileChanged(const std::string& path, double now) { settle_.Touch(path, now); }

void Scheduler::FileRemoved(const std::string& path, double now) {
  settle_.Forget(path);
  fresh_.Erase(path);
  background_.Erase(path);
  removals_.emplace_back(path, now + options_.settle_seconds);
}

void Scheduler::ScanListed(const std::vector<std::string>& files, double now) {
  for (const std::string& f : files) background_.Push(f);
  scan_due_ = false;
  next_scan_ = now + options_.rescan_interval;
  cleanup_pending_ = true;
  if (building_) build_scan_listed_ = true;
}

Chunk Scheduler::NextChunk(size_t max_files) {
  Chunk c;
  if (!fresh_.Empty()) {
    c.files = fresh_.Take(max_files);
  } else if (!background_.Empty()) {
    c.files = background_.Take(max_files);
    c.background = true;
  }
  return c;
}

void Scheduler::Requeue(const Chunk& chunk) {
  for (const std::string& f : chunk.files) (chunk.background ? background_ : fresh_).Push(f);
}

std::vector<std::string> Scheduler::DueRemovals(double now) const {
  std::vector<std::string> due;
  for (const auto& r : removals_) {
    if (r.second <= now) due.push_back(r.first);
  }
  return due;
}

void Scheduler::RemovalsApplied(double now) {
  removals_.erase(std::remove_if(removals_.begin(), removals_.end(),
                                 [&](const auto& r) { return r.second <= now; }),
                  removals_.end());
}

void Scheduler::BuildStarted() {
  building_ = true;
  build_scan_listed_ = false;
  scan_due_ = true;
}

bool Scheduler::ReadyToActivate() const {
  return building_ && build_scan_listed_ && fresh_.Empty() && background_.Empty() &&
         !cleanup_pending_ && settle_.size() == 0;
}

double Scheduler::Failed(double now) {
  backoff_ = backoff_ == 0 ? 1 : std::min(backoff_ * 2, options_.max_backoff);
  retry_at_ = now + backoff_;
  return backoff_;
}

bool Scheduler::Succeeded() {
  const bool resumed = backoff_ > 0;
  backoff_ = 0;
  return resumed;
}

bool Scheduler::SnapshotDue(double now, bool force) const {
  if (!dirty_) return false;
  const bool idle = fresh_.Empty() && background_.Empty();
  return force || idle || now - last_snapshot_ >= options_.snapshot_interval;
}

void Scheduler::Snapshotted(double now) {
  dirty_ = false;
  last_snapshot_ = now;
}

double Scheduler::NextRemoval() const {
  double next = std::numeric_limits<double>::infinity();
  for (const auto& r : removals_) next = std::min(next, r.second);
  return next;
}

bool Scheduler::HasWork(double now) const {
  return !fresh_.Empty() || !background_.Empty() || ScanDue(now) || cleanup_pending_ ||
         NextRemoval() <= now;
}

double Scheduler::WaitSeconds(double now) const {
  double timeout = std::min(1.0, settle_.NextDeadline() - now);
  if (Paused(now)) {
    // Only settling goes on while paused; the rest waits for the back-off to end.
    timeout = std::min(timeout, retry_at_ - now);
  } else if (HasWork(now)) {
    timeout = 0;
  } else {
    timeout = std::min({timeout, next_scan_ - now, NextRemoval() - now});
  }
  return std::max(timeout, 0.0);
}

}  // namespace vidx
