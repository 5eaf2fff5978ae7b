// vidx index: one-shot indexing into the state directory, without the daemon.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/api_json.h"
#include "app/shard.h"
#include "cli/commands.h"
#include "indexer/pipeline/file_scan.h"
#include "indexer/pipeline/pipeline.h"
#include "search/catalog.h"
#include "search/index_service.h"
#include "search/known_overlay.h"

namespace vidx {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A one-line progress bar on stderr, redrawn at most five times a second.
class ProgressBar {
 public:
  void Update(const PipelineCounters& c) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const int64_t done = c.files_embedded + c.files_unchanged + c.files_renamed + c.files_failed;
    const double frac = c.files_total > 0 ? static_cast<double>(done) / c.files_total : 1.0;
    const int width = 30;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, ' ');
    const double fps = c.wall_seconds > 0 ? c.frames / c.wall_seconds : 0;
    const double eta = done > 0 ? c.wall_seconds * (c.files_total - done) / done : 0;
    std::fprintf(stderr, "\r[%s] %lld/%lld files  %.1f frames/s  ETA %s ", bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(c.files_total), fps,
                 ClockTime(eta).c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  ~ProgressBar() {
    if (drawn_) std::fprintf(stderr, "\n");
  }

 private:
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace

int RunIndex(const Config& base_config, const IndexArgs& args) {
  Config config = base_config;
  if (!args.state_dir.empty()) config.state_dir = args.state_dir;
  std::optional<ShardSpec> shard;
  if (!args.shard.empty()) {
    StatusOr<ShardSpec> spec = ParseShardSpec(args.shard);
    if (!spec.ok()) return ReportError(spec.status());
    shard = *spec;
  }
  Status s = EnsureStateDir(config);
  if (!s.ok()) return ReportError(s);
  StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(config.state_dir);
  if (!catalog.ok()) return ReportError(catalog.status());
  // A shard file is the mark of a finished shard: gone while this run may change the catalog.
  if (shard) s = RemoveShardFile(config.state_dir);
  if (!s.ok()) return ReportError(s);
  StatusOr<std::shared_ptr<const LoadedModel>> model = LoadModelForConfig(config, catalog->get());
  if (!model.ok()) return ReportError(model.status());
  StatusOr<std::vector<std::string>> files = ExpandPaths(args.paths, config.library.extensions);
  if (!files.ok()) return ReportError(files.status());
  std::vector<std::string> roots;
  for (const std::string& p : args.paths)
    roots.push_back(fs::absolute(p).lexically_normal().string());
  if (shard) *files = FilesOfShard(*files, roots, *shard);

  StatusOr<std::unique_ptr<IndexService>> service = IndexService::Open(
      catalog->get(), config.state_dir, config.index.factory, (*model)->fingerprint(),
      static_cast<uint32_t>((*model)->embedder().dim()));
  if (!service.ok()) return ReportError(service.status());

  const int decode_workers =
      static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  // --known: the base catalog is read (never written) to skip what it already holds.
  std::unique_ptr<Catalog> base;
  std::unique_ptr<KnownOverlay> overlay;
  KnownFiles* known = service->get();
  if (!args.known.empty()) {
    CatalogOptions ro;
    ro.read_only = true;
    StatusOr<std::unique_ptr<Catalog>> opened = Catalog::Open(args.known, ro);
    if (!opened.ok()) return ReportError(opened.status());
    base = std::move(opened).value();
    StatusOr<Generation> g = base->FindGeneration((*model)->fingerprint());
    if (g.ok()) {
      overlay = std::make_unique<KnownOverlay>(service->get(), base.get(), g->id);
      known = overlay.get();
    } else {
      std::fprintf(stderr, "vidx: %s has no generation of fingerprint %s; every file is embedded\n",
                   args.known.c_str(), (*model)->fingerprint().c_str());
    }
  }
  IndexPipeline pipeline(&(*model)->embedder(), (*model)->fingerprint(), service->get(), known,
                         MakePipelineOptions(config, **model, decode_workers, nullptr));
  PipelineCounters c;
  std::unique_ptr<ProgressBar> bar;
  if (::isatty(STDERR_FILENO) && !args.json) bar = std::make_unique<ProgressBar>();
  s = pipeline.Run(*files, &c, [&](const PipelineCounters& now) {
    if (bar) bar->Update(now);
  });
  bar.reset();
  int64_t deleted = 0;
  // A shard holds only its own files, so the others are not "vanished" from it.
  if (s.ok() && !shard) s = (*service)->RemoveVanished(roots, &deleted);
  // A run activates its generation when nothing else is active or when it covered the whole
  // library (every configured root lies under one of the paths); a run over part of the
  // library while another generation is active leaves the new one building, to be completed
  // by a run over the library (or the daemon).
  bool covers_library = true;
  for (const std::string& root : config.library.roots) {
    const std::string r = fs::absolute(root).lexically_normal().string();
    covers_library =
        covers_library && std::any_of(roots.begin(), roots.end(),
                                      [&](const std::string& p) { return PathIsUnder(r, p); });
  }
  const std::optional<Generation> active = (*catalog)->ActiveGeneration();
  const bool activate =
      !active || active->id == (*service)->generation().id || covers_library || shard;
  bool flipped = false;
  if (s.ok()) s = (*service)->Finish(activate, &flipped);
  if (s.ok() && shard) {
    s = WriteShardFile(config.state_dir,
                       ShardInfo{*shard, (*model)->fingerprint(),
                                 static_cast<uint32_t>((*model)->embedder().dim()), roots});
  }
  const Generation& gen = (*service)->generation();
  if (args.json) {
    json out = {{"files", c.files_total},
                {"embedded", c.files_embedded},
                {"unchanged", c.files_unchanged},
                {"renamed", c.files_renamed},
                {"failed", c.files_failed},
                {"deleted", deleted},
                {"frames", c.frames},
                {"frames_skipped", c.frames_skipped},
                {"segments", c.segments},
                {"video_seconds", c.video_seconds},
                {"seconds",
                 {{"wall", c.wall_seconds},
                  {"decode", c.decode_seconds},
                  {"infer", c.infer_seconds},
                  {"write", c.write_seconds}}},
                {"generation", gen.id},
                {"activated", flipped},
                {"fingerprint", (*model)->fingerprint()},
                {"ok", s.ok()}};
    std::cout << out.dump() << "\n";
  } else {
    std::printf(
        "%lld files: %lld embedded, %lld unchanged, %lld renamed, %lld failed, %lld "
        "deleted; %lld frames in %.1f s (decode %.1f s, inference %.1f s, write %.1f s)\n",
        static_cast<long long>(c.files_total), static_cast<long long>(c.files_embedded),
        static_cast<long long>(c.files_unchanged), static_cast<long long>(c.files_renamed),
        static_cast<long long>(c.files_failed), static_cast<long long>(deleted),
        static_cast<long long>(c.frames), c.wall_seconds, c.decode_seconds, c.infer_seconds,
        c.write_seconds);
    if (c.frames_skipped > 0) {
      std::printf("%lld frames not embedded: nothing new (sampling.skip_similar)\n",
                  static_cast<long long>(c.frames_skipped));
    }
    if (flipped)
      std::printf("generation %llu is now active\n", static_cast<unsigned long long>(gen.id));
    if (!activate && gen.state == GenerationState::kBuilding) {
      std::printf("generation %llu is still building: index every library root to activate it\n",
                  static_cast<unsigned long long>(gen.id));
    }
  }
  if (!s.ok()) return ReportError(s);
  return kExitOk;
}

}  // namespace vidx
