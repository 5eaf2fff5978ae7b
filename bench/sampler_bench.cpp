// Frame sampling benchmark: vidx's FrameSampler against the ffmpeg command line doing the same
// job the common way (decode everything, fps filter, scale), measured in the same run.
//
//   vidx_sampler_bench [--quick] [--cache DIR] [--gops 1,2,5] [--fps 0.5] [--size 224]
//                      [--resize swscale|crop|squash]
//
// The test files (1080p H.264, testsrc2, x264 ultrafast, 25 fps, a keyframe every G seconds,
// 600 s long, 60 s with --quick) are generated with the ffmpeg CLI on first use and cached in
// DIR (default: <build>/bench-cache). Prints one row per keyframe interval with both times and
// the ratio peer/vidx.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "indexer/model/embedder.h"
#include "indexer/model/preprocess.h"
#include "indexer/video/sampler.h"

namespace {

#ifndef VIDX_BENCH_CACHE_DIR
#define VIDX_BENCH_CACHE_DIR "bench-cache"
#endif

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs argv; when `stdout_bytes` is not null, drains stdout and counts its bytes.
int Run(const std::vector<std::string>& argv, long long* stdout_bytes) {
  int out[2];
  if (::pipe(out) != 0) return -1;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(out[1]);
  std::vector<char> buf(1 << 16);
  long long total = 0;
  for (;;) {
    const ssize_t n = ::read(out[0], buf.data(), buf.size());
    if (n > 0) {
      total += n;
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (stdout_bytes != nullptr) *stdout_bytes = total;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && st.st_size > 0;
}

std::string MakeVideo(const std::string& dir, int seconds, int gop_seconds) {
  const std::string name = dir + "/sampler-1080p-" + std::to_string(seconds) + "s-g" +
                           std::to_string(gop_seconds) + ".mp4";
  if (Exists(name)) return name;
  std::printf("generating %s (1080p, %d s, keyframe every %d s) ...\n", name.c_str(), seconds,
              gop_seconds);
  std::fflush(stdout);
  const double t0 = Now();
  const std::string gop = std::to_string(25 * gop_seconds);
  const std::string tmp = name + ".tmp";
  const int rc = Run({"ffmpeg",
                      "-nostdin",
                      "-hide_banner",
                      "-loglevel",
                      "error",
                      "-y",
                      "-f",
                      "lavfi",
                      "-i",
                      "testsrc2=size=1920x1080:rate=25",
                      "-t",
                      std::to_string(seconds),
                      "-c:v",
                      "libx264",
                      "-preset",
                      "ultrafast",
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
                      "-f",
                      "mp4",
                      tmp},
                     nullptr);
  if (rc != 0 || std::rename(tmp.c_str(), name.c_str()) != 0) {
    std::fprintf(stderr, "could not generate %s (ffmpeg exit %d)\n", name.c_str(), rc);
    return "";
  }
  std::printf("  done in %.0f s\n", Now() - t0);
  return name;
}

struct Args {
  bool quick = false;
  std::string cache = VIDX_BENCH_CACHE_DIR;
  std::vector<int> gops = {1, 2, 5};
  double fps = 0.5;
  int size = 224;
  int threads = 0;
  // swscale: the sampler scales and crops in swscale; crop | squash: frames are converted at
  // their size and resized by the model's own code (ResizeAndCrop), as indexing does for a
  // CLIP-style (shortest side, centre crop) or SigLIP-style (exact resize) model.
  std::string resize = "swscale";
};

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    if (s == "--quick") {
      a->quick = true;
    } else if (s == "--cache") {
      const char* v = value("--cache");
      if (v == nullptr) return false;
      a->cache = v;
    } else if (s == "--gops") {
      const char* v = value("--gops");
      if (v == nullptr) return false;
      a->gops.clear();
      for (const char* p = v; *p != '\0';) {
        char* end = nullptr;
        const long g = std::strtol(p, &end, 10);
        if (end == p || g <= 0) return false;
        a->gops.push_back(static_cast<int>(g));
        p = *end == ',' ? end + 1 : end;
      }
    } else if (s == "--fps") {
      const char* v = value("--fps");
      if (v == nullptr) return false;
      a->fps = std::atof(v);
    } else if (s == "--size") {
      const char* v = value("--size");
      if (v == nullptr) return false;
      a->size = std::atoi(v);
    } else if (s == "--resize") {
      const char* v = value("--resize");
      if (v == nullptr) return false;
      a->resize = v;
    } else if (s == "--threads") {
      const char* v = value("--threads");
      if (v == nullptr) return false;
      a->threads = std::atoi(v);
    } else {
      std::fprintf(stderr,
                   "usage: vidx_sampler_bench [--quick] [--cache DIR] [--gops 1,2,5] "
                   "[--fps F] [--size N] [--threads N] [--resize swscale|crop|squash]\n");
      return false;
    }
  }
  return a->fps > 0 && a->size > 0 &&
         (a->resize == "swscale" || a->resize == "crop" || a->resize == "squash");
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, &args)) return 2;
  ::mkdir(args.cache.c_str(), 0755);
  const int seconds = args.quick ? 60 : 600;

  struct Row {
    int gop;
    size_t vidx_frames;
    long long peer_frames;
    double vidx_s, peer_s;
    vidx::SampleStats stats;
  };
  std::vector<Row> rows;
  for (int gop : args.gops) {
    const std::string path = MakeVideo(args.cache, seconds, gop);
    if (path.empty()) return 1;

    vidx::SamplerOptions opts;
    opts.sampling.fps = args.fps;
    opts.output_size = args.size;
    opts.decode_threads = args.threads;
    opts.max_seconds = 3600;
    if (args.resize != "swscale") {
      vidx::ImagePreprocessSpec spec;
      spec.height = spec.width = args.size;
      if (args.resize == "squash") {
        spec.resize = vidx::ImagePreprocessSpec::Resize::kExact;
        spec.resize_height = spec.resize_width = args.size;
        spec.center_crop = false;
      } else {
        spec.shortest_edge = args.size;
      }
      opts.prepare = [spec](vidx::Frame* f) {
        std::vector<uint8_t> out;
        VIDX_RETURN_IF_ERROR(vidx::ResizeAndCrop(spec, f->rgb.data(), f->height, f->width, &out));
        f->rgb = std::move(out);
        f->width = spec.width;
        f->height = spec.height;
        return vidx::Status::Ok();
      };
    }
    vidx::FrameSampler sampler(opts);
    size_t frames = 0;
    vidx::SampleStats stats;
    double t0 = Now();
    vidx::Status s = sampler.Sample(
        path, nullptr,
        [&frames](vidx::Frame&&) {
          ++frames;
          return vidx::Status::Ok();
        },
        &stats);
    const double vidx_s = Now() - t0;
    if (!s.ok()) {
      std::fprintf(stderr, "vidx failed: %s\n", s.ToString().c_str());
      return 1;
    }

    char filter[128];
    std::snprintf(filter, sizeof(filter), "fps=%g,scale=%d:%d", args.fps, args.size, args.size);
    long long bytes = 0;
    t0 = Now();
    const int rc = Run({"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", path,
                        "-vf", filter, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"},
                       &bytes);
    const double peer_s = Now() - t0;
    if (rc != 0) {
      std::fprintf(stderr, "ffmpeg (peer) failed with exit %d\n", rc);
      return 1;
    }
    rows.push_back({gop, frames, bytes / (3LL * args.size * args.size), vidx_s, peer_s, stats});
    std::printf("gop %d s: vidx %.2f s, ffmpeg %.2f s\n", gop, vidx_s, peer_s);
    std::fflush(stdout);
  }

  std::printf(
      "\nsampling %g fps, %dx%d RGB (%s resize), 1080p H.264 (x264 ultrafast, 25 fps), %d s "
      "files\n",
      args.fps, args.size, args.size, args.resize.c_str(), seconds);
  std::printf("%-8s %8s %8s %10s %10s %8s %10s %8s %6s\n", "keyint", "frames", "peer_fr", "vidx_s",
              "ffmpeg_s", "ratio", "decoded", "seeks", "hits");
  for (const Row& r : rows) {
    std::printf("%-8s %8zu %8lld %10.2f %10.2f %7.1fx %10lld %8lld %6d\n",
                (std::to_string(r.gop) + " s").c_str(), r.vidx_frames, r.peer_frames, r.vidx_s,
                r.peer_s, r.peer_s / r.vidx_s, static_cast<long long>(r.stats.frames_decoded),
                static_cast<long long>(r.stats.seeks), r.stats.keyframe_hits);
  }
  return 0;
}
