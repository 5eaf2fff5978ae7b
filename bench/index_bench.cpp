// Indexing throughput: IndexPipeline into a real Catalog + IndexService (RocksDB + FAISS, in a
// fresh temporary state directory per point) against the same files through the FrameSampler
// alone (decode only: same sampler options, same number of decode workers), in the same run,
// for a sweep of inference batch sizes and sampling.skip_similar values. See index.cmake.
//
//   vidx_index_bench [--model DIR] [--cache DIR] [--videos N] [--seconds S] [--batches 1,4,16,64]
//                    [--workers W] [--fps F] [--threads T] [--repeat R] [--csv FILE]
//                    [--vocab BPE_GZ] [--library moving|mixed] [--skip 0,2]
//                    [--precision fp32|int8]
//
// The clips (320x240 H.264, 25 fps, a keyframe every 2 s) are made with the ffmpeg CLI on
// first use and cached in DIR: "moving" is testsrc2 with a different hue per file; "mixed"
// makes the second half of the library still shots instead (SMPTE bars with a hue per file
// and temporal noise, as a camera on a static scene gives). Throughput is video-seconds
// indexed per wall-second (= video-hours per wall-hour); the shares of time are
// PipelineCounters' decode (summed over workers, queue waits excluded), inference and write
// seconds over the wall time, and "bound" names the largest of decode per worker, inference
// and write. --skip lists sampling.skip_similar thresholds (0 = off), each a point measured
// in the same run; --precision is passed to the model as model.precision.
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "indexer/model/model_verifier.h"
#include "indexer/pipeline/pipeline.h"
#include "indexer/video/sampler.h"
#include "search/catalog.h"
#include "search/index_service.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

#ifndef VIDX_BENCH_CACHE_DIR
#define VIDX_BENCH_CACHE_DIR "bench-cache"
#endif
#ifndef VIDX_BENCH_VOCAB
#define VIDX_BENCH_VOCAB "../shared/data/clip/bpe_simple_vocab_16e6.txt.gz"
#endif
#ifndef VIDX_TINY_MODELS_DIR
#define VIDX_TINY_MODELS_DIR "tiny_models"
#endif

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Runs argv with stdin/stdout inherited; returns the exit code (-1 when it could not run).
int RunProgram(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Args {
  std::string model = std::string(VIDX_TINY_MODELS_DIR) + "/tiny_c";
  std::string cache = VIDX_BENCH_CACHE_DIR;
  int videos = 30;
  int seconds = 30;
  std::vector<int> batches = {1, 4, 16, 64};
  int workers = 2;
  double fps = 0.5;
  int threads = 0;  // LibTorch intra-op threads; 0 = its default, as `vidx index` does today
  int repeat = 1;
  std::string csv;
  std::string vocab = VIDX_BENCH_VOCAB;
  bool mixed = false;              // --library mixed: second half still shots
  std::vector<double> skip = {0};  // sampling.skip_similar values, 0 = off
  std::string precision = "fp32";
};

// The tiny fixture models carry no tokenizer (VerifyModel wants one): when `model` has none,
// returns a temporary directory of symlinks to its files plus `vocab` (the OpenAI BPE file),
// else `model` itself. `made` gets the directory to delete (empty when none was made).
std::string WithTokenizer(const std::string& model, const std::string& vocab, std::string* made) {
  std::error_code ec;
  const fs::path dir(model);
  if (fs::exists(dir / "vocab.json", ec) || fs::exists(dir / "bpe_simple_vocab_16e6.txt.gz", ec)) {
    return model;
  }
  char tmpl[] = "/tmp/vidx-index-bench-model-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return model;
  *made = tmpl;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    fs::create_symlink(fs::absolute(entry.path()), fs::path(tmpl) / entry.path().filename(), ec);
  }
  fs::create_symlink(fs::absolute(vocab), fs::path(tmpl) / "bpe_simple_vocab_16e6.txt.gz", ec);
  return tmpl;
}

