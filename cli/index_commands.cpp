// vidx index | search | status: one-shot indexing into the state directory and answers
// from it, without the daemon.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "indexer/pipeline/file_scan.h"
#include "indexer/pipeline/pipeline.h"
#include "search/catalog.h"
#include "search/index_loader.h"
#include "search/index_service.h"
#include "search/query_engine.h"

namespace vidx {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The verified model, or a Status saying why it cannot be used.
StatusOr<ModelVerification> LoadModel(const Config& config, HashCache* cache) {
  StatusOr<ClipEncoderOptions> options = EncoderOptions(config.model);
  if (!options.ok()) return options.status();
  ModelVerification v = VerifyModel(*options, Sampling(config.sampling), cache, false);
  if (!v.ok) {
    return Status::FailedPrecondition("model " + config.model.path + " is not usable: " + v.error);
  }
  return v;
}

StatusOr<SamplerOptions> ModelSampler(const Config& config, const ClipEncoder& encoder) {
  StatusOr<SamplerOptions> o = SamplerOptionsForModel(
      encoder, config.sampling.fps, config.sampling.max_frames, config.sampling.keyframe_tolerance);
  if (o.ok()) o->decode_threads = 1;  // parallelism comes from the decode workers
  return o;
}

std::string Clock(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  const long s = static_cast<long>(std::floor(seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

// A one-line progress bar on stderr, redrawn at most five times a second.
class ProgressBar {
 public:
  void Update(const PipelineCounters& c) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const int64_t done =
        c.files_embedded + c.files_unchanged + c.files_renamed + c.files_failed;
    const double frac = c.files_total > 0 ? static_cast<double>(done) / c.files_total : 1.0;
    const int width = 30;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, ' ');
    const double fps = c.wall_seconds > 0 ? c.frames / c.wall_seconds : 0;
    const double eta = done > 0 ? c.wall_seconds * (c.files_total - done) / done : 0;
    std::fprintf(stderr, "\r[%s] %lld/%lld files  %.1f frames/s  ETA %s ", bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(c.files_total), fps,
                 Clock(eta).c_str());
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

// Opens the catalog read-only for queries; nullptr (not an error) when there is none yet.
StatusOr<std::unique_ptr<Catalog>> OpenForReading(const Config& config) {
  if (!fs::exists(fs::path(config.state_dir) / "catalog" / "CURRENT")) {
    return std::unique_ptr<Catalog>();
  }
  CatalogOptions o;
  o.read_only = true;
  return Catalog::Open(config.state_dir, o);
}

}  // namespace

int RunIndex(const Config& config, const IndexArgs& args) {
  Status s = EnsureStateDir(config);
  if (!s.ok()) return ReportError(s);
  StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(config.state_dir);
  if (!catalog.ok()) return ReportError(catalog.status());
  StatusOr<ModelVerification> model = LoadModel(config, catalog->get());
  if (!model.ok()) return ReportError(model.status());
  StatusOr<SamplerOptions> sampler = ModelSampler(config, *model->encoder);
  if (!sampler.ok()) return ReportError(sampler.status().WithContext(config.model.path));
  StatusOr<std::vector<std::string>> files = ExpandPaths(args.paths, config.library.extensions);
  if (!files.ok()) return ReportError(files.status());
  std::vector<std::string> roots;
  for (const std::string& p : args.paths) roots.push_back(fs::absolute(p).lexically_normal().string());

  StatusOr<std::unique_ptr<IndexService>> service =
      IndexService::Open(catalog->get(), config.state_dir, config.index.factory,
                         model->fingerprint, static_cast<uint32_t>(model->encoder->dim()));
  if (!service.ok()) return ReportError(service.status());

  PipelineOptions po;
  po.sampler = *sampler;
  po.clip_frames = config.sampling.clip_frames;
  po.batch_size = config.model.batch_size;
  po.decode_workers =
      static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  IndexPipeline pipeline(model->encoder.get(), model->fingerprint, service->get(), service->get(), po);
  PipelineCounters c;
  std::unique_ptr<ProgressBar> bar;
  if (::isatty(STDERR_FILENO) && !args.json) bar = std::make_unique<ProgressBar>();
  s = pipeline.Run(*files, &c, [&](const PipelineCounters& now) {
    if (bar) bar->Update(now);
  });
  bar.reset();
  int64_t deleted = 0;
  if (s.ok()) s = (*service)->RemoveVanished(roots, &deleted);
  bool flipped = false;
  if (s.ok()) s = (*service)->Finish(&flipped);
  const Generation& gen = (*service)->generation();
  if (args.json) {
    json out = {{"files", c.files_total},
                {"embedded", c.files_embedded},
                {"unchanged", c.files_unchanged},
                {"renamed", c.files_renamed},
                {"failed", c.files_failed},
                {"deleted", deleted},
                {"frames", c.frames},
                {"segments", c.segments},
                {"video_seconds", c.video_seconds},
                {"seconds", {{"wall", c.wall_seconds}, {"decode", c.decode_seconds},
                             {"infer", c.infer_seconds}, {"write", c.write_seconds}}},
                {"generation", gen.id},
                {"activated", flipped},
                {"fingerprint", model->fingerprint},
                {"ok", s.ok()}};
    std::cout << out.dump() << "\n";
  } else {
    std::printf("%lld files: %lld embedded, %lld unchanged, %lld renamed, %lld failed, %lld "
                "deleted; %lld frames in %.1f s (decode %.1f s, inference %.1f s, write %.1f s)\n",
                static_cast<long long>(c.files_total), static_cast<long long>(c.files_embedded),
                static_cast<long long>(c.files_unchanged), static_cast<long long>(c.files_renamed),
                static_cast<long long>(c.files_failed), static_cast<long long>(deleted),
                static_cast<long long>(c.frames), c.wall_seconds, c.decode_seconds,
                c.infer_seconds, c.write_seconds);
    if (flipped) std::printf("generation %llu is now active\n", static_cast<unsigned long long>(gen.id));
  }
  if (!s.ok()) return ReportError(s);
  return kExitOk;
}

int RunSearch(const Config& config, const SearchArgs& args) {
  if (args.text.empty() && args.image.empty() && args.like.empty()) {
    std::fprintf(stderr, "vidx: search needs TEXT, --image FILE or --like VIDEO[@SECONDS]\n");
    return kExitUsage;
  }
  StatusOr<std::unique_ptr<Catalog>> catalog = OpenForReading(config);
  if (!catalog.ok()) return ReportError(catalog.status());
  std::optional<Generation> active;
  if (*catalog) active = (*catalog)->ActiveGeneration();
  if (!active) {
    return ReportError(Status::FailedPrecondition(
        "nothing is indexed in " + config.state_dir + " yet; run `vidx index PATH...` first"));
  }
  StatusOr<ModelVerification> model = LoadModel(config, catalog->get());
  if (!model.ok()) return ReportError(model.status());
  StatusOr<SamplerOptions> sampler = ModelSampler(config, *model->encoder);
  if (!sampler.ok()) return ReportError(sampler.status().WithContext(config.model.path));
  std::unique_ptr<VectorIndex> index;
  if (model->fingerprint == active->fingerprint) {  // else the engine refuses below
    StatusOr<OpenedIndex> opened =
        OpenIndexForGeneration(**catalog, active->id, config.index.factory, config.state_dir);
    if (!opened.ok()) return ReportError(opened.status());
    index = std::move(opened->index);
  } else {
    StatusOr<std::unique_ptr<VectorIndex>> empty =
        VectorIndex::Build("Flat", active->dimension, 0, nullptr, nullptr);
    if (!empty.ok()) return ReportError(empty.status());
    index = std::move(*empty);
  }
  QueryEngine engine(model->encoder.get(), model->tokenizer.get(), model->fingerprint,
                     catalog->get(), *active, index.get(), *sampler);
  Query q;
  q.text = args.text;
  q.image = args.image;
  q.like = args.like;
  q.k = args.k;
  StatusOr<SearchResponse> r = engine.Search(q);
  if (!r.ok()) return ReportError(r.status());
  std::string query_text = args.text;
  if (!args.image.empty()) query_text += (query_text.empty() ? "" : " ") + ("--image " + args.image);
  if (!args.like.empty()) query_text += (query_text.empty() ? "" : " ") + ("--like " + args.like);
  if (args.json) {
    json results = json::array();
    for (const FileHit& h : r->results) {
      json moments = json::array();
      for (const Moment& m : h.moments) {
        moments.push_back({{"start", m.start}, {"end", m.end}, {"score", m.score}});
      }
      results.push_back({{"path", h.path}, {"score", h.score}, {"moments", moments}});
    }
    std::cout << json{{"query", query_text}, {"fingerprint", r->fingerprint}, {"results", results}}
                     .dump()
              << "\n";
    return kExitOk;
  }
  if (r->results.empty()) std::printf("no results\n");
  for (size_t i = 0; i < r->results.size(); ++i) {
    const FileHit& h = r->results[i];
    std::printf("%2zu. %.4f  %s\n", i + 1, h.score, h.path.c_str());
    for (size_t m = 0; m < h.moments.size() && m < 3; ++m) {
      std::printf("      %s\u2013%s  %.4f\n", Clock(h.moments[m].start).c_str(),
                  Clock(h.moments[m].end).c_str(), h.moments[m].score);
    }
  }
  return kExitOk;
}

int RunStatus(const Config& config, const StatusArgs& args) {
  StatusOr<std::unique_ptr<Catalog>> catalog = OpenForReading(config);
  if (!catalog.ok()) return ReportError(catalog.status());
  std::optional<Generation> active, building;
  if (*catalog) {
    active = (*catalog)->ActiveGeneration();
    for (const Generation& g : (*catalog)->ListGenerations()) {
      if (g.state == GenerationState::kBuilding) building = g;
    }
  }
  // The generation whose files are reported: the active one, else the one being built.
  const std::optional<Generation>& shown = active ? active : building;
  json failed_files = json::array();
  int64_t pending = 0;
  if (shown) {
    Status s = (*catalog)->ForEachFile(shown->id, [&](const FileRecord& r) {
      if (r.status == FileStatus::kFailed) {
        failed_files.push_back({{"path", r.file.path}, {"error", r.error}});
      }
      return Status::Ok();
    });
    if (!s.ok()) return ReportError(s);
  }
  // Pending: library files the shown generation does not know in their current state.
  std::vector<std::string> roots;
  for (const std::string& root : config.library.roots) {
    if (fs::is_directory(root)) roots.push_back(root);
  }
  if (!roots.empty()) {
    StatusOr<std::vector<std::string>> files = ExpandPaths(roots, config.library.extensions);
    if (!files.ok()) return ReportError(files.status());
    for (const std::string& path : *files) {
      StatusOr<FileIdentity> id = IdentifyFile(path);
      if (!id.ok()) continue;
      StatusOr<FileRecord> rec = shown ? (*catalog)->GetFile(shown->id, path)
                                       : StatusOr<FileRecord>(Status::NotFound(path));
      if (!rec.ok() || rec->file.size != id->size || rec->file.mtime_ns != id->mtime_ns ||
          rec->file.inode != id->inode) {
        ++pending;
      }
    }
  }
  const uint64_t indexed = shown ? shown->files_indexed : 0;
  const uint64_t failed = shown ? shown->files_failed : 0;
  const uint64_t vectors = shown ? shown->vectors : 0;
  if (args.json) {
    json out = {{"files", {{"indexed", indexed}, {"failed", failed}, {"pending", pending}}},
                {"vectors", vectors},
                {"generation", {{"active", active ? json(active->id) : json(nullptr)},
                                {"building", building ? json(building->id) : json(nullptr)}}},
                {"fingerprint", shown ? json(shown->fingerprint) : json(nullptr)},
                {"failed_files", failed_files}};
    std::cout << out.dump() << "\n";
    return kExitOk;
  }
  std::printf("files: %llu indexed, %llu failed, %lld pending\n",
              static_cast<unsigned long long>(indexed), static_cast<unsigned long long>(failed),
              static_cast<long long>(pending));
  std::printf("vectors: %llu\n", static_cast<unsigned long long>(vectors));
  std::printf("generation: active %s, building %s\n",
              active ? std::to_string(active->id).c_str() : "none",
              building ? std::to_string(building->id).c_str() : "none");
  std::printf("fingerprint: %s\n", shown ? shown->fingerprint.c_str() : "none");
  for (const auto& f : failed_files) {
    const std::string path = f["path"], error = f["error"];
    // Errors usually name their file already.
    if (error.compare(0, path.size(), path) == 0) {
      std::printf("failed: %s\n", error.c_str());
    } else {
      std::printf("failed: %s: %s\n", path.c_str(), error.c_str());
    }
  }
  return kExitOk;
}

}  // namespace vidx
