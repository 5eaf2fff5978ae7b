// Thumbnail benchmark: what `GET /v1/thumb` costs when the picture is decoded on demand (cold,
// cache emptied) and when it comes from the disk cache, measured in the same run; and what the
// alternative, keeping a small JPEG of every sampled frame at indexing time, would cost
// (encode time per frame and bytes per frame), so docs/web.md can say which is cheaper.
//
//   vidx_thumb_bench [--quick] [--cache DIR] [--gop SECONDS] [--count N] [--width W]
//
// The video (720p H.264, testsrc2, x264 veryfast, 25 fps, a keyframe every GOP seconds, 300 s,
// 60 s with --quick) is generated with the ffmpeg CLI on first use and cached in DIR (default:
// <build>/bench-cache).
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "indexer/video/frame_at.h"
#include "indexer/video/image_io.h"
#include "indexer/video/sampler.h"
#include "thumbs/thumbnailer.h"

extern char** environ;

namespace {

#ifndef VIDX_BENCH_CACHE_DIR
#define VIDX_BENCH_CACHE_DIR "bench-cache"
#endif

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string MakeVideo(const std::string& dir, int seconds, int gop_seconds) {
  const std::string name =
      dir + "/thumb-720p-" + std::to_string(seconds) + "s-g" + std::to_string(gop_seconds) + ".mp4";
  struct stat st;
  if (::stat(name.c_str(), &st) == 0 && st.st_size > 0) return name;
  std::printf("generating %s (720p, %d s, keyframe every %d s) ...\n", name.c_str(), seconds,
              gop_seconds);
  std::fflush(stdout);
  const std::string gop = std::to_string(25 * gop_seconds);
  const std::string tmp = name + ".tmp.mp4";
  const int rc = Spawn({"ffmpeg",
                        "-nostdin",
                        "-hide_banner",
                        "-loglevel",
                        "error",
                        "-y",
                        "-f",
                        "lavfi",
                        "-i",
                        "testsrc2=size=1280x720:rate=25",
                        "-t",
                        std::to_string(seconds),
                        "-c:v",
                        "libx264",
                        "-preset",
                        "veryfast",
                        "-crf",
                        "23",
                        "-g",
                        gop,
                        "-keyint_min",
                        gop,
                        "-sc_threshold",
                        "0",
                        "-pix_fmt",
                        "yuv420p",
                        "-an",
                        tmp});
  if (rc != 0 || std::rename(tmp.c_str(), name.c_str()) != 0) {
    std::fprintf(stderr, "could not generate %s (ffmpeg exit %d)\n", name.c_str(), rc);
    return "";
  }
  return name;
}

struct Summary {
  double p50 = 0, max = 0, mean = 0;
};

Summary Summarise(std::vector<double> ms) {
  Summary s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.p50 = ms[ms.size() / 2];
  s.max = ms.back();
  for (double v : ms) s.mean += v;
  s.mean /= static_cast<double>(ms.size());
  return s;
}

struct Args {
  bool quick = false;
  std::string cache = VIDX_BENCH_CACHE_DIR;
  int gop = 10;
  int count = 36;
  int width = 320;
};

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    const bool has_value = i + 1 < argc;
    if (s == "--quick") {
      a->quick = true;
    } else if (s == "--cache" && has_value) {
      a->cache = argv[++i];
    } else if (s == "--gop" && has_value) {
      a->gop = std::atoi(argv[++i]);
    } else if (s == "--count" && has_value) {
      a->count = std::atoi(argv[++i]);
    } else if (s == "--width" && has_value) {
      a->width = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: vidx_thumb_bench [--quick] [--cache DIR] [--gop SECONDS] [--count N] "
                   "[--width W]\n");
      return false;
    }
  }
  return a->gop > 0 && a->count > 0 && a->width >= 64 && a->width <= 1280;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, &args)) return 2;
  ::mkdir(args.cache.c_str(), 0755);
  const int seconds = args.quick ? 60 : 300;
  const std::string video = MakeVideo(args.cache, seconds, args.gop);
  if (video.empty()) return 1;
  auto id = vidx::IdentifyFile(video);
  if (!id.ok()) {
    std::fprintf(stderr, "%s\n", id.status().ToString().c_str());
    return 1;
  }

  // Times spread over the video, in random order (as a results page asks for them).
  std::vector<double> times;
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> any(0, seconds);
  for (int i = 0; i < args.count; ++i) times.push_back(std::round(any(rng) * 1000) / 1000);

  const std::string thumbs_dir = args.cache + "/thumb-bench-cache";
  std::error_code ec;
  std::filesystem::remove_all(thumbs_dir, ec);  // cold: nothing cached
  vidx::ThumbnailerOptions topts;
  topts.cache_dir = thumbs_dir;
  auto thumbs = vidx::Thumbnailer::Open(topts);
  if (!thumbs.ok()) {
    std::fprintf(stderr, "%s\n", thumbs.status().ToString().c_str());
    return 1;
  }
  std::vector<double> cold, warm;
  int64_t jpeg_bytes = 0;
  for (double t : times) {
    bool hit = true;
    const double t0 = Now();
    auto j = (*thumbs)->Get(*id, t, args.width, &hit);
    cold.push_back((Now() - t0) * 1000);
    if (!j.ok() || hit) {
      std::fprintf(stderr, "cold get at %.3f failed or hit: %s\n", t,
                   j.status().ToString().c_str());
      return 1;
    }
    jpeg_bytes += static_cast<int64_t>(j->size());
  }
  for (double t : times) {
    bool hit = false;
    const double t0 = Now();
    auto j = (*thumbs)->Get(*id, t, args.width, &hit);
    warm.push_back((Now() - t0) * 1000);
    if (!j.ok() || !hit) {
      std::fprintf(stderr, "cached get at %.3f failed or missed\n", t);
      return 1;
    }
  }
  const Summary c = Summarise(cold), w = Summarise(warm);

  // The same decodes with FFmpeg choosing the decoder threads (the Thumbnailer uses one, so
  // that the requests of a results page share the cores instead of each taking all of them).
  std::vector<double> threaded;
  vidx::FrameAtOptions auto_threads;
  auto_threads.width = args.width;
  auto_threads.decode_threads = 0;
  for (double t : times) {
    const double t0 = Now();
    auto f = vidx::DecodeFrameAt(video, t, auto_threads);
    if (!f.ok()) return 1;
    auto j = vidx::EncodeJpeg(*f, vidx::Thumbnailer::kJpegQuality);
    threaded.push_back((Now() - t0) * 1000);
    if (!j.ok()) return 1;
  }
  const Summary a = Summarise(threaded);

  // The alternative: a JPEG of every frame the indexer samples (fps 0.5), made from a frame
  // the sampler has already decoded. Measured: the indexing sampler alone (224 crops) against
  // the sampler delivering width-W frames plus EncodeJpeg of each.
  vidx::SamplerOptions index_opts;
  index_opts.sampling.fps = 0.5;
  index_opts.output_size = 224;
  index_opts.decode_threads = 1;
  index_opts.max_seconds = 3600;
  size_t frames = 0;
  double t0 = Now();
  vidx::Status s = vidx::FrameSampler(index_opts).Sample(video, nullptr, [&frames](vidx::Frame&&) {
    ++frames;
    return vidx::Status::Ok();
  });
  const double index_s = Now() - t0;
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  vidx::SamplerOptions keep_opts = index_opts;
  keep_opts.output_size = 0;
  keep_opts.output_width = args.width;
  std::vector<vidx::Frame> kept;
  t0 = Now();
  s = vidx::FrameSampler(keep_opts).SampleAll(video, nullptr, &kept);
  const double keep_sample_s = Now() - t0;
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::vector<double> encode_ms;
  int64_t kept_bytes = 0;
  for (const vidx::Frame& f : kept) {
    t0 = Now();
    auto j = vidx::EncodeJpeg(f, vidx::Thumbnailer::kJpegQuality);
    encode_ms.push_back((Now() - t0) * 1000);
    if (!j.ok()) return 1;
    kept_bytes += static_cast<int64_t>(j->size());
  }
  const Summary e = Summarise(encode_ms);
  const double per_frame_bytes = kept.empty() ? 0 : static_cast<double>(kept_bytes) / kept.size();

  std::printf(
      "\n720p H.264 (x264 veryfast, 25 fps, keyframe every %d s), %d s, %d thumbnails "
      "%d px wide, one decoder thread\n",
      args.gop, seconds, args.count, args.width);
  std::printf("%-26s %10s %10s %10s\n", "", "p50 ms", "max ms", "mean ms");
  std::printf("%-26s %10.2f %10.2f %10.2f\n", "cold (decode + encode)", c.p50, c.max, c.mean);
  std::printf("%-26s %10.3f %10.3f %10.3f\n", "cached (disk hit)", w.p50, w.max, w.mean);
  std::printf("%-26s %10.2f %10.2f %10.2f\n", "cold, automatic threads", a.p50, a.max, a.mean);
  std::printf("ratio cold/cached p50: %.0fx   mean JPEG %.0f bytes\n", c.p50 / w.p50,
              static_cast<double>(jpeg_bytes) / args.count);
  std::printf("\nkeeping a %d px JPEG per sampled frame at indexing time (fps 0.5, %zu frames):\n",
              args.width, kept.size());
  std::printf("  indexing sampler alone (224 crops):  %.2f s (%zu frames)\n", index_s, frames);
  std::printf("  sampler at %d px wide:               %.2f s\n", args.width, keep_sample_s);
  std::printf(
      "  EncodeJpeg per frame: p50 %.2f ms, max %.2f ms; %.0f bytes per frame "
      "(%.1f MB per hour of video)\n",
      e.p50, e.max, per_frame_bytes, per_frame_bytes * 1800 / 1e6);
  std::printf("  encode p50 / cold thumbnail p50: %.3f\n", e.p50 / c.p50);
  return 0;
}