// The clips, generated once into cache/index-clips-<seconds>s/.
bool MakeClips(const Args& a, std::vector<std::string>* files) {
  const fs::path dir = fs::path(a.cache) / ("index-clips-" + std::to_string(a.seconds) + "s");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
    return false;
  }
  const Clock::time_point t0 = Clock::now();
  int made = 0;
  const int moving = a.mixed ? (a.videos + 1) / 2 : a.videos;
  for (int i = 0; i < a.videos; ++i) {
    const bool still = i >= moving;
    char name[64];
    std::snprintf(name, sizeof name, still ? "still%03d.mp4" : "clip%03d.mp4", i);
    const fs::path path = dir / name;
    files->push_back(path.string());
    if (fs::exists(path, ec) && fs::file_size(path, ec) > 0) continue;
    const std::string tmp = path.string() + ".tmp.mp4";
    const std::string hue = "hue=h=" + std::to_string((i * 37) % 360);
    const int rc =
        RunProgram({"ffmpeg",
                    "-nostdin",
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                    still ? "smptebars=size=320x240:rate=25" : "testsrc2=size=320x240:rate=25",
                    "-t",
                    std::to_string(a.seconds),
                    "-vf",
                    still ? hue + ",noise=alls=6:allf=t" : hue,
                    "-c:v",
                    "libx264",
                    "-preset",
                    "veryfast",
                    "-g",
                    "50",
                    "-keyint_min",
                    "50",
                    "-sc_threshold",
                    "0",
                    "-pix_fmt",
                    "yuv420p",
                    "-an",
                    tmp});
    if (rc != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
      std::fprintf(stderr, "could not generate %s (ffmpeg exit %d)\n", path.c_str(), rc);
      return false;
    }
    ++made;
  }
  if (made > 0) std::printf("generated %d clips in %s in %.1f s\n", made, dir.c_str(), Since(t0));
  return true;
}

struct DecodeOnly {
  double wall = 0;
  double video_seconds = 0;
  int64_t frames = 0;
};

// The same files through the sampler alone: `workers` threads, each taking the next file.
vidx::Status RunDecodeOnly(const vidx::SamplerOptions& options, int workers,
                           const std::vector<std::string>& files, DecodeOnly* out) {
  vidx::FrameSampler sampler(options);
  std::atomic<size_t> next{0};
  std::atomic<int64_t> frames{0};
  std::vector<double> durations(files.size(), 0);
  std::vector<vidx::Status> errors(files.size());
  const Clock::time_point t0 = Clock::now();
  auto worker = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      vidx::VideoInfo info;
      errors[i] = sampler.Sample(files[i], &info, [&](vidx::Frame&&) {
        ++frames;
        return vidx::Status::Ok();
      });
      durations[i] = info.duration;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  out->wall = Since(t0);
  out->frames = frames.load();
  for (size_t i = 0; i < files.size(); ++i) {
    if (!errors[i].ok()) return errors[i];
    out->video_seconds += durations[i];
  }
  return vidx::Status::Ok();
}

struct PipelineRun {
  vidx::PipelineCounters c;
  double finish_seconds = 0;  // IndexService::Finish: snapshot + generation flip
  uint64_t vectors = 0;
};

// One full indexing run into a fresh state directory.
vidx::Status RunPipeline(const vidx::ModelVerification& model, const vidx::PipelineOptions& po,
                         const std::vector<std::string>& files, PipelineRun* out) {
  char tmpl[] = "/tmp/vidx-index-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return vidx::Status::IoError("mkdtemp failed");
  const std::string state_dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{state_dir};
  vidx::StatusOr<std::unique_ptr<vidx::Catalog>> catalog = vidx::Catalog::Open(state_dir);
  if (!catalog.ok()) return catalog.status();
  vidx::StatusOr<std::unique_ptr<vidx::IndexService>> service =
      vidx::IndexService::Open(catalog->get(), state_dir, "Flat", model.fingerprint,
                               static_cast<uint32_t>(model.embedder->dim()));
  if (!service.ok()) return service.status();
  vidx::IndexPipeline pipeline(model.embedder.get(), model.fingerprint, service->get(),
                               service->get(), po);
  VIDX_RETURN_IF_ERROR(pipeline.Run(files, &out->c));
  const Clock::time_point t0 = Clock::now();
  VIDX_RETURN_IF_ERROR((*service)->Finish());
  out->finish_seconds = Since(t0);
  out->vectors = (*service)->index().size();
  if (out->c.files_failed != 0) {
    return vidx::Status::Internal(std::to_string(out->c.files_failed) + " files failed to index");
  }
  return vidx::Status::Ok();
}

