// `vidx index | search | status` through the real binary, with the tiny random CLIP model
// tiny_c (real vocabulary) over eight generated two-colour videos (colour A for 2 s, then
// colour B for 2 s; sixteen distinct colours), plus one file of random bytes; and the same
// with the tiny SigLIP model siglip_a.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include <fcntl.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "search/catalog.h"
#include "search/index_loader.h"
#include "tests/needs_sentencepiece.h"
#include "tests/run_command.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::RunCommand;
using testing::ShellQuote;

const char kVocab[] = "../shared/data/clip/bpe_simple_vocab_16e6.txt.gz";
constexpr int kVideos = 8;
const char* const kColours[2 * kVideos] = {"red",     "blue", "green",  "yellow", "white",  "black",
                                           "magenta", "cyan", "orange", "navy",   "purple", "gray",
                                           "olive",   "pink", "teal",   "maroon"};

class IndexSearchCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("vidx_index_search_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_ / "videos");
    // Model copy with the OpenAI vocabulary file.
    fs::path src = fs::path(VIDX_TINY_MODELS_DIR) / "tiny_c";
    fs::path model = *dir_ / "model";
    fs::create_directories(model);
    for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"}) {
      fs::copy_file(src / f, model / f);
    }
    fs::copy_file(kVocab, model / "bpe_simple_vocab_16e6.txt.gz");
    for (int i = 0; i < kVideos; ++i) {
      auto source = [&](const char* c) {
        return ShellQuote("color=c=" + std::string(c) + ":s=64x48:r=5:d=2");
      };
      CommandResult r = RunCommand(
          "ffmpeg -v error -y -f lavfi -i " + source(kColours[2 * i]) + " -f lavfi -i " +
          source(kColours[2 * i + 1]) +
          " -filter_complex '[0][1]concat=n=2:v=1:a=0' -c:v libx264 -pix_fmt yuv420p -g 5 " +
          ShellQuote(VideoSource(i)));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override {
    ASSERT_TRUE(fs::exists(kVocab)) << kVocab << " is missing (see ../shared/data/clip/README.md)";
    ASSERT_TRUE(fs::exists(fs::path(VIDX_TINY_MODELS_DIR) / "tiny_c" / "config.json"))
        << "the vidx_tiny_clip fixture makes tiny_c";
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    work_ = *dir_ / name;
    fs::remove_all(work_);
    fs::create_directories(work_ / "lib");
    for (int i = 0; i < kVideos; ++i) fs::copy_file(VideoSource(i), Video(i));
  }

  static std::string VideoSource(int i) {
    return (*dir_ / "videos" / ("v" + std::to_string(i) + ".mp4")).string();
  }
  std::string Video(int i) const {
    return (work_ / "lib" / ("v" + std::to_string(i) + ".mp4")).string();
  }
  std::string Lib() const { return (work_ / "lib").string(); }
  std::string State() const { return (work_ / "state").string(); }

  // `sampling_extra`: more lines (indented) under `sampling:`.
  std::string Config(const std::string& sampling_extra = "", int fps = 1) {
    std::string path = (work_ / ("config" + std::to_string(configs_++) + ".yaml")).string();
    std::ofstream(path) << "state_dir: " << State()
                        << "\nmodel:\n  path: " << (*dir_ / "model").string()
                        << "\n  batch_size: 5\nsampling:\n  fps: " << fps << "\n"
                        << sampling_extra << "library:\n  roots: [" << Lib() << "]\n";
    return path;
  }

  CommandResult Vidx(const std::string& args, const std::string& config = "") {
    return RunCommand(std::string(VIDX_BINARY) + " --config " +
                      ShellQuote(config.empty() ? Config() : config) + " " + args);
  }
  json VidxJson(const std::string& args) {
    CommandResult r = Vidx(args);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << args << ": " << r.out;
    return j;
  }
  json Index() { return VidxJson("index --json " + ShellQuote(Lib())); }

  // A PNG of video i's frame at `t` seconds, decoded by the ffmpeg CLI.
  std::string FramePng(int i, double t) {
    std::string png =
        (work_ / ("q" + std::to_string(i) + "_" + std::to_string(t) + ".png")).string();
    CommandResult r = RunCommand("ffmpeg -v error -y -ss " + std::to_string(t) + " -i " +
                                 ShellQuote(Video(i)) + " -frames:v 1 " + ShellQuote(png));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return png;
  }

  static void ExpectFirstWithMoment(const json& r, const std::string& path, double t,
                                    const std::string& what) {
    ASSERT_FALSE(r["results"].empty()) << what;
    const json& first = r["results"][0];
    EXPECT_EQ(first["path"], path) << what << ": " << r.dump();
    ASSERT_FALSE(first["moments"].empty()) << what;
    const json& m = first["moments"][0];
    EXPECT_LE(m["start"].get<double>(), t) << what << ": " << m.dump();
    EXPECT_GE(m["end"].get<double>(), t) << what << ": " << m.dump();
    // The best moment is the half of the video the frame came from, not all of it.
    EXPECT_LE(m["end"].get<double>() - m["start"].get<double>(), 2.0 + 1e-6) << what;
  }

  static fs::path* dir_;
  fs::path work_;
  int configs_ = 0;
};

