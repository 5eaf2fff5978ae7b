// Retrieval at scale, end to end: 200 generated videos of distinct content are indexed by the
// real `vidx index` binary with the tiny random CLIP model tiny_c; then, in this process (the
// model loaded once, by LoadModelForConfig as `vidx search` does: one `vidx search` per query
// would cost ~1.4 s of LibTorch start-up), every video is queried twice through the
// QueryEngine that `vidx search` uses:
//   --image  a PNG of the video's frame at a random second t, decoded by the ffmpeg CLI;
//   --like   VIDEO@t.
// The video must rank first with its best moment containing t in >= 99% of each kind.
//
// The test runs three times: fp32 with sampling.skip_similar off; fp32 with it on (2 grey
// levels) over a mixed library where every odd video is a still shot (one set of block colours
// for all kSeconds); and model.precision int8 (Linear layers quantized) with skipping off. With
// skipping on, a still video is embedded from its first frame alone, its one segment spanning
// the whole video, so the frames embedded on the still half drop to 1/kSeconds; the moving half
// is embedded frame for frame. Every query must still find its video and moment, the same bar
// for all.
//
// Videos: 64x48, 5 fps, kSeconds long, a 4x3 grid of 16x16 blocks whose colours are drawn from
// a per-video seeded generator and redrawn every second (keyframe every second, so the 1 fps
// sampler takes frames at 0, 1, 2, ... s and segment k is [k, k+1]). t = k + u with u in
// [0.05, 0.45]: the frame ffmpeg decodes at t shows second k's blocks, and the sampled frame
// nearest t (what --like embeds) is the one at k.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/model_session.h"
#include "config/config.h"
#include "search/catalog.h"
#include "search/index_loader.h"
#include "search/query_engine.h"
#include "tests/fixtures/video_fixtures.h"
#include "tests/run_command.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char kVocab[] = "../shared/data/clip/bpe_simple_vocab_16e6.txt.gz";
constexpr int kVideos = 200;
constexpr int kSeconds = 4;
constexpr int kFps = 5;
constexpr int kWidth = 64, kHeight = 48, kBlock = 16;
constexpr double kRequired = 0.99;
constexpr int kBatch = 25;  // videos per ffmpeg process

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Runs every command (argv, no shell) on `jobs` threads. Returns the first failure's message,
// or "" when all exited 0.
std::string RunAll(const std::vector<std::vector<std::string>>& commands, int jobs) {
  std::atomic<size_t> next{0};
  std::vector<std::string> errors(commands.size());
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < commands.size(); i = next++) {
        std::string err;
        if (testing::RunProgram(commands[i], &err) != 0) {
          errors[i] = commands[i].back() + ": " + (err.empty() ? "failed" : err);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) {
    if (!e.empty()) return e;
  }
  return "";
}

void Append(std::vector<std::string>* argv, std::initializer_list<std::string> args) {
  argv->insert(argv->end(), args.begin(), args.end());
}

// kSeconds * kFps raw RGB24 frames of video `i`: new random block colours every second, or,
// when `still`, the first second's colours throughout.
std::string RawFrames(int i, bool still) {
  std::mt19937 rng(1000003u * static_cast<uint32_t>(i) + 17u);
  std::uniform_int_distribution<int> level(0, 255);
  std::string raw;
  raw.reserve(static_cast<size_t>(kSeconds * kFps * kWidth * kHeight * 3));
  uint8_t colour[kHeight / kBlock][kWidth / kBlock][3];
  for (int s = 0; s < kSeconds; ++s) {
    if (s > 0 && still) {
      for (int f = 0; f < kFps; ++f)
        raw += raw.substr(0, static_cast<size_t>(kWidth * kHeight * 3));
      continue;
    }
    for (auto& row : colour) {
      for (auto& block : row) {
        for (uint8_t& c : block) c = static_cast<uint8_t>(level(rng));
      }
    }
    std::string frame(static_cast<size_t>(kWidth * kHeight * 3), '\0');
    for (int y = 0; y < kHeight; ++y) {
      for (int x = 0; x < kWidth; ++x) {
        for (int c = 0; c < 3; ++c) {
          frame[static_cast<size_t>((y * kWidth + x) * 3 + c)] =
              static_cast<char>(colour[y / kBlock][x / kBlock][c]);
        }
      }
    }
    for (int f = 0; f < kFps; ++f) raw += frame;
  }
  return raw;
}

// True when `hits` ranks `path` first and its best moment contains t.
bool FirstWithMoment(const SearchResponse& r, const std::string& path, double t, std::string* why) {
  if (r.results.empty()) {
    *why = "no results";
    return false;
  }
  const FileHit& first = r.results[0];
  if (first.path != path) {
    *why = "first is " + first.path + " (" + std::to_string(first.score) + ")";
    for (const FileHit& h : r.results) {
      if (h.path == path) *why += ", expected scores " + std::to_string(h.score);
    }
    return false;
  }
  if (first.moments.empty() || first.moments[0].start > t || first.moments[0].end < t) {
    *why = first.moments.empty() ? "no moment"
                                 : "best moment [" + std::to_string(first.moments[0].start) + ", " +
                                       std::to_string(first.moments[0].end) + "]";
    return false;
  }
  return true;
}

