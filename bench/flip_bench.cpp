// Search latency while the daemon flips generations and rebuilds its index (see flip.cmake).
//
// A catalog gets two generations of N random unit vectors each (the bundled demo model's
// dimension, 64): A active, B building with another fingerprint (the same weights sampled at
// another rate). One thread runs text searches through a SearchService back to back, the
// whole time; the main thread lets it run idle, then flips A -> B (snapshot of B, SetActive,
// swap, deletion + compaction of A), lets it run idle again, then rebuilds the active index
// from the catalog (`vidx reindex`). It prints p50/p99/max of the searches during each step
// against the idle ones, and the ratios.
//
//   --path new  the daemon's GenerationManager: slow steps outside the search lock (default)
//   --path old  the same steps inside SearchService::Replace, as the daemon did before
//   --path both both, each on its own copy of the same catalog
//
//   vidx_flip_bench [--vectors 300000] [--per-file 500] [--idle 3] [--path new|old|both]
//                   [--model DIR]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "app/model_session.h"
#include "daemon/generation_manager.h"
#include "daemon/search_service.h"
#include "search/catalog.h"
#include "search/index_loader.h"
#include "search/index_service.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using vidx::Status;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void Check(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, s.message().c_str());
  std::exit(1);
}

struct Args {
  size_t vectors = 300000;
  size_t per_file = 500;
  double idle = 3;
  std::string path = "new";
  std::string model = VIDX_DEMO_MODEL_DIR;
};

std::shared_ptr<const vidx::LoadedModel> Load(const std::string& dir, double fps) {
  vidx::Config c;
  c.model.path = dir;
  c.model.threads = 1;
  c.sampling.fps = fps;
  vidx::StatusOr<std::shared_ptr<const vidx::LoadedModel>> m = vidx::LoadModelForConfig(c, nullptr);
  Check(m.status(), "loading the model");
  return *m;
}

// N random unit vectors into the generation of `fingerprint`, `per_file` segments a file.
void Fill(vidx::Catalog* catalog, const std::string& fingerprint, size_t dim, const Args& a,
          uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  for (size_t done = 0, file = 0; done < a.vectors; ++file) {
    vidx::FileResult r;
    r.file.path = "/bench/lib/f" + std::to_string(file) + ".mp4";
    r.file.size = 1000 + file;
    r.file.mtime_ns = 1;
    r.file.inode = file + 1;
    r.file.device = 1;
    r.content_hash = "h" + std::to_string(file);
    r.codec = "h264";
    const size_t n = std::min(a.per_file, a.vectors - done);
    for (size_t i = 0; i < n; ++i) {
      vidx::Segment s;
      s.start = 2.0 * static_cast<double>(i);
      s.end = s.start + 2;
      s.vector.resize(dim);
      float norm = 0;
      for (float& x : s.vector) {
        x = normal(rng);
        norm += x * x;
      }
      for (float& x : s.vector) x /= std::sqrt(norm);
      r.segments.push_back(std::move(s));
    }
    r.duration = 2.0 * static_cast<double>(n);
    Check(catalog->CommitFile(fingerprint, r).status(), "writing the catalog");
    done += n;
  }
}

// Searches back to back; each latency is filed under the step it overlapped (a flip or a
// reindex), else under the idle step it ran in.
class Searcher {
 public:
  explicit Searcher(const vidx::SearchService* search) : search_(search) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Searcher() { Stop(); }
  // Waits for the search in flight, so that every latency is recorded.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void SetStep(int step) { step_ = step; }
  // REQUIRES: Stop() was called.
  std::vector<double> Latencies(int step) {
    std::lock_guard<std::mutex> lock(mu_);
    return ms_[static_cast<size_t>(step)];
  }
  int64_t errors() const { return errors_; }

 private:
  void Run() {
    static const char* const kTexts[] = {"a red square", "blue sky", "a green field", "night"};
    for (size_t i = 0; !stop_; ++i) {
      vidx::Query q;
      q.text = kTexts[i % 4];
      const int before = step_;
      const Clock::time_point t0 = Clock::now();
      vidx::StatusOr<vidx::SearchResponse> r = search_->Search(q);
      const double ms = 1000 * Seconds(t0, Clock::now());
      const int after = step_;
      if (!r.ok()) ++errors_;
      int bucket = before;
      for (int step : {1, 3}) {  // kFlip, kReindex
        if (before <= step && step <= after) bucket = step;
      }
      std::lock_guard<std::mutex> lock(mu_);
      ms_[static_cast<size_t>(bucket)].push_back(ms);
    }
  }

  const vidx::SearchService* search_;
  std::atomic<bool> stop_{false};
  std::atomic<int> step_{0};
  std::atomic<int64_t> errors_{0};
  std::mutex mu_;
  std::vector<double> ms_[5];
  std::thread thread_;
};

// Steps: 0 idle before, 1 flip, 2 idle between, 3 reindex, 4 after.
enum Step { kIdle = 0, kFlip = 1, kIdleAgain = 2, kReindex = 3, kAfter = 4 };

