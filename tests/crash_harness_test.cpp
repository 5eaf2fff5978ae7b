// Crash consistency of the real `vidx daemon` (docs/architecture.md §5): kill -9 at random
// moments of first indexing, snapshot writing and blue/green reindexing (including the flip),
// then check the state directory with the daemon dead, restart it and check that it serves.
//
// After every kill: the catalog and the vector index a start-up opens agree (same ids; an
// exhaustive search returns only catalog ids), no duplicate ids or records, no vector without
// its file record (a retired generation or an orphan snapshot directory, left by a kill in
// the middle of a deletion, is counted; the next start must remove it, which the checks after
// each clean stop enforce); every file the catalog had as indexed before
// stays indexed (and what the API reported as indexed before the kill is there); after the
// restart a --like query for indexed files finds them. At the end of each stage the run
// completes: every file indexed, one active generation, the configured fingerprint.
//
// VIDX_CRASH_KILLS sets the number of kills (default 12, the CI short mode; the long mode is
// >= 100). VIDX_CRASH_SEED replays a run; the seed is printed either way.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon_process.h"
#include "tests/state_check.h"
#include "tests/tiny_library.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::DaemonProcess;

constexpr int kFiles = 24;
constexpr double kSeconds = 3;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Whether `pid` has exited, without reaping it (the trap may still hold its pid).
bool Exited(pid_t pid) {
  siginfo_t info{};
  return pid <= 0 ||
         (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid);
}

enum Phase { kFirstIndexing, kReindexBuild, kSnapshotWrite, kFlip, kStartup, kIdle, kPhases };
const char* const kPhaseNames[kPhases] = {"first-indexing", "reindex-build", "snapshot-write",
                                          "flip",           "startup",       "idle"};

// Watches state_dir/index/ and its generation directories; when armed, SIGKILLs `pid` the
// moment a snapshot temp file appears (snapshot mode) or a snapshot is deleted (the old
// generation going away after a flip).
class SnapshotTrap {
 public:
  explicit SnapshotTrap(const std::string& index_dir) : dir_(index_dir) {
    fs::create_directories(dir_);
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    Watch(dir_);
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.is_directory()) Watch(e.path().string());
    }
    thread_ = std::thread([this] { Run(); });
  }
  ~SnapshotTrap() {
    done_ = true;
    thread_.join();
    ::close(fd_);
  }
  // Kill `pid` on the next temp file (`on_tmp`) and/or deletion (`on_delete`).
  void Arm(pid_t pid, bool on_tmp, bool on_delete) {
    std::lock_guard<std::mutex> lock(mu_);
    pid_ = pid;
    on_tmp_ = on_tmp;
    on_delete_ = on_delete;
    fired_ = kPhases;
  }
  Phase Disarm() {
    std::lock_guard<std::mutex> lock(mu_);
    pid_ = -1;
    return fired_;
  }

 private:
  void Watch(const std::string& d) {
    const int wd = ::inotify_add_watch(fd_, d.c_str(), IN_CREATE | IN_DELETE | IN_MOVED_FROM);
    if (wd >= 0) dirs_[wd] = d;
  }
  void Run() {
    alignas(inotify_event) char buf[8192];
    while (!done_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      for (ssize_t off = 0; off < n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
        const std::string name = e->len > 0 ? e->name : "";
        if ((e->mask & IN_CREATE) && (e->mask & IN_ISDIR) && dirs_.count(e->wd)) {
          Watch(dirs_[e->wd] + "/" + name);
        }
        const bool is_tmp = name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0;
        const bool tmp = (e->mask & IN_CREATE) && is_tmp;
        const bool del = (e->mask & (IN_DELETE | IN_MOVED_FROM)) && !is_tmp;
        std::lock_guard<std::mutex> lock(mu_);
        if (pid_ > 0 && ((tmp && on_tmp_) || (del && on_delete_))) {
          ::kill(pid_, SIGKILL);
          fired_ = tmp ? kSnapshotWrite : kFlip;
          pid_ = -1;
        }
      }
    }
  }

  const std::string dir_;
  int fd_ = -1;
  std::map<int, std::string> dirs_;  // only the watcher thread after construction
  std::atomic<bool> done_{false};
  std::thread thread_;
  std::mutex mu_;
  pid_t pid_ = -1;
  bool on_tmp_ = false, on_delete_ = false;
  Phase fired_ = kPhases;
};