// Each case is one (model.precision, sampling.skip_similar) pair; int8 runs with skipping off.
struct RetrievalCase {
  const char* precision;
  bool skip;
};

class RetrievalScaleTest : public ::testing::TestWithParam<RetrievalCase> {};

TEST_P(RetrievalScaleTest, ImageAndLikeQueriesFindTheirVideoAndMomentAmong200Videos) {
  const std::string precision = GetParam().precision;
  const bool skip = GetParam().skip;
  auto still = [&](int i) { return skip && i % 2 == 1; };
  const int still_videos = skip ? kVideos / 2 : 0;
  // Frames sampled, and embedded: a still video with skipping on gives one.
  const int sampled = kVideos * kSeconds;
  const int embedded = sampled - still_videos * (kSeconds - 1);
  ASSERT_TRUE(fs::exists(kVocab)) << kVocab << " is missing (see ../shared/data/clip/README.md)";
  const fs::path tiny = fs::path(VIDX_TINY_MODELS_DIR) / "tiny_c";
  ASSERT_TRUE(fs::exists(tiny / "config.json")) << "the vidx_tiny_clip fixture makes tiny_c";
  ASSERT_TRUE(testing::FfmpegAvailable()) << "the ffmpeg command is needed to make the videos";
  testing::TempDir temp;  // from the fixtures library: mkdtemp under $TMPDIR, removed after
  ASSERT_FALSE(temp.path().empty());
  const fs::path root = temp.path();
  const fs::path model = root / "model", lib = root / "lib", raw = root / "raw",
                 pngs = root / "png";
  for (const fs::path& d : {model, lib, raw, pngs}) fs::create_directories(d);
  for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"}) {
    fs::copy_file(tiny / f, model / f);
  }
  fs::copy_file(kVocab, model / "bpe_simple_vocab_16e6.txt.gz");
  auto video = [&](int i) { return (lib / ("v" + std::to_string(i) + ".mp4")).string(); };
  const int jobs = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 2u, 4u));

  // 1. The library: kBatch videos per ffmpeg process (each ffmpeg start costs ~0.2 s of CPU
  // here, more than encoding a tiny video), the processes run in parallel.
  auto t0 = Clock::now();
  std::vector<std::vector<std::string>> encode;
  for (int i = 0; i < kVideos; ++i) {
    if (i % kBatch == 0) encode.push_back({"ffmpeg", "-v", "error", "-y"});
    const std::string r = (raw / ("v" + std::to_string(i) + ".rgb")).string();
    std::ofstream(r, std::ios::binary) << RawFrames(i, still(i));
    Append(&encode.back(), {"-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
                            std::to_string(kWidth) + "x" + std::to_string(kHeight), "-r",
                            std::to_string(kFps), "-i", r});
  }
  for (int i = 0; i < kVideos; ++i) {
    Append(&encode[static_cast<size_t>(i / kBatch)],
           {"-map", std::to_string(i % kBatch) + ":v", "-c:v", "libx264", "-preset", "ultrafast",
            "-threads:v", "1", "-g", std::to_string(kFps), "-pix_fmt", "yuv420p", video(i)});
  }
  std::string failure = RunAll(encode, jobs);
  ASSERT_EQ(failure, "");
  fs::remove_all(raw);
  const double generate_s = SecondsSince(t0);

  // 2. Index with the real binary.
  const std::string config = (root / "vidx.yaml").string();
  std::ofstream(config) << "state_dir: " << (root / "state").string()
                        << "\nmodel:\n  path: " << model.string() << "\n  precision: " << precision
                        << "\n  batch_size: 32\nsampling:\n  fps: 1"
                        << (skip ? "\n  skip_similar: 2" : "") << "\nlibrary:\n  roots: ["
                        << lib.string() << "]\n";
  t0 = Clock::now();
  testing::CommandResult run =
      testing::RunCommand(std::string(VIDX_BINARY) + " --config " + testing::ShellQuote(config) +
                          " index --json " + testing::ShellQuote(lib.string()));
  const double index_s = SecondsSince(t0);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json summary = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << run.out;
  ASSERT_EQ(summary["embedded"], kVideos) << run.out;
  ASSERT_EQ(summary["frames"], embedded) << run.out;
  ASSERT_EQ(summary["frames_skipped"], sampled - embedded) << run.out;
  if (skip) {
    // The still half: at most half its sampled frames embedded (here one in kSeconds).
    const int still_embedded = embedded - (kVideos - still_videos) * kSeconds;
    EXPECT_LE(2 * still_embedded, still_videos * kSeconds);
  }
  ASSERT_EQ(summary["activated"], true) << run.out;

  // 3. One random moment per video, and its frame as PNG (before LibTorch is in this process:
  // forking a small process is cheaper).
  std::mt19937 rng(20260611);
  std::uniform_int_distribution<int> second(0, kSeconds - 1);
  std::uniform_real_distribution<double> offset(0.05, 0.45);
  std::vector<double> at(kVideos);
  std::vector<std::vector<std::string>> extract;
  for (int i = 0; i < kVideos; ++i) {
    at[i] = second(rng) + offset(rng);
    char t[32];
    std::snprintf(t, sizeof t, "%.3f", at[i]);
    at[i] = std::stod(t);
    if (i % kBatch == 0) extract.push_back({"ffmpeg", "-v", "error", "-y"});
    Append(&extract.back(), {"-ss", t, "-i", video(i)});
  }
  for (int i = 0; i < kVideos; ++i) {
    Append(&extract[static_cast<size_t>(i / kBatch)],
           {"-map", std::to_string(i % kBatch) + ":v", "-frames:v", "1",
            (pngs / ("q" + std::to_string(i) + ".png")).string()});
  }
  t0 = Clock::now();
  failure = RunAll(extract, jobs);
  ASSERT_EQ(failure, "");
  const double extract_s = SecondsSince(t0);

  // 4. The search side, wired as `vidx search` wires it, once.
  t0 = Clock::now();
  StatusOr<Config> cfg = LoadConfigFile(config);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  CatalogOptions co;
  co.read_only = true;
  StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(cfg->state_dir, co);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  StatusOr<std::shared_ptr<const LoadedModel>> model_session =
      LoadModelForConfig(*cfg, catalog->get());
  ASSERT_TRUE(model_session.ok()) << model_session.status().ToString();
  const LoadedModel& loaded = **model_session;
  std::optional<Generation> active = (*catalog)->ActiveGeneration();
  ASSERT_TRUE(active.has_value());
  ASSERT_EQ(active->fingerprint, loaded.fingerprint());
  ASSERT_EQ(loaded.embedder().precision(), precision);
  EXPECT_EQ(active->vectors, static_cast<uint64_t>(embedded));
  StatusOr<OpenedIndex> opened =
      OpenIndexForGeneration(**catalog, active->id, cfg->index.factory, cfg->state_dir);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_EQ(opened->index->size(), static_cast<size_t>(embedded));
  std::unique_ptr<QueryEngine> engine_owner =
      MakeQueryEngine(loaded, catalog->get(), *active, opened->index.get());
  const QueryEngine& engine = *engine_owner;
  const double load_s = SecondsSince(t0);

  // 5. 2 x 200 queries.
  t0 = Clock::now();
  int image_hits = 0, like_hits = 0;
  std::vector<std::string> misses;
  for (int i = 0; i < kVideos; ++i) {
    for (int kind = 0; kind < 2; ++kind) {
      Query q;
      q.k = 3;
      char t[32];
      std::snprintf(t, sizeof t, "%.3f", at[i]);
      if (kind == 0) {
        q.image = (pngs / ("q" + std::to_string(i) + ".png")).string();
      } else {
        q.like = video(i) + "@" + t;
      }
      StatusOr<SearchResponse> r = engine.Search(q);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      std::string why;
      if (FirstWithMoment(*r, video(i), at[i], &why)) {
        ++(kind == 0 ? image_hits : like_hits);
      } else {
        misses.push_back(std::string(kind == 0 ? "--image" : "--like") + " v" + std::to_string(i) +
                         "@" + t + ": " + why);
      }
    }
  }
  const double query_s = SecondsSince(t0);
  for (const std::string& m : misses) std::cout << "miss: " << m << "\n";
  const double image_rate = 100.0 * image_hits / kVideos, like_rate = 100.0 * like_hits / kVideos;
  std::printf(
      "retrieval over %d videos (%d vectors, %s, skip_similar %s): --image %.1f%% (%d/%d), "
      "--like %.1f%% (%d/%d) first with the right moment\n",
      kVideos, embedded, precision.c_str(), skip ? "on" : "off", image_rate, image_hits, kVideos,
      like_rate, like_hits, kVideos);
  std::printf(
      "timings: generate %.1f s, vidx index %.1f s, extract PNGs %.1f s, load model + "
      "index %.1f s, %d queries %.1f s\n",
      generate_s, index_s, extract_s, load_s, 2 * kVideos, query_s);
  EXPECT_GE(image_hits, kRequired * kVideos) << "--image: " << image_rate << "%";
  EXPECT_GE(like_hits, kRequired * kVideos) << "--like: " << like_rate << "%";
}

INSTANTIATE_TEST_SUITE_P(Cases, RetrievalScaleTest,
                         ::testing::Values(RetrievalCase{"fp32", false},
                                           RetrievalCase{"fp32", true},
                                           RetrievalCase{"int8", false}),
                         [](const ::testing::TestParamInfo<RetrievalCase>& info) {
                           return std::string(info.param.precision) +
                                  (info.param.skip ? "SkipSimilar" : "");
                         });

}  // namespace
}  // namespace vidx