// What each path does for a flip and a reindex.
class Flipper {
 public:
  virtual ~Flipper() = default;
  virtual void Flip() = 0;
  virtual void Reindex() = 0;
};

// Fills generation B (building) of the catalog.
using FillB = std::function<void()>;

class NewPath : public Flipper {
 public:
  NewPath(vidx::Catalog* catalog, vidx::SearchService* search, const std::string& state,
          std::shared_ptr<const vidx::LoadedModel> a, std::shared_ptr<const vidx::LoadedModel> b,
          const FillB& fill_b)
      : manager_(catalog, search, state) {
    std::string note;
    // Open() deletes building generations of other fingerprints: B is written after it.
    Check(manager_.Open(std::move(a), "Flat", &note), "opening generation A");
    fill_b();
    Check(manager_.StartBuilding(std::move(b), "Flat"), "opening generation B");
  }
  void Flip() override {
    // The step hook marks where the deletion of the old generation starts.
    const Clock::time_point t0 = Clock::now();
    Clock::time_point deletion = t0;
    manager_.set_step_hook([&](vidx::GenerationStep step) {
      if (step == vidx::GenerationStep::kDeleteRetired) deletion = Clock::now();
    });
    Check(manager_.Activate(), "flip");
    const Clock::time_point t1 = Clock::now();
    manager_.set_step_hook(nullptr);
    std::printf("  flip: snapshot + SetActive + swap %.2f s, deletion + compaction %.2f s\n",
                Seconds(t0, deletion), Seconds(deletion, t1));
  }
  void Reindex() override { Check(manager_.RebuildActive("Flat", true), "reindex"); }

 private:
  vidx::GenerationManager manager_;
};

// The daemon before: every slow step inside SearchService::Replace.
class OldPath : public Flipper {
 public:
  OldPath(vidx::Catalog* catalog, vidx::SearchService* search, const std::string& state,
          std::shared_ptr<const vidx::LoadedModel> a, std::shared_ptr<const vidx::LoadedModel> b,
          const FillB& fill_b)
      : catalog_(catalog),
        search_(search),
        state_(state),
        model_a_(std::move(a)),
        model_b_(std::move(b)) {
    active_ = Open(*model_a_);
    fill_b();
    building_ = Open(*model_b_);
    search_->Replace([&](std::string*) { return Serve(model_a_); });
  }
  void Flip() override {
    Status s;
    search_->Replace([&](std::string*) {
      s = building_->Finish(true, nullptr);
      active_ = std::move(building_);
      model_a_ = model_b_;
      return Serve(model_a_);
    });
    Check(s, "flip");
  }
  void Reindex() override {
    Check(vidx::RemoveSnapshot(state_, active_->generation().id), "removing the snapshot");
    search_->Replace([&](std::string*) {
      active_.reset();
      active_ = Open(*model_a_);
      return Serve(model_a_);
    });
  }

 private:
  std::unique_ptr<vidx::IndexService> Open(const vidx::LoadedModel& m) {
    vidx::StatusOr<std::unique_ptr<vidx::IndexService>> s = vidx::IndexService::Open(
        catalog_, state_, "Flat", m.fingerprint(), static_cast<uint32_t>(m.embedder().dim()));
    Check(s.status(), "opening a generation");
    return std::move(*s);
  }
  std::optional<vidx::Serving> Serve(const std::shared_ptr<const vidx::LoadedModel>& m) {
    return vidx::Serving{m, catalog_, active_->generation(), &active_->index()};
  }

  vidx::Catalog* catalog_;
  vidx::SearchService* search_;
  std::string state_;
  std::shared_ptr<const vidx::LoadedModel> model_a_, model_b_;
  std::unique_ptr<vidx::IndexService> active_, building_;
};

struct Stats {
  size_t n = 0;
  double p50 = 0, p99 = 0, max = 0;
};

Stats Summarise(std::vector<double> v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double p) {
    return v[static_cast<size_t>(std::floor(p * static_cast<double>(v.size() - 1) + 0.5))];
  };
  s.p50 = at(0.5);
  s.p99 = at(0.99);
  s.max = v.back();
  return s;
}

void Print(const char* name, const Stats& s, const Stats& idle, double step_seconds) {
  std::printf("  %-14s %7zu searches  p50 %7.2f ms  p99 %7.2f ms  max %8.2f ms", name, s.n, s.p50,
              s.p99, s.max);
  if (step_seconds > 0) {
    std::printf("  (step %.2f s; p99 %.2fx idle, max %s 100 ms)", step_seconds,
                idle.p99 > 0 ? s.p99 / idle.p99 : 0.0, s.max <= 100 ? "<=" : ">");
  }
  std::printf("\n");
}

