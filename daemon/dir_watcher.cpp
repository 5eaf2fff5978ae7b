#include "daemon/dir_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/fd_holder.h"

namespace vidx {

namespace {

namespace fs = std::filesystem;

// What each directory watch asks for. IN_ONLYDIR: never watch a file that replaced the
// directory; IN_EXCL_UNLINK: no events for files already unlinked but still open.
// IN_ATTRIB: a chmod can make an unreadable file or directory readable.
constexpr uint32_t kDirMask = IN_CLOSE_WRITE | IN_CREATE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO |
                              IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR |
                              IN_EXCL_UNLINK;
// Directories below a root are never entered through a symbolic link.
constexpr uint32_t kSubdirMask = kDirMask | IN_DONT_FOLLOW;

// Upper bound on read(2) calls per Wait(), so a flood of events cannot starve the caller.
constexpr int kMaxReadsPerWait = 16;

std::string Join(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (path == dir) return true;
  if (dir == "/") return !path.empty() && path[0] == '/';
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

std::string ReadWatchLimit() {
  std::ifstream in("/proc/sys/fs/inotify/max_user_watches");
  std::string value;
  if (!(in >> value)) return "?";
  return value;
}

void LogWarn(const std::string& message) {
  if (auto log = spdlog::get("vidx")) log->warn("{}", message);
}

void LogDebug(const std::string& message) {
  if (auto log = spdlog::get("vidx")) log->debug("{}", message);
}

// Keeps the first of consecutive identical events for a path (a flood of IN_MODIFY while a
// file is written becomes one kChanged), preserving order otherwise.
std::vector<WatchEvent> Coalesce(std::vector<WatchEvent> events) {
  std::vector<WatchEvent> out;
  out.reserve(events.size());
  std::unordered_map<std::string, WatchEvent::Kind> last;
  for (WatchEvent& e : events) {
    auto it = last.find(e.path);
    if (it != last.end() && it->second == e.kind) continue;
    last[e.path] = e.kind;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::string ToString(const WatchEvent& event) {
  switch (event.kind) {
    case WatchEvent::Kind::kChanged:
      return "changed " + event.path;
    case WatchEvent::Kind::kRemoved:
      return "removed " + event.path;
    case WatchEvent::Kind::kRescan:
      return "rescan " + (event.path.empty() ? std::string("<all roots>") : event.path);
  }
  return "unknown " + event.path;
}

StatusOr<std::unique_ptr<DirWatcher>> DirWatcher::Start(const std::vector<std::string>& roots) {
  return Start(roots, [](int fd, const char* path, uint32_t mask) {
    return ::inotify_add_watch(fd, path, mask);
  });
}

StatusOr<std::unique_ptr<DirWatcher>> DirWatcher::Start(const std::vector<std::string>& roots,
                                                        AddWatchFn add_watch) {
  // Absolute, normalised, without a trailing slash; a root inside another is dropped.
  std::set<std::string> normal;
  for (const std::string& root : roots) {
    std::error_code ec;
    fs::path p = fs::absolute(fs::path(root), ec);
    if (ec) return Status::InvalidArgument("library root " + root + ": " + ec.message());
    std::string s = p.lexically_normal().string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    struct stat st;
    if (::stat(s.c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT) return Status::NotFound("library root " + s + " does not exist");
      return Status::IoError("library root " + s + ": " + std::strerror(err));
    }
    if (!S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument("library root " + s + " is not a directory");
    }
    normal.insert(s);
  }
  std::vector<std::string> kept;
  for (const std::string& r : normal) {
    bool nested = false;
    for (const std::string& other : normal) {
      if (other != r && IsUnder(r, other)) nested = true;
    }
    if (!nested) kept.push_back(r);
  }

  FdHolder inotify_fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (inotify_fd.get() < 0) {
    return Status::IoError(std::string("inotify_init1 failed (fs.inotify.max_user_instances?): ") +
                           std::strerror(errno));
  }
  FdHolder wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (wake_fd.get() < 0) {
    return Status::IoError(std::string("eventfd failed: ") + std::strerror(errno));
  }
  std::unique_ptr<DirWatcher> watcher(
      new DirWatcher(inotify_fd.release(), wake_fd.release(), kept, std::move(add_watch)));
  for (const std::string& root : watcher->roots_) {
    bool alias = false;
    if (watcher->AddWatch(root, /*is_root=*/true, &alias, &watcher->pending_) < 0) {
      const int err = watcher->last_add_errno_;
      // Out of watches is survivable (the caller rescans); anything else on a root is not.
      if (err == ENOSPC) continue;
      return Status::IoError("cannot watch library root " + root + ": " + std::strerror(err));
    }
    if (alias) {
      LogWarn("watcher: library root " + root + " is a directory already watched under " +
              "another root; its events are reported under that root");
      continue;
    }
    watcher->WalkAndWatch(root, /*emit_files=*/false, &watcher->pending_, nullptr);
  }
  return watcher;
}

DirWatcher::DirWatcher(int inotify_fd, int wake_fd, std::vector<std::string> roots,
                       AddWatchFn add_watch)
    : inotify_fd_(inotify_fd),
      wake_fd_(wake_fd),
      roots_(std::move(roots)),
      add_watch_(std::move(add_watch)) {}

DirWatcher::~DirWatcher() {
  ::close(inotify_fd_);
  ::close(wake_fd_);
}

void DirWatcher::Wake() {
  uint64_t one = 1;
  // A full counter (EAGAIN) already means "wake"; nothing else can fail here.
  ssize_t r = ::write(wake_fd_, &one, sizeof(one));
  (void)r;
}

std::vector<WatchEvent> DirWatcher::Wait(double timeout_seconds) {
  std::vector<WatchEvent> out = std::move(pending_);
  pending_.clear();

  int timeout_ms = 0;
  if (out.empty() && timeout_seconds > 0) {
    double ms = std::ceil(timeout_seconds * 1000.0);
    timeout_ms = ms >= static_cast<double>(INT_MAX) ? INT_MAX : static_cast<int>(ms);
  }
  struct pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  int n = ::poll(fds, 2, timeout_ms);
  if (n < 0) {
    if (errno != EINTR) LogWarn(std::string("watcher: poll failed: ") + std::strerror(errno));
    return Coalesce(std::move(out));
  }
  if (fds[1].revents & POLLIN) {
    uint64_t value;
    ssize_t r = ::read(wake_fd_, &value, sizeof(value));
    (void)r;
  }
  if (fds[0].revents & POLLIN) {
    alignas(struct inotify_event) char buf[64 * 1024];
    for (int i = 0; i < kMaxReadsPerWait; ++i) {
      ssize_t len = ::read(inotify_fd_, buf, sizeof(buf));
      if (len < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) {
          LogWarn(std::string("watcher: read from inotify failed: ") + std::strerror(errno));
        }
        break;
      }
      if (len == 0) break;
      ProcessBuffer(buf, static_cast<size_t>(len), &out);
    }
  }
  return Coalesce(std::move(out));
}

void DirWatcher::ProcessBuffer(const char* buf, size_t len, std::vector<WatchEvent>* out) {
  bool overflow = false;
  size_t offset = 0;
  while (offset + sizeof(struct inotify_event) <= len) {
    struct inotify_event ev;
    std::memcpy(&ev, buf + offset, sizeof(ev));
    const char* name_ptr = buf + offset + sizeof(struct inotify_event);
    offset += sizeof(struct inotify_event) + ev.len;
    if (offset > len) break;  // cannot happen: the kernel returns whole events

    if (ev.mask & IN_Q_OVERFLOW) {
      overflow = true;
      continue;
    }
    auto it = wd_to_path_.find(ev.wd);
    if (it == wd_to_path_.end()) continue;  // a watch already dropped
    const std::string dir = it->second;

    if (ev.mask & IN_IGNORED) {  // the kernel removed the watch
      DropWatch(ev.wd, /*remove_from_kernel=*/false);
      continue;
    }
    if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
      // A sub-directory's deletion or move is reported by its parent (IN_DELETE,
      // IN_MOVED_FROM), which has already dropped its watch; reaching here means a root (or a
      // directory whose parent event was lost) went away.
      if (IsRoot(dir)) LogWarn("watcher: library root " + dir + " was removed or moved away");
      if (IsRoot(dir) || !(ev.mask & IN_DELETE_SELF)) {
        out->push_back({WatchEvent::Kind::kRemoved, dir});
      }
      DropSubtree(dir, /*remove_from_kernel=*/true);
      continue;
    }
    if (ev.len == 0) continue;  // nothing else on the directory itself matters

    const std::string full = Join(dir, std::string(name_ptr, ::strnlen(name_ptr, ev.len)));
    const bool is_dir = (ev.mask & IN_ISDIR) != 0;
    if (ev.mask & (IN_MOVED_FROM | IN_DELETE)) {
      out->push_back({WatchEvent::Kind::kRemoved, full});
      if (is_dir) DropSubtree(full, /*remove_from_kernel=*/true);
    }
    if (ev.mask & (IN_CREATE | IN_MOVED_TO)) {
      if (is_dir) {
        WalkAndWatch(full, /*emit_files=*/true, out, nullptr);
      } else {
        out->push_back({WatchEvent::Kind::kChanged, full});
      }
    }
    if ((ev.mask & (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB)) && !is_dir) {
      out->push_back({WatchEvent::Kind::kChanged, full});
    }
    if ((ev.mask & IN_ATTRIB) && is_dir && path_to_wd_.count(full) == 0) {
      // A directory that could not be watched (unreadable) may be readable now: watch it and
      // list its files. One already watched is not walked again (rsync and touch set
      // directory times all the time).
      WalkAndWatch(full, /*emit_files=*/true, out, nullptr);
    }
  }
  if (overflow) {
    LogWarn(
        "watcher: inotify event queue overflowed (fs.inotify.max_queued_events); "
        "rescanning every library root");
    out->push_back({WatchEvent::Kind::kRescan, ""});
    Resync(out);
  }
}

int DirWatcher::AddWatch(const std::string& dir, bool is_root, bool* already_known,
                         std::vector<WatchEvent>* out) {
  *already_known = false;
  int wd = add_watch_(inotify_fd_, dir.c_str(), is_root ? kDirMask : kSubdirMask);
  if (wd < 0) {
    const int err = errno;
    last_add_errno_ = err;
    const std::string* root = RootOf(dir);
    if (err == ENOSPC && root != nullptr) {
      LogWarn("watcher: cannot watch " + dir + ": out of inotify watches " +
              "(fs.inotify.max_user_watches=" + ReadWatchLimit() + "); rescanning " + *root);
      out->push_back({WatchEvent::Kind::kRescan, *root});
    } else if (err == ENOENT || err == ENOTDIR) {
      LogDebug("watcher: " + dir + " went away before it could be watched");
    } else {
      LogWarn("watcher: cannot watch " + dir + ": " + std::strerror(err));
    }
    return -1;
  }
  auto it = wd_to_path_.find(wd);
  if (it != wd_to_path_.end() && it->second != dir) {
    // The same inode is already watched under another path. Either the directory was moved
    // and its move was not seen (the old path is gone: re-home it), or it is an alias
    // (bind mount): do not walk it twice.
    struct stat old_st, new_st;
    if (::lstat(it->second.c_str(), &old_st) == 0 && ::stat(dir.c_str(), &new_st) == 0 &&
        old_st.st_dev == new_st.st_dev && old_st.st_ino == new_st.st_ino) {
      *already_known = true;
      return wd;
    }
    DropSubtree(it->second, /*remove_from_kernel=*/true);
    wd = add_watch_(inotify_fd_, dir.c_str(), is_root ? kDirMask : kSubdirMask);
    if (wd < 0) {
      last_add_errno_ = errno;
      return -1;
    }
  }
  auto old = path_to_wd_.find(dir);
  if (old != path_to_wd_.end() && old->second != wd) wd_to_path_.erase(old->second);
  wd_to_path_[wd] = dir;
  path_to_wd_[dir] = wd;
  watch_count_.store(wd_to_path_.size(), std::memory_order_relaxed);
  return wd;
}

void DirWatcher::WalkAndWatch(const std::string& top, bool emit_files, std::vector<WatchEvent>* out,
                              std::vector<std::string>* visited) {
  std::vector<std::string> stack{top};
  while (!stack.empty()) {
    std::string dir = std::move(stack.back());
    stack.pop_back();
    bool alias = false;
    // The watch comes before the listing: whatever appears after it is an event, whatever
    // was there before is in the listing.
    if (AddWatch(dir, IsRoot(dir), &alias, out) < 0 || alias) continue;
    if (visited != nullptr) visited->push_back(dir);
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) continue;  // vanished or unreadable since: its parent's events cover it
    for (const fs::directory_iterator end; it != end; it.increment(ec)) {
      if (ec) break;
      std::error_code sec;
      fs::file_status st = it->symlink_status(sec);
      if (sec) continue;
      const std::string path = Join(dir, it->path().filename().string());
      if (fs::is_directory(st)) {
        stack.push_back(path);
      } else if (emit_files &&
                 (fs::is_regular_file(st) ||
                  (fs::is_symlink(st) && fs::is_regular_file(fs::status(path, sec))))) {
        out->push_back({WatchEvent::Kind::kChanged, path});
      }
    }
  }
}

void DirWatcher::DropWatch(int wd, bool remove_from_kernel) {
  auto it = wd_to_path_.find(wd);
  if (it == wd_to_path_.end()) return;
  auto p = path_to_wd_.find(it->second);
  if (p != path_to_wd_.end() && p->second == wd) path_to_wd_.erase(p);
  wd_to_path_.erase(it);
  if (remove_from_kernel) ::inotify_rm_watch(inotify_fd_, wd);  // EINVAL if already gone
  watch_count_.store(wd_to_path_.size(), std::memory_order_relaxed);
}

void DirWatcher::DropSubtree(const std::string& dir, bool remove_from_kernel) {
  std::vector<int> wds;
  auto self = path_to_wd_.find(dir);
  if (self != path_to_wd_.end()) wds.push_back(self->second);
  const std::string prefix = Join(dir, "");
  for (auto it = path_to_wd_.lower_bound(prefix);
       it != path_to_wd_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    wds.push_back(it->second);
  }
  for (int wd : wds) DropWatch(wd, remove_from_kernel);
}

void DirWatcher::Resync(std::vector<WatchEvent>* out) {
  std::vector<std::string> visited;
  for (const std::string& root : roots_) {
    // A root that was removed is not watched again.
    if (path_to_wd_.count(root) == 0) continue;
    WalkAndWatch(root, /*emit_files=*/false, out, &visited);
  }
  std::set<std::string> seen(visited.begin(), visited.end());
  std::vector<int> stale;
  for (const auto& [wd, path] : wd_to_path_) {
    if (seen.count(path) == 0) stale.push_back(wd);
  }
  for (int wd : stale) DropWatch(wd, /*remove_from_kernel=*/true);
}

const std::string* DirWatcher::RootOf(const std::string& path) const {
  const std::string* best = nullptr;
  for (const std::string& root : roots_) {
    if (IsUnder(path, root) && (best == nullptr || root.size() > best->size())) best = &root;
  }
  return best;
}

bool DirWatcher::IsRoot(const std::string& path) const {
  for (const std::string& root : roots_) {
    if (root == path) return true;
  }
  return false;
}

}  // namespace vidx