bool ParseDoubles(const char* s, std::vector<double>* out) {
  out->clear();
  for (const char* p = s; *p != '\0';) {
    char* end = nullptr;
    const double v = std::strtod(p, &end);
    if (end == p || !(v >= 0 && v <= 255)) return false;
    out->push_back(v);
    if (*end != ',' && *end != '\0') return false;
    p = *end == ',' ? end + 1 : end;
  }
  return !out->empty();
}

// The stage that took the most of the wall time: decode per worker, inference or write.
const char* Bound(const vidx::PipelineCounters& c, int workers) {
  const double decode = c.decode_seconds / workers;
  if (decode >= c.infer_seconds && decode >= c.write_seconds) return "decode";
  return c.infer_seconds >= c.write_seconds ? "inference" : "write";
}

bool ParseInts(const char* s, std::vector<int>* out) {
  out->clear();
  for (const char* p = s; *p != '\0';) {
    char* end = nullptr;
    const long v = std::strtol(p, &end, 10);
    if (end == p || v <= 0) return false;
    out->push_back(static_cast<int>(v));
    if (*end != ',' && *end != '\0') return false;
    p = *end == ',' ? end + 1 : end;
  }
  return !out->empty();
}

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (s == "--model") {
      a->model = v;
    } else if (s == "--cache") {
      a->cache = v;
    } else if (s == "--videos") {
      a->videos = std::atoi(v);
    } else if (s == "--seconds") {
      a->seconds = std::atoi(v);
    } else if (s == "--batches") {
      if (!ParseInts(v, &a->batches)) return false;
    } else if (s == "--workers") {
      a->workers = std::atoi(v);
    } else if (s == "--fps") {
      a->fps = std::atof(v);
    } else if (s == "--threads") {
      a->threads = std::atoi(v);
    } else if (s == "--repeat") {
      a->repeat = std::atoi(v);
    } else if (s == "--csv") {
      a->csv = v;
    } else if (s == "--vocab") {
      a->vocab = v;
    } else if (s == "--library") {
      if (std::string(v) != "moving" && std::string(v) != "mixed") return false;
      a->mixed = std::string(v) == "mixed";
    } else if (s == "--skip") {
      if (!ParseDoubles(v, &a->skip)) return false;
    } else if (s == "--precision") {
      a->precision = v;
    } else {
      return false;
    }
  }
  return a->videos > 0 && a->seconds > 0 && a->workers > 0 && a->fps > 0 && a->threads >= 0 &&
         a->repeat > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: vidx_index_bench [--model DIR] [--cache DIR] [--videos N] [--seconds S] "
                 "[--batches 1,4,16,64] [--workers W] [--fps F] [--threads T] [--repeat R] "
                 "[--csv FILE] [--vocab BPE_GZ] [--library moving|mixed] [--skip 0,2] "
                 "[--precision fp32|int8]\n");
    return 2;
  }
  std::vector<std::string> files;
  if (!MakeClips(args, &files)) return 1;

  std::string temp_model;
  vidx::EmbedderOptions eo;
  eo.model_dir = WithTokenizer(args.model, args.vocab, &temp_model);
  struct RemoveTemp {
    const std::string& dir;
    ~RemoveTemp() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } remove_temp{temp_model};
  eo.threads = args.threads;
  eo.precision = args.precision;
  vidx::SamplingSettings spec;
  spec.fps = args.fps;
  vidx::ModelVerification model = vidx::VerifyModel(eo, spec, nullptr, false);
  if (!model.ok) {
    std::fprintf(stderr, "model %s is not usable: %s\n", args.model.c_str(), model.error.c_str());
    return 1;
  }
  vidx::StatusOr<vidx::SamplerOptions> sampler =
      vidx::SamplerOptionsForModel(*model.embedder, spec);
  if (!sampler.ok()) {
    std::fprintf(stderr, "%s\n", sampler.status().ToString().c_str());
    return 1;
  }
  sampler->decode_threads = 1;  // as `vidx index`: parallelism comes from the decode workers

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> csv(nullptr, &std::fclose);
  if (!args.csv.empty()) {
    csv.reset(std::fopen(args.csv.c_str(), "w"));
    if (!csv) {
      std::fprintf(stderr, "cannot write %s\n", args.csv.c_str());
      return 1;
    }
    std::fprintf(csv.get(),
                 "batch_size,skip_similar,run,videos,video_seconds,frames,frames_skipped,vectors,"
                 "wall_s,video_s_per_s,decode_s,infer_s,write_s,finish_s,decode_share,"
                 "infer_share,write_share,bound,decode_only_wall_s,decode_only_video_s_per_s,"
                 "ratio\n");
  }
  std::printf(
      "model %s (%dx%d input, dim %d, %s, torch threads %d (0 = default)), %zu clips of %d s "
      "320x240 H.264 (%s), fps %g, %d decode workers\n",
      args.model.c_str(), model.embedder->image_input().width, model.embedder->image_input().height,
      model.embedder->dim(), model.embedder->precision().c_str(), args.threads, files.size(),
      args.seconds, args.mixed ? "first half moving, second half still" : "all moving", args.fps,
      args.workers);
  std::printf("throughput = video-seconds per wall-second; ratio = pipeline / decode-only\n");
  std::printf("%6s %5s %4s %7s %7s %8s %8s %9s %7s %7s %7s %-9s %9s %9s %7s\n", "batch", "skip",
              "run", "frames", "skipped", "wall_s", "vid_s/s", "finish_s", "decode", "infer",
              "write", "bound", "dec_wall", "dec_vs/s", "ratio");
  for (int run = 0; run < args.repeat; ++run) {
    for (size_t point = 0; point < args.batches.size() * args.skip.size(); ++point) {
      const size_t b = point / args.skip.size();
      const double skip = args.skip[point % args.skip.size()];
      vidx::PipelineOptions po;
      po.sampler = *sampler;
      po.sampler.sampling.skip_similar = skip;
      po.batch_size = args.batches[b];
      po.decode_workers = args.workers;
      PipelineRun p;
      DecodeOnly d;
      // Alternate which goes first, so drift in machine load does not favour one side.
      for (int turn = 0; turn < 2; ++turn) {
        vidx::Status s;
        if ((turn == 0) == (point % 2 == 0)) {
          s = RunPipeline(model, po, files, &p);
        } else {
          s = RunDecodeOnly(*sampler, args.workers, files, &d);
        }
        if (!s.ok()) {
          std::fprintf(stderr, "batch %d: %s\n", po.batch_size, s.ToString().c_str());
          return 1;
        }
      }
      const vidx::PipelineCounters& c = p.c;
      const double tput = c.video_seconds / c.wall_seconds;
      const double dtput = d.video_seconds / d.wall;
      std::printf(
          "%6d %5g %4d %7lld %7lld %8.2f %8.1f %9.3f %6.1f%% %6.1f%% %6.1f%% %-9s %9.2f %9.1f "
          "%7.3f\n",
          po.batch_size, skip, run, static_cast<long long>(c.frames),
          static_cast<long long>(c.frames_skipped), c.wall_seconds, tput, p.finish_seconds,
          100 * c.decode_seconds / c.wall_seconds, 100 * c.infer_seconds / c.wall_seconds,
          100 * c.write_seconds / c.wall_seconds, Bound(c, args.workers), d.wall, dtput,
          tput / dtput);
      std::fflush(stdout);
      if (csv) {
        std::fprintf(
            csv.get(),
            "%d,%g,%d,%lld,%.3f,%lld,%lld,%llu,%.4f,%.3f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,"
            "%.4f,%s,%.4f,%.3f,%.4f\n",
            po.batch_size, skip, run, static_cast<long long>(c.files_embedded), c.video_seconds,
            static_cast<long long>(c.frames), static_cast<long long>(c.frames_skipped),
            static_cast<unsigned long long>(p.vectors), c.wall_seconds, tput, c.decode_seconds,
            c.infer_seconds, c.write_seconds, p.finish_seconds, c.decode_seconds / c.wall_seconds,
            c.infer_seconds / c.wall_seconds, c.write_seconds / c.wall_seconds,
            Bound(c, args.workers), d.wall, dtput, tput / dtput);
        std::fflush(csv.get());
      }
    }
  }
  std::printf("decode share is summed over %d workers, so it can exceed 100%%\n", args.workers);
  return 0;
}