fs::path* IndexSearchCliTest::dir_ = nullptr;

TEST_F(IndexSearchCliTest, ImageAndLikeQueriesFindTheirVideoAndMoment) {
  json run = Index();
  EXPECT_EQ(run["embedded"], kVideos);
  EXPECT_EQ(run["frames"], 4 * kVideos);  // fps 1 over 4 s
  EXPECT_EQ(run["activated"], true);
  // Every vidx process costs ~1.5 s of LibTorch start-up here: one query per video, the
  // first or the second half alternately; --like on half of them.
  for (int i = 0; i < kVideos; ++i) {
    const double t = i % 2 == 0 ? 0.5 : 3.0;
    const std::string what = "video " + std::to_string(i) + " at " + std::to_string(t);
    json image = VidxJson("search -k 3 --json --image " + ShellQuote(FramePng(i, t)));
    ExpectFirstWithMoment(image, Video(i), t, "--image " + what);
    if (i % 2 == 1 || i == 0) {
      json like = VidxJson("search -k 3 --json --like " +
                           ShellQuote(Video(i) + "@" + std::to_string(3.5 - t)));
      ExpectFirstWithMoment(like, Video(i), 3.5 - t, "--like " + what);
    }
  }
  // Human output: rank, score, path, HH:MM:SS moments.
  CommandResult human = Vidx("search -k 2 --image " + ShellQuote(FramePng(3, 3.0)));
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_EQ(human.out.find(" 1. "), 0u) << human.out;
  EXPECT_NE(human.out.find(Video(3)), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("00:00:02\u201300:00:04"), std::string::npos) << human.out;
}

