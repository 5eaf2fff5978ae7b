// DirWatcher: recursive inotify watcher over the library roots.
//
// Every directory under each root gets one inotify watch (IN_ONLYDIR | IN_DONT_FOLLOW |
// IN_EXCL_UNLINK). Symbolic links are never followed into directories, so a symlink loop
// cannot make the watcher walk forever; a bind-mount alias of a directory that is already
// watched (same inode, same watch descriptor) is not descended into either. Roots themselves
// may be symbolic links (they are opened as given).
//
// What is reported (WatchEvent.path is always absolute, spelled under the root as given):
//   kChanged  a file was created, written, closed after writing, moved in, or had its
//             attributes changed (chmod, touch). A directory that is created, moved in, or
//             not yet watched (it was unreadable) and has its attributes changed is walked:
//             watches are added for it and its
//             sub-directories, and kChanged is emitted for every regular file (or symlink to
//             a regular file) found, so files created before its watch existed are not lost.
//             A file may be reported more than once; consecutive kChanged for the same path
//             within one Wait() are coalesced.
//   kRemoved  a file or directory was deleted or moved out (a rename inside a root is
//             kRemoved(old) + kChanged(new)); for a directory, everything under the path is
//             gone. A root that is deleted or moved away is reported as kRemoved(root) and is
//             no longer watched.
//   kRescan   events were lost: the kernel queue overflowed (IN_Q_OVERFLOW; path "" = every
//             root) or a watch could not be added (ENOSPC: fs.inotify.max_user_watches is
//             exhausted; path = the root that contains the directory). Logged at warn with the
//             reason. After an overflow the watcher re-synchronises its own watches (adds the
//             missing ones, drops stale ones) before returning; the caller must rescan the
//             files.
//
// Thread-safety: Wait() must be called by one thread at a time (the owner thread). Wake() and
// watch_count() may be called from any thread, concurrently with Wait().
#ifndef VIDX_DAEMON_DIR_WATCHER_H_
#define VIDX_DAEMON_DIR_WATCHER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace vidx {

struct WatchEvent {
  enum class Kind { kChanged, kRemoved, kRescan };
  Kind kind;
  std::string path;  // absolute; see the header comment for each kind
};

// "changed /a/b.mp4", "removed /a", "rescan <all roots>": for logs and test messages.
std::string ToString(const WatchEvent& event);

class DirWatcher {
 public:
  // The call that adds a watch: inotify_add_watch(fd, path, mask) by default. Returns the watch
  // descriptor, or -1 with errno set. Replaceable for fault injection in tests.
  using AddWatchFn = std::function<int(int inotify_fd, const char* path, uint32_t mask)>;

  // Watches every directory under each root. Roots must exist and be directories (relative
  // roots are made absolute; a root inside another root is watched once). Fails with
  // kNotFound / kInvalidArgument for a missing or non-directory root, kIoError when inotify
  // cannot be set up or a root cannot be watched (e.g. EACCES). A root that is the same
  // directory as another root (through a symlink) is watched once, under the first name. Running
  // out of watches (ENOSPC) is not a failure: the first Wait() returns kRescan for the affected
  // root.
  static StatusOr<std::unique_ptr<DirWatcher>> Start(const std::vector<std::string>& roots);
  static StatusOr<std::unique_ptr<DirWatcher>> Start(const std::vector<std::string>& roots,
                                                     AddWatchFn add_watch);

  ~DirWatcher();
  DirWatcher(const DirWatcher&) = delete;
  DirWatcher& operator=(const DirWatcher&) = delete;

  // Waits up to timeout_seconds (<= 0: does not block) for events and returns those available,
  // possibly none (timeout, Wake(), or events that were all filtered out).
  std::vector<WatchEvent> Wait(double timeout_seconds);

  // Makes a blocked (or the next) Wait() return early. Async-signal-safe (one write(2)).
  void Wake();

  // Number of directories currently watched.
  size_t watch_count() const { return watch_count_.load(std::memory_order_relaxed); }

  // Test hook: processes `len` bytes of struct inotify_event records as if they had been read
  // from the inotify descriptor (e.g. an IN_Q_OVERFLOW, which a test cannot provoke reliably:
  // the kernel queue limit is system-wide). The resulting events come out of the next Wait().
  // Same thread rule as Wait().
  void InjectRawEventsForTest(const char* buf, size_t len) { ProcessBuffer(buf, len, &pending_); }

 private:
  DirWatcher(int inotify_fd, int wake_fd, std::vector<std::string> roots, AddWatchFn add_watch);

  // Adds watches for `dir` and every directory below it. With emit_files, appends kChanged
  // for every regular file found. `visited` (optional) collects the paths watched.
  void WalkAndWatch(const std::string& dir, bool emit_files, std::vector<WatchEvent>* out,
                    std::vector<std::string>* visited);
  // Returns the watch descriptor for `dir`, or -1 (the failure is handled: logged, and a
  // kRescan appended for ENOSPC; errno kept in last_add_errno_). Sets *already_known when
  // `dir`'s inode is already watched under another existing path (an alias: do not descend).
  int AddWatch(const std::string& dir, bool is_root, bool* already_known,
               std::vector<WatchEvent>* out);
  void DropWatch(int wd, bool remove_from_kernel);
  void DropSubtree(const std::string& dir, bool remove_from_kernel);
  void Resync(std::vector<WatchEvent>* out);
  void ProcessBuffer(const char* buf, size_t len, std::vector<WatchEvent>* out);
  const std::string* RootOf(const std::string& path) const;
  bool IsRoot(const std::string& path) const;

  const int inotify_fd_;
  const int wake_fd_;
  const std::vector<std::string> roots_;
  const AddWatchFn add_watch_;
  std::unordered_map<int, std::string> wd_to_path_;
  std::map<std::string, int> path_to_wd_;  // ordered: a directory's subtree is a key range
  std::vector<WatchEvent> pending_;        // produced outside Wait() (Start), returned next
  std::atomic<size_t> watch_count_{0};
  int last_add_errno_ = 0;
};

}  // namespace vidx

#endif  // VIDX_DAEMON_DIR_WATCHER_H_
