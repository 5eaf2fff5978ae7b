// SearchRecorder: searches a `vidx daemon` back to back on its own thread, from construction
// until Stop(), and keeps every answer's HTTP status and fingerprint, so a test can check a
// blue/green reindex from outside: every search answered, each by one generation, the old one
// up to the flip and the new one after it.
//
// Thread-safety: construct, Stop() and read from one thread; the searching thread is private.
#ifndef VIDX_TESTS_SEARCH_RECORDER_H_
#define VIDX_TESTS_SEARCH_RECORDER_H_

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/daemon_process.h"

namespace vidx {
namespace testing {

class SearchRecorder {
 public:
  // Starts searching `daemon` (which must outlive this object) for "a red video", k 3.
  explicit SearchRecorder(const DaemonProcess& daemon);
  ~SearchRecorder();  // Stop()
  SearchRecorder(const SearchRecorder&) = delete;
  SearchRecorder& operator=(const SearchRecorder&) = delete;

  // Ends the searching thread after its search in flight. Idempotent.
  void Stop();

  // After Stop(): "" when there was at least one answer, every answer was HTTP 200, the
  // fingerprints were `before` up to some answer and `after` from it on, with at least one
  // `after`; otherwise one sentence saying what broke. Sets answered() and before_flip().
  std::string CheckOneFlip(const std::string& before, const std::string& after);

  size_t answered() const { return fingerprints_.size(); }
  size_t before_flip() const { return before_flip_; }

 private:
  const DaemonProcess& daemon_;
  std::atomic<bool> done_{false};
  std::mutex mu_;
  std::vector<int> codes_;                 // guarded by mu_ while the thread runs
  std::vector<std::string> fingerprints_;  // of the 200 answers, in order; same
  size_t before_flip_ = 0;
  std::thread thread_;
};

// Polls the daemon until it serves a fingerprint other than `old_fp`, builds no generation and
// is idle (or `timeout_s` passes), then waits 300 ms more so a SearchRecorder also sees answers
// from the new generation. Returns the last status.
nlohmann::json WaitForReindex(const DaemonProcess& daemon, const std::string& old_fp,
                              double timeout_s);

}  // namespace testing
}  // namespace vidx

#endif  // VIDX_TESTS_SEARCH_RECORDER_H_