void RunPath(const std::string& name, const std::string& seed_dir, const Args& a,
             const std::shared_ptr<const vidx::LoadedModel>& model_a,
             const std::shared_ptr<const vidx::LoadedModel>& model_b) {
  const fs::path state = fs::path(seed_dir).parent_path() / ("state-" + name);
  fs::remove_all(state);
  fs::copy(seed_dir, state, fs::copy_options::recursive);
  vidx::StatusOr<std::unique_ptr<vidx::Catalog>> catalog = vidx::Catalog::Open(state.string());
  Check(catalog.status(), "opening the catalog");
  vidx::SearchService search;
  std::unique_ptr<Flipper> f;
  const Clock::time_point t_open = Clock::now();
  const FillB fill_b = [&] {
    const uint32_t dim = static_cast<uint32_t>(model_b->embedder().dim());
    Check((*catalog)->CreateGeneration(model_b->fingerprint(), dim).status(),
          "creating generation B");
    Fill(catalog->get(), model_b->fingerprint(), dim, a, 2);
  };
  if (name == "new") {
    f = std::make_unique<NewPath>(catalog->get(), &search, state.string(), model_a, model_b,
                                  fill_b);
  } else {
    f = std::make_unique<OldPath>(catalog->get(), &search, state.string(), model_a, model_b,
                                  fill_b);
  }
  std::printf("%s path (B written and both generations opened in %.1f s)\n", name.c_str(),
              Seconds(t_open, Clock::now()));
  double flip_s = 0, reindex_s = 0;
  {
    Searcher searcher(&search);
    auto idle = [&](Step step) {
      searcher.SetStep(step);
      std::this_thread::sleep_for(std::chrono::duration<double>(a.idle));
    };
    idle(kIdle);
    searcher.SetStep(kFlip);
    Clock::time_point t0 = Clock::now();
    f->Flip();
    flip_s = Seconds(t0, Clock::now());
    idle(kIdleAgain);
    searcher.SetStep(kReindex);
    t0 = Clock::now();
    f->Reindex();
    reindex_s = Seconds(t0, Clock::now());
    searcher.SetStep(kAfter);
    searcher.Stop();
    std::vector<double> idle_ms = searcher.Latencies(kIdle);
    const std::vector<double> again = searcher.Latencies(kIdleAgain);
    idle_ms.insert(idle_ms.end(), again.begin(), again.end());
    const Stats idle_stats = Summarise(idle_ms);
    Print("idle", idle_stats, idle_stats, 0);
    Print("during flip", Summarise(searcher.Latencies(kFlip)), idle_stats, flip_s);
    Print("during reindex", Summarise(searcher.Latencies(kReindex)), idle_stats, reindex_s);
    if (searcher.errors() > 0)
      std::printf("  %lld searches failed\n", static_cast<long long>(searcher.errors()));
  }
  f.reset();
  catalog->reset();
  fs::remove_all(state);
}

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    const bool has_value = i + 1 < argc;
    if (s == "--vectors" && has_value) {
      a->vectors = std::strtoul(argv[++i], nullptr, 10);
    } else if (s == "--per-file" && has_value) {
      a->per_file = std::strtoul(argv[++i], nullptr, 10);
    } else if (s == "--idle" && has_value) {
      a->idle = std::atof(argv[++i]);
    } else if (s == "--path" && has_value) {
      a->path = argv[++i];
    } else if (s == "--model" && has_value) {
      a->model = argv[++i];
    } else {
      return false;
    }
  }
  return a->vectors > 0 && a->per_file > 0 && a->idle > 0 &&
         (a->path == "new" || a->path == "old" || a->path == "both");
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!Parse(argc, argv, &a)) {
    std::fprintf(stderr,
                 "usage: %s [--vectors N] [--per-file N] [--idle SECONDS] [--path new|old|both] "
                 "[--model DIR]\n",
                 argv[0]);
    return 2;
  }
  const std::shared_ptr<const vidx::LoadedModel> model_a = Load(a.model, 0.5);
  const std::shared_ptr<const vidx::LoadedModel> model_b = Load(a.model, 1.0);
  const size_t dim = static_cast<size_t>(model_a->embedder().dim());

  const fs::path root =
      fs::temp_directory_path() / ("vidx_flip_bench_" + std::to_string(::getpid()));
  const fs::path seed = root / "seed";
  fs::create_directories(seed);
  const Clock::time_point t0 = Clock::now();
  {
    vidx::StatusOr<std::unique_ptr<vidx::Catalog>> catalog = vidx::Catalog::Open(seed.string());
    Check(catalog.status(), "creating the catalog");
    vidx::StatusOr<vidx::Generation> ga =
        (*catalog)->CreateGeneration(model_a->fingerprint(), static_cast<uint32_t>(dim));
    Check(ga.status(), "creating generation A");
    Fill(catalog->get(), model_a->fingerprint(), dim, a, 1);
    Check((*catalog)->SetActive(ga->id), "activating generation A");
  }
  std::printf(
      "vidx_flip_bench: 2 generations x %zu vectors of dim %zu (%zu per file), Flat, "
      "generation A written in %.1f s, %u hardware threads\n",
      a.vectors, dim, a.per_file, Seconds(t0, Clock::now()), std::thread::hardware_concurrency());
  if (a.path == "new" || a.path == "both") RunPath("new", seed.string(), a, model_a, model_b);
  if (a.path == "old" || a.path == "both") RunPath("old", seed.string(), a, model_a, model_b);
  fs::remove_all(root);
  return 0;
}