TEST_F(IndexSearchCliTest, TextScoresEqualBruteForceOverStoredVectors) {
  Index();
  for (const std::string text : {"a red square", "blue sky + green grass - night"}) {
    json search = VidxJson("search -k 10 --json " + ShellQuote(text));
    EXPECT_EQ(search["query"], text);
    // The query embedding: one term is `model embed`; a combination is the normalised signed sum.
    std::vector<float> q;
    {
      std::vector<std::pair<int, std::string>> terms =
          text == "a red square" ? std::vector<std::pair<int, std::string>>{{1, text}}
                                 : std::vector<std::pair<int, std::string>>{
                                       {1, "blue sky"}, {1, "green grass"}, {-1, "night"}};
      for (const auto& [sign, term] : terms) {
        json e = VidxJson("model embed --json --text " + ShellQuote(term));
        std::vector<float> v = e["embedding"].get<std::vector<float>>();
        if (q.empty()) q.assign(v.size(), 0.0f);
        for (size_t d = 0; d < v.size(); ++d) q[d] += static_cast<float>(sign) * v[d];
      }
      double norm = 0;
      for (float x : q) norm += static_cast<double>(x) * x;
      for (float& x : q) x = static_cast<float>(x / std::sqrt(norm));
    }
    // Brute force over every stored vector of the active generation.
    CatalogOptions o;
    o.read_only = true;
    auto catalog = Catalog::Open(State(), o);
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    std::optional<Generation> gen = (*catalog)->ActiveGeneration();
    ASSERT_TRUE(gen.has_value());
    EXPECT_EQ(search["fingerprint"], gen->fingerprint);
    std::map<std::string, double> best;
    size_t vectors = 0;
    Status s = (*catalog)->ForEachVector(gen->id, 0, [&](const VectorRecord& r) {
      double dot = 0;
      for (size_t d = 0; d < q.size(); ++d) dot += static_cast<double>(q[d]) * r.vector[d];
      auto it = best.find(r.path);
      if (it == best.end() || dot > it->second) best[r.path] = dot;
      ++vectors;
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(vectors, 4u * kVideos);
    std::vector<std::pair<double, std::string>> ranked;
    for (const auto& [path, score] : best) ranked.emplace_back(score, path);
    std::sort(ranked.rbegin(), ranked.rend());
    const json& results = search["results"];
    ASSERT_EQ(results.size(), std::min<size_t>(10, ranked.size())) << text;
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_NEAR(results[i]["score"].get<double>(), ranked[i].first, 1e-5) << text << " #" << i;
      // CLIP has no match calibration: its results carry no "probability".
      EXPECT_FALSE(results[i].contains("probability")) << text << " #" << i;
      if (i + 1 < results.size() && ranked[i].first - ranked[i + 1].first > 1e-5) {
        EXPECT_EQ(results[i]["path"], ranked[i].second) << text << " #" << i;
      }
    }
  }
}

// The tiny SigLIP model siglip_a (exact resize to its input, no crop) indexes and searches
// like CLIP: text scores are the stored vectors' dot products with `model embed`, and a frame
// given as a picture finds its video and moment.
TEST_F(IndexSearchCliTest, SiglipIndexesAndSearches) {
  VIDX_SKIP_WITHOUT_SENTENCEPIECE();
  const fs::path siglip = fs::path(VIDX_TINY_SIGLIP_DIR) / "siglip_a";
  ASSERT_TRUE(fs::exists(siglip / "config.json")) << "the vidx_tiny_siglip fixture makes it";
  const std::string config = (work_ / "siglip.yaml").string();
  std::ofstream(config) << "state_dir: " << State() << "\nmodel:\n  path: " << siglip.string()
                        << "\n  batch_size: 5\nsampling:\n  fps: 1\nlibrary:\n  roots: [" << Lib()
                        << "]\n";
  CommandResult run = Vidx("index --json " + ShellQuote(Lib()), config);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json summary = json::parse(run.out, nullptr, false);
  EXPECT_EQ(summary["embedded"], kVideos) << run.out;
  EXPECT_EQ(summary["frames"], 4 * kVideos);

  CommandResult embed = Vidx("model embed --json --text " + ShellQuote("a red square"), config);
  ASSERT_EQ(embed.exit_code, 0) << embed.err;
  const std::vector<float> q = json::parse(embed.out)["embedding"].get<std::vector<float>>();
  CommandResult text = Vidx("search -k 10 --json " + ShellQuote("a red square"), config);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  json search = json::parse(text.out, nullptr, false);
  ASSERT_EQ(search["results"].size(), static_cast<size_t>(kVideos)) << text.out;
  std::map<std::string, double> best;
  {
    CatalogOptions o;
    o.read_only = true;
    auto catalog = Catalog::Open(State(), o);
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    std::optional<Generation> gen = (*catalog)->ActiveGeneration();
    ASSERT_TRUE(gen.has_value());
    EXPECT_EQ(search["fingerprint"], gen->fingerprint);
    Status s = (*catalog)->ForEachVector(gen->id, 0, [&](const VectorRecord& r) {
      EXPECT_EQ(r.vector.size(), q.size());
      double dot = 0;
      for (size_t d = 0; d < q.size() && d < r.vector.size(); ++d) {
        dot += static_cast<double>(q[d]) * r.vector[d];
      }
      auto it = best.find(r.path);
      if (it == best.end() || dot > it->second) best[r.path] = dot;
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  for (const json& hit : search["results"]) {
    EXPECT_NEAR(hit["score"].get<double>(), best[hit["path"]], 1e-5) << hit.dump();
  }
  for (int i : {1, 6}) {
    const double t = i == 1 ? 0.5 : 3.0;
    CommandResult image = Vidx("search -k 3 --json --image " + ShellQuote(FramePng(i, t)), config);
    ASSERT_EQ(image.exit_code, 0) << image.err;
    ExpectFirstWithMoment(json::parse(image.out), Video(i), t,
                          "siglip --image video " + std::to_string(i));
  }
}

TEST_F(IndexSearchCliTest, IncrementalRunsCountWhatChanged) {
  {  // a hostile file: random bytes named .mp4
    std::mt19937 rng(7);
    std::ofstream bad(work_ / "lib" / "hostile.mp4", std::ios::binary);
    for (int i = 0; i < 50000; ++i) bad.put(static_cast<char>(rng() & 0xff));
  }
  json first = Index();
  EXPECT_EQ(first["embedded"], kVideos);
  EXPECT_EQ(first["failed"], 1);

  json status = VidxJson("status --json");
  EXPECT_EQ(status["files"]["indexed"], kVideos);
  EXPECT_EQ(status["files"]["failed"], 1);
  EXPECT_EQ(status["files"]["pending"], 0);
  EXPECT_EQ(status["vectors"], 4 * kVideos);
  EXPECT_EQ(status["generation"]["active"], first["generation"]);
  EXPECT_TRUE(status["generation"]["building"].is_null());
  EXPECT_EQ(status["fingerprint"], first["fingerprint"]);
  ASSERT_EQ(status["failed_files"].size(), 1u);
  EXPECT_EQ(status["failed_files"][0]["path"], (work_ / "lib" / "hostile.mp4").string());
  EXPECT_FALSE(status["failed_files"][0]["error"].get<std::string>().empty());

  json again = Index();  // nothing changed: nothing embedded, the failed file not retried
  EXPECT_EQ(again["embedded"], 0);
  EXPECT_EQ(again["unchanged"], kVideos + 1);
  EXPECT_EQ(again["frames"], 0);

  fs::last_write_time(Video(2), fs::last_write_time(Video(2)) + std::chrono::seconds(5));
  EXPECT_EQ(VidxJson("status --json")["files"]["pending"], 1);
  json touched = Index();
  EXPECT_EQ(touched["embedded"], 1);
  EXPECT_EQ(touched["unchanged"], kVideos);
  EXPECT_EQ(touched["frames"], 4);

  const std::string moved = (work_ / "lib" / "sub" / "renamed.mp4").string();
  fs::create_directories(work_ / "lib" / "sub");
  fs::rename(Video(5), moved);
  json renamed = Index();
  EXPECT_EQ(renamed["embedded"], 0);
  EXPECT_EQ(renamed["renamed"], 1);
  EXPECT_EQ(renamed["frames"], 0);
  EXPECT_EQ(renamed["deleted"], 0);
  json found = VidxJson("search -k 1 --json --like " + ShellQuote(moved + "@3"));
  EXPECT_EQ(found["results"][0]["path"], moved);

  json before = VidxJson("search -k 10 --json dog");
  fs::remove(Video(0));
  json deleted = Index();
  EXPECT_EQ(deleted["deleted"], 1);
  EXPECT_EQ(deleted["embedded"], 0);
  json after = VidxJson("search -k 10 --json dog");
  EXPECT_EQ(after["results"].size() + 1, before["results"].size());
  for (const json& r : after["results"]) EXPECT_NE(r["path"], Video(0));
  EXPECT_EQ(VidxJson("status --json")["vectors"], 4 * (kVideos - 1));
}

TEST_F(IndexSearchCliTest, QueryUnderAnotherFingerprintIsRefused) {
  Index();
  CommandResult r = Vidx("search --json dog", Config("  max_frames: 3\n"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fingerprint"), std::string::npos) << r.err;
  CommandResult empty =
      RunCommand(std::string(VIDX_BINARY) + " --config " + ShellQuote(Config()) + " search");
  EXPECT_EQ(empty.exit_code, 2) << empty.err;
}

// Starts `vidx --config CONFIG index DIR` with its output discarded; returns its pid.
pid_t SpawnIndex(const std::string& config, const std::string& dir) {
  std::vector<std::string> args = {VIDX_BINARY, "--config", config, "index", dir};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  if (posix_spawn(&pid, VIDX_BINARY, &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// After a crash: the catalog's file records and vectors agree with each other, and the vector
// index a restart opens (snapshot + replay, or rebuild) holds exactly the catalog's ids — as
// its id set and as FAISS itself answers an exhaustive search (a duplicate would show twice).
// `paths` (optional) counts how each generation's index was opened.
void ExpectCatalogAndIndexAgree(const std::string& state_dir, const std::string& when,
                                std::map<std::string, int>* paths = nullptr) {
  if (!fs::exists(fs::path(state_dir) / "catalog" / "CURRENT"))
    return;  // killed before creating it
  CatalogOptions o;
  o.read_only = true;
  auto catalog = Catalog::Open(state_dir, o);
  ASSERT_TRUE(catalog.ok()) << when << ": " << catalog.status().ToString();
  for (const Generation& gen : (*catalog)->ListGenerations()) {
    if (gen.state == GenerationState::kRetired) continue;
    std::vector<uint64_t> record_ids, vector_ids;
    uint64_t indexed = 0, failed = 0;
    Status s = (*catalog)->ForEachFile(gen.id, [&](const FileRecord& r) {
      (r.status == FileStatus::kIndexed ? indexed : failed)++;
      record_ids.insert(record_ids.end(), r.vector_ids.begin(), r.vector_ids.end());
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::vector<float> probe;
    s = (*catalog)->ForEachVector(gen.id, 0, [&](const VectorRecord& v) {
      vector_ids.push_back(v.id);
      if (probe.empty()) probe = v.vector;
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::sort(record_ids.begin(), record_ids.end());
    EXPECT_EQ(std::adjacent_find(record_ids.begin(), record_ids.end()), record_ids.end()) << when;
    EXPECT_EQ(record_ids, vector_ids) << when << ": every vector belongs to exactly one file";
    EXPECT_EQ(gen.vectors, vector_ids.size()) << when;
    EXPECT_EQ(gen.files_indexed, indexed) << when;
    EXPECT_EQ(gen.files_failed, failed) << when;
    auto opened = OpenIndexForGeneration(**catalog, gen.id, "Flat", state_dir);
    ASSERT_TRUE(opened.ok()) << when << ": " << opened.status().ToString();
    if (paths != nullptr) ++(*paths)[opened->reason];
    EXPECT_EQ(opened->index->LiveIds(), vector_ids) << when << " (" << opened->reason << ")";
    EXPECT_EQ(opened->index->size(), vector_ids.size()) << when << " (" << opened->reason << ")";
    if (probe.empty()) continue;
    // Flat search is exhaustive: asking for more than it holds returns every stored label.
    const size_t k = vector_ids.size() + 8;
    auto hits = opened->index->Search(1, probe.data(), k);
    ASSERT_TRUE(hits.ok()) << when << ": " << hits.status().ToString();
    std::vector<uint64_t> faiss_ids;
    for (int64_t id : hits->ids) {
      if (id >= 0) faiss_ids.push_back(static_cast<uint64_t>(id));
    }
    std::sort(faiss_ids.begin(), faiss_ids.end());
    EXPECT_EQ(faiss_ids, vector_ids) << when << " (" << opened->reason << "): FAISS labels";
  }
}

// Commits so far (the sum of the file records' attempts over the live generations), or -1
// when there is no catalog yet.
int64_t Commits(const std::string& state_dir) {
  if (!fs::exists(fs::path(state_dir) / "catalog" / "CURRENT")) return -1;
  CatalogOptions o;
  o.read_only = true;
  auto catalog = Catalog::Open(state_dir, o);
  if (!catalog.ok()) return -1;
  int64_t commits = 0;
  for (const Generation& gen : (*catalog)->ListGenerations()) {
    if (gen.state == GenerationState::kRetired) continue;
    Status s = (*catalog)->ForEachFile(gen.id, [&](const FileRecord& r) {
      commits += r.attempts;
      return Status::Ok();
    });
    if (!s.ok()) return -1;
  }
  return commits;
}

int ElapsedMs(std::chrono::steady_clock::time_point t0) {
  return static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count());
}

// kill -9 at 30 random moments of `vidx index` runs — 15 while the first generation is built,
// 15 while the active generation's files are re-embedded (replacing vectors) — over 24 videos
// at fps 5 (480 frames a run). Before every run each video's mtime moves, so every run has the
// whole library to (re-)embed. After each kill the catalog and the index a restart opens agree
// exactly; a complete run after each phase finishes the library.
TEST_F(IndexSearchCliTest, KillNineAtRandomMomentsLeavesCatalogAndIndexInAgreement) {
  constexpr int kExtra = 16, kFiles = kVideos + kExtra, kKillsPerPhase = 15;
  {  // 16 more one-colour 4 s videos, in one ffmpeg process
    std::mt19937 colours(99);
    std::string inputs, outputs;
    for (int i = 0; i < kExtra; ++i) {
      char c[16];
      std::snprintf(c, sizeof c, "0x%06x", static_cast<unsigned>(colours() & 0xffffff));
      inputs += " -f lavfi -i " + ShellQuote(std::string("color=c=") + c + ":s=64x48:r=5:d=4");
      outputs += " -map " + std::to_string(i) + ":v -c:v libx264 -preset ultrafast -threads:v 1 " +
                 "-g 5 -pix_fmt yuv420p " +
                 ShellQuote((work_ / "lib" / ("x" + std::to_string(i) + ".mp4")).string());
    }
    CommandResult r = RunCommand("ffmpeg -v error -y" + inputs + outputs);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::vector<fs::path> videos;
  for (const auto& e : fs::directory_iterator(work_ / "lib")) videos.push_back(e.path());
  ASSERT_EQ(videos.size(), static_cast<size_t>(kFiles));
  // fps 5 (every frame of the 5 fps sources) and batches of 5: 20 frames per video.
  const std::string config = Config("", /*fps=*/5);
  // Calibration in another state dir: when a whole run ends, and when its first file is
  // committed (the catalog polled read-only), start-up included.
  int run_ms = 0, first_commit_ms = -1;
  {
    std::ifstream in(config);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find(State()), State().size(), State() + "_calibration");
    const std::string calibration = config + ".calibration.yaml";
    std::ofstream(calibration) << text;
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = SpawnIndex(calibration, Lib());
    ASSERT_GT(pid, 0);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (first_commit_ms < 0 && Commits(State() + "_calibration") > 0) {
        first_commit_ms = ElapsedMs(t0);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    run_ms = ElapsedMs(t0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (first_commit_ms < 0) first_commit_ms = run_ms;
    fs::remove_all(State() + "_calibration");
  }
  std::cout << "calibration: first commit after " << first_commit_ms << " ms, run " << run_ms
            << " ms\n";
  // One kill in five lands during start-up (uniformly before the calibration run's first
  // commit); the others wait for this run's own first commit (the catalog polled) and then a
  // random share of the commit window — start-up time varies too much with the machine's load
  // for fixed delays to land reliably. The window adapts when a run ends before its kill.
  std::mt19937 rng(20261128);
  int window_ms = std::max(100, run_ms - first_commit_ms);
  int after_first_commit = 0, finished_first = 0;
  std::map<std::string, int> open_paths;
  const auto started = std::chrono::steady_clock::now();
  for (int phase = 0; phase < 2; ++phase) {
    for (int kill = 0; kill < kKillsPerPhase; ++kill) {
      for (const fs::path& v : videos) {
        fs::last_write_time(v, fs::last_write_time(v) + std::chrono::seconds(1));
      }
      const int64_t before = std::max<int64_t>(Commits(State()), 0);
      const auto t0 = std::chrono::steady_clock::now();
      const pid_t pid = SpawnIndex(config, Lib());
      ASSERT_GT(pid, 0);
      int status = 0;
      bool finished = false;  // the run ended before the kill
      auto wait_until = [&](const std::function<bool()>& done) {
        while (!finished && !done()) {
          if (::waitpid(pid, &status, WNOHANG) == pid) finished = true;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      };
      int target_ms = 0, commit_ms = -1;
      if (kill % 5 == 4) {
        target_ms = std::uniform_int_distribution<int>(0, first_commit_ms)(rng);
      } else {
        const int share = std::uniform_int_distribution<int>(0, window_ms)(rng);
        wait_until([&] { return Commits(State()) > before; });
        commit_ms = ElapsedMs(t0);
        target_ms = commit_ms + share;
      }
      wait_until([&] { return ElapsedMs(t0) >= target_ms; });
      const int ms = ElapsedMs(t0);
      if (!finished) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
      } else if (commit_ms >= 0) {
        window_ms = std::max(100, ms - commit_ms);
      }
      const int64_t after = Commits(State());
      const int64_t committed = after - before;
      const std::string when = "phase " + std::to_string(phase) + ", kill " + std::to_string(kill) +
                               " after " + std::to_string(ms) + " ms";
      ExpectCatalogAndIndexAgree(State(), when, &open_paths);
      if (committed > 0) ++after_first_commit;
      if (finished) ++finished_first;
      std::cout << when << ": " << committed << " files committed by this run"
                << (finished ? " (it ended before the kill)" : "") << "\n";
    }
    CommandResult done = Vidx("index --json " + ShellQuote(Lib()), config);
    ASSERT_EQ(done.exit_code, 0) << done.err;
    json j = json::parse(done.out);
    EXPECT_EQ(j["embedded"].get<int>() + j["unchanged"].get<int>(), kFiles) << done.out;
    EXPECT_EQ(j["failed"], 0) << done.out;
    ExpectCatalogAndIndexAgree(State(), "after a complete run", &open_paths);
    json status = json::parse(Vidx("status --json", config).out);
    EXPECT_EQ(status["files"]["indexed"], kFiles);
    EXPECT_EQ(status["files"]["pending"], 0);
    EXPECT_EQ(status["vectors"], 20 * kFiles);
    EXPECT_FALSE(status["generation"]["active"].is_null());
    EXPECT_TRUE(status["generation"]["building"].is_null());
  }
  std::cout << 2 * kKillsPerPhase << " kills in " << ElapsedMs(started) / 1000.0
            << " s: " << after_first_commit << " after the run's first commit, " << finished_first
            << " after the run had ended; index opened:";
  for (const auto& [reason, n] : open_paths) std::cout << " " << n << "x " << reason << ";";
  std::cout << "\n";
  // Kills must hit committing runs, or the test proves little. Timing is calibrated, but a
  // loaded machine makes runs vary: the floor only catches a test that no longer kills where
  // it should.
  EXPECT_GE(after_first_commit, 2 * kKillsPerPhase / 3) << "kills mostly missed the commits";
}

}  // namespace
}  // namespace vidx
