// SettleQueue: holds changed files back until they stop changing.
//
// A file being copied into a library root produces a stream of change events; indexing it
// before the copy is complete would read a truncated video. A path becomes ready only when
// its size and mtime have stayed the same for settle_seconds: each Touch() (an event) restarts
// the path's timer, and when the timer runs out TakeReady() compares a fresh stat() with the
// one taken at the last observation — a difference restarts the timer, so a writer that
// produces no events (or whose events were coalesced) is still waited for.
//
// Time is whatever monotonic clock the caller passes in `now_seconds` (the same clock for
// every call); the queue never reads a clock itself, so tests drive it with fake time.
//
// Thread-safety: none. One owner thread calls every method.
#ifndef VIDX_DAEMON_SETTLE_QUEUE_H_
#define VIDX_DAEMON_SETTLE_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace vidx {

class SettleQueue {
 public:
  // REQUIRES: settle_seconds >= 0 (0: ready at the first TakeReady whose stat still matches).
  explicit SettleQueue(double settle_seconds);

  // Adds `path` or restarts its timer: it is ready at now_seconds + settle_seconds at the
  // earliest. Records its current stat(); a path that does not exist (yet) is kept, and is
  // dropped at its deadline if it still does not exist.
  void Touch(const std::string& path, double now_seconds);

  // Removes `path` and every queued path under path + "/" (a removed directory).
  void Forget(const std::string& path);

  // Paths whose timer ran out (deadline <= now_seconds) and whose stat (size, mtime) is
  // unchanged since the last observation, in deadline order; they leave the queue. A due path
  // whose stat changed gets a fresh observation and its timer restarted; a due path that
  // vanished is dropped.
  std::vector<std::string> TakeReady(double now_seconds);

  // The earliest deadline (same clock), i.e. when TakeReady may next return something;
  // +infinity when the queue is empty.
  double NextDeadline() const;

  size_t size() const { return entries_.size(); }

 private:
  struct Observation {
    bool exists = false;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Observation& o) const {
      return exists == o.exists && size == o.size && mtime_ns == o.mtime_ns;
    }
  };
  struct Entry {
    double deadline;
    Observation seen;
  };
  static Observation Observe(const std::string& path);
  void SetDeadline(const std::string& path, Entry* entry, double deadline);

  double settle_seconds_;
  std::map<std::string, Entry> entries_;                // ordered: Forget() takes a range
  std::set<std::pair<double, std::string>> deadlines_;  // (deadline, path), one per entry
};

}  // namespace vidx

#endif  // VIDX_DAEMON_SETTLE_QUEUE_H_