class CrashHarness : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(testing::kClipVocab)) << testing::kClipVocab << " is missing";
    root_ = fs::temp_directory_path() / ("vidx_crash_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "lib");
    ASSERT_EQ(testing::MakeTinyModels(VIDX_TINY_MODELS_DIR, root_.string()), "");
    // The videos are a cache shared by runs of this binary (made once, ~1 s).
    const fs::path cache = fs::temp_directory_path() / "vidx_crash_videos";
    std::vector<std::string> videos;
    ASSERT_EQ(testing::MakeVideos(cache.string(), kFiles, kSeconds, &videos), "");
    for (const std::string& v : videos) {
      const fs::path to = root_ / "lib" / fs::path(v).filename();
      fs::copy_file(v, to);
      paths_.push_back(to.string());
    }
    const char* kills = std::getenv("VIDX_CRASH_KILLS");
    kills_ = kills != nullptr ? std::max(1, std::atoi(kills)) : 12;
    const char* seed = std::getenv("VIDX_CRASH_SEED");
    seed_ = seed != nullptr ? std::strtoull(seed, nullptr, 10) : std::random_device{}();
    rng_.seed(seed_);
    std::printf("[ crash    ] seed %llu (VIDX_CRASH_SEED replays), %d kills\n",
                static_cast<unsigned long long>(seed_), kills_);
  }
  void TearDown() override {
    daemon_.reset();
    if (!HasFailure())
      fs::remove_all(root_);
    else
      std::printf("[ crash    ] state kept in %s (seed %llu)\n", root_.c_str(),
                  static_cast<unsigned long long>(seed_));
  }

  std::string State() const { return (root_ / "state").string(); }
  void WriteConfig() {
    testing::DaemonConfig c;
    c.state_dir = State();
    c.library = (root_ / "lib").string();
    c.socket = (root_ / "vidx.sock").string();
    c.model = (root_ / model_).string();
    c.fps = fps_;
    // Snapshot after every chunk, so that kills land in snapshot writes.
    c.snapshot_interval = 0.001;
    testing::WriteDaemonConfig((root_ / "vidx.yaml").string(), c);
  }
  void StartDaemon() {
    started_ = Now();
    daemon_ = std::make_unique<DaemonProcess>(VIDX_BINARY, (root_ / "vidx.yaml").string(),
                                              (root_ / "vidx.sock").string(),
                                              (root_ / "daemon.log").string());
    ASSERT_TRUE(daemon_->Start());
  }
  double Uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }

  // Checks the state directory (daemon dead) against what was known before; updates it.
  void CheckAfterKill(const json& reported) {
    std::vector<std::string> problems;
    testing::StateView view = testing::CheckState(State(), "Flat", &problems);
    for (const std::string& p : problems)
      ADD_FAILURE() << "after kill " << total_kills_ << ": " << p;
    leftovers_ += static_cast<int>(view.leftovers.size());
    // Files indexed before stay indexed in the same generation; a flip only happens complete.
    for (const testing::GenerationView& g : view.generations) {
      auto it = known_.find(g.id);
      if (it == known_.end()) continue;
      for (const std::string& p : it->second) {
        EXPECT_EQ(g.indexed.count(p), 1u)
            << p << " was indexed in generation " << g.id << " before kill " << total_kills_;
      }
    }
    if (const testing::GenerationView* a = view.active()) {
      if (a->id != last_active_ && last_active_ != 0) {
        EXPECT_EQ(a->indexed.size() + a->failed.size(), paths_.size())
            << "generation " << a->id << " became active incomplete";
      }
      last_active_ = a->id;
    }
    // What the API reported as indexed before the kill is still there.
    if (reported.is_object() && reported["files"]["indexed"].is_number()) {
      const json& gen = reported["generation"];
      const json shown = gen["active"].is_null() ? gen["building"] : gen["active"];
      const int64_t count = reported["files"]["indexed"];
      bool found = false;
      for (const testing::GenerationView& g : view.generations) {
        if (!shown.is_null() && g.id == shown.get<uint64_t>()) {
          found = true;
          EXPECT_GE(static_cast<int64_t>(g.indexed.size()), count)
              << "generation " << g.id << " lost files the daemon reported as indexed";
        }
      }
      // A generation that disappeared was the old one of a flip: the new one is complete.
      if (!found && !shown.is_null() && count > 0) {
        ASSERT_NE(view.active(), nullptr);
        EXPECT_EQ(view.active()->indexed.size(), paths_.size());
      }
    }
    known_.clear();
    for (const testing::GenerationView& g : view.generations) known_[g.id] = g.indexed;
    ++checks_;
    view_ = view;
  }

  // After a restart: --like queries for a few indexed files of the active generation find them.
  void CheckSearchable() {
    const testing::GenerationView* a = view_.active();
    if (a == nullptr || a->indexed.empty()) return;
    json st = daemon_->WaitForStatus([](const json& s) { return s.is_object(); }, 60);
    ASSERT_TRUE(st.is_object()) << daemon_->Log();
    std::vector<std::string> indexed(a->indexed.begin(), a->indexed.end());
    for (int i = 0; i < 2; ++i) {
      const std::string& p = indexed[rng_() % indexed.size()];
      HttpResponse r =
          daemon_->Call("POST", "/v1/search", json{{"like", p + "@1"}, {"k", 6}}.dump());
      if (r.status == 503 && !st["generation"]["building"].is_null()) {
        // Restarted with a changed model or sampling: the daemon loads only the configured
        // model, so it answers again when the new generation is complete (LibraryIndexer).
        ++unserved_;
        return;
      }
      ASSERT_EQ(r.status, 200) << r.body;
      json hit = json::parse(r.body, nullptr, false);
      ASSERT_TRUE(hit.is_object() && !hit["results"].empty()) << r.body;
      const double top = hit["results"][0]["score"];
      bool found = false;
      for (const json& h : hit["results"])
        found |= h["path"] == p && h["score"].get<double>() >= top - 1e-3;
      EXPECT_TRUE(found) << p << " not found by --like after kill " << total_kills_ << ": "
                         << r.body;
      ++searches_;
    }
  }

  // One kill: waits for the chosen trigger, SIGKILLs, checks, restarts.
  void KillOnce(bool reindexing, SnapshotTrap* trap) {
    // 0: at a random point of the progress (files done); 1: the next snapshot write;
    // 2: the flip (reindex only); 3: a random moment from the start (often during start-up).
    const int pick = static_cast<int>(rng_() % 8);
    const int mode = pick < 3 ? 0 : pick < 5 ? 1 : pick < 7 ? (reindexing ? 2 : 0) : 3;
    const int64_t target = 1 + static_cast<int64_t>(rng_() % (kFiles - 1));
    json last;
    Phase phase = kStartup;
    const double horizon = std::max(1.5, expected_run_);
    if (mode == 1 || mode == 2) trap->Arm(daemon_->pid(), mode == 1, mode == 2);
    const double deadline = mode == 3 ? started_ + Uniform(0.05, horizon) : Now() + 2 * horizon;
    while (Now() < deadline && !Exited(daemon_->pid())) {
      json st = daemon_->Status();
      if (st.is_object()) last = st;
      const json reindex = last.is_object() ? last["daemon"]["reindex"] : json();
      const int64_t done = !reindex.is_null() && reindex["done"].is_number()
                               ? reindex["done"].get<int64_t>()
                           : last.is_object() ? last["files"]["indexed"].get<int64_t>()
                                              : 0;
      const bool flip_near =
          !reindex.is_null() && reindex["total"] > 0 && reindex["done"] == reindex["total"];
      if ((mode == 0 && done >= target) || (mode == 2 && flip_near)) {
        std::this_thread::sleep_for(
            std::chrono::duration<double>(Uniform(0, mode == 0 ? 0.05 : 0.1)));
        if (mode == 2 && trap->Disarm() == kPhases) phase = kFlip;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(mode == 3 ? 20 : 5));
    }
    const Phase fired = trap->Disarm();
    daemon_->Kill();
    if (fired != kPhases) phase = fired;
    bool tmp_left = false;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(State()) / "index")) {
      tmp_left |= e.path().extension() == ".tmp";
    }
    if (tmp_left) phase = kSnapshotWrite;
    if (phase == kStartup && last.is_object()) {
      const json& g = last["generation"];
      if (!g["building"].is_null()) {
        phase = g["active"].is_null() ? kFirstIndexing : kReindexBuild;
      } else {
        phase = last["daemon"]["phase"] == "idle" ? kIdle : kFirstIndexing;
      }
    }
    ++by_phase_[phase];
    ++total_kills_;
    CheckAfterKill(last);
    StartDaemon();
    CheckSearchable();
  }

  // Waits until everything is indexed under the configured model, stops, checks.
  void Complete() {
    ASSERT_TRUE(daemon_->WaitIdle(kFiles, 0, 180)) << daemon_->Status().dump() << daemon_->Log();
    const std::string fingerprint = daemon_->Status()["fingerprint"];
    ASSERT_EQ(daemon_->Stop(), 0) << daemon_->Log();
    std::vector<std::string> problems;
    testing::StateView view = testing::CheckState(State(), "Flat", &problems);
    for (const std::string& p : problems) ADD_FAILURE() << "at completion: " << p;
    for (const std::string& p : view.leftovers)
      ADD_FAILURE() << "at completion, not cleaned up: " << p;
    ASSERT_EQ(view.generations.size(), 1u) << "one generation at the end";
    EXPECT_EQ(view.generations[0].state, "active");
    EXPECT_EQ(view.generations[0].fingerprint, fingerprint);
    EXPECT_EQ(view.generations[0].indexed.size(), paths_.size());
    known_.clear();
    known_[view.generations[0].id] = view.generations[0].indexed;
    last_active_ = view.generations[0].id;
    view_ = view;
    ++checks_;
    ++completions_;
    expected_run_ = std::max(expected_run_, Now() - started_);
  }

  fs::path root_;
  std::vector<std::string> paths_;
  int kills_ = 12;
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::string model_ = "tiny_c";
  double fps_ = 2;
  double expected_run_ = 1.5;  // the longest start-to-idle seen so far, seconds
  double started_ = 0;
  std::map<uint64_t, std::set<std::string>> known_;  // generation -> indexed paths
  uint64_t last_active_ = 0;
  testing::StateView view_;
  int by_phase_[kPhases] = {};
  int leftovers_ = 0;  // interrupted deletions seen right after kills (cleaned at start)
  int total_kills_ = 0, checks_ = 0, searches_ = 0, unserved_ = 0, completions_ = 0, reindexes_ = 0;
};

TEST_F(CrashHarness, KillNineAnywhereLosesNothingAndTheRunCompletes) {
  const double t0 = Now();
  SnapshotTrap* trap = nullptr;
  std::unique_ptr<SnapshotTrap> trap_owner;
  int stage = 0;
  while (total_kills_ < kills_ && !HasFatalFailure()) {
    const bool first = stage % 3 == 0;
    if (first) {
      // A fresh state directory: first indexing.
      daemon_.reset();
      trap_owner.reset();
      fs::remove_all(State());
      known_.clear();
      last_active_ = 0;
      trap_owner = std::make_unique<SnapshotTrap>(State() + "/index");
      trap = trap_owner.get();
      WriteConfig();
      StartDaemon();
    } else {
      // Reindex: another sampling rate or another checkpoint, by SIGHUP or by a restart.
      ++reindexes_;
      if (stage % 2 == 0)
        fps_ = fps_ == 2 ? 4 : 2;
      else
        model_ = model_ == "tiny_c" ? "tiny_c2" : "tiny_c";
      const bool sighup = rng_() % 2 == 0;
      if (sighup) {
        StartDaemon();
        ASSERT_TRUE(daemon_->WaitIdle(kFiles, 0, 120)) << daemon_->Log();
        WriteConfig();
        daemon_->Signal(SIGHUP);
      } else {
        WriteConfig();
        StartDaemon();
      }
    }
    const int kills = std::min(kills_ - total_kills_, 1 + static_cast<int>(rng_() % 4));
    for (int k = 0; k < kills && !HasFatalFailure(); ++k) KillOnce(!first, trap);
    if (HasFatalFailure()) break;
    Complete();
    ++stage;
  }
  const double wall = Now() - t0;
  std::string phases;
  for (int p = 0; p < kPhases; ++p) {
    phases += std::string(p ? ", " : "") + kPhaseNames[p] + " " + std::to_string(by_phase_[p]);
  }
  std::printf(
      "[ crash    ] seed %llu: %d kills (%s); %d reindexes, %d completions, %d state checks, "
      "%d searches (%d restarts not serving until the new generation); %d interrupted "
      "deletions found after kills, all cleaned up by the next start; %.1f s\n",
      static_cast<unsigned long long>(seed_), total_kills_, phases.c_str(), reindexes_,
      completions_, checks_, searches_, unserved_, leftovers_, wall);
  EXPECT_EQ(total_kills_, kills_);
}

}  // namespace
}  // namespace vidx
