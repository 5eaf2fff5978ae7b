// Scale-out without Slurm: `vidx index --shard I/N` runs and `vidx merge` through the real
// binary (tiny CLIP model, generated videos), compared with one `vidx index` of the same
// library; refusals of foreign, incomplete and unfinished shard sets; an incremental run
// with --known; and kill -9 of `vidx merge` at random moments, then a rerun, compared with an
// uninterrupted merge record by record. The same under a real Slurm: tests/slurm_test.cpp.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "search/catalog.h"
#include "tests/daemon_process.h"
#include "tests/random_file_result.h"
#include "tests/run_command.h"
#include "tests/scale_out_support.h"
#include "tests/state_check.h"
#include "tests/tiny_library.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::RunCommand;
using testing::ShellQuote;

constexpr int kVideos = 6;
constexpr int kShards = 3;

class ScaleOutTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lib_ = new testing::ScaleOutLibrary;
    const std::string dir =
        (fs::temp_directory_path() / ("vidx_scale_out_" + std::to_string(::getpid()))).string();
    fs::remove_all(dir);
    error_ = new std::string(testing::MakeScaleOutLibrary(dir, kVideos, lib_));
  }
  static void TearDownTestSuite() {
    fs::remove_all(lib_->dir);
    delete lib_;
    delete error_;
  }
  void SetUp() override {
    ASSERT_EQ(*error_, "");
    work_ = fs::path(lib_->dir) / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(work_);
    fs::create_directories(work_);
  }

  std::string Path(const std::string& name) const { return (work_ / name).string(); }
  // A configuration whose state_dir is work/<state> (written once per name).
  std::string Config(const std::string& state, const std::string& model = "",
                     const std::string& library = "") {
    const std::string path = Path(state + ".yaml");
    testing::WriteScaleOutConfig(path, Path(state), model.empty() ? lib_->model : model,
                                 library.empty() ? lib_->library : library);
    return path;
  }
  CommandResult Vidx(const std::string& config, const std::string& args) {
    return RunCommand(std::string(VIDX_BINARY) + " --config " + ShellQuote(config) + " " + args);
  }
  nlohmann::json VidxJson(const std::string& config, const std::string& args) {
    CommandResult r = Vidx(config, args + " --json");
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  // Shard `i` of kShards of `library` into work/<prefix>-<i>; returns the index summary.
  nlohmann::json IndexShard(const std::string& prefix, int i, const std::string& model = "",
                            const std::string& library = "", const std::string& known = "") {
    const std::string config = Config(prefix + "-cfg", model, library);
    return VidxJson(config, "index --shard " + std::to_string(i) + "/" + std::to_string(kShards) +
                                " --state-dir " +
                                ShellQuote(Path(prefix + "-" + std::to_string(i))) +
                                (known.empty() ? "" : " --known " + ShellQuote(known)) + " " +
                                ShellQuote(library.empty() ? lib_->library : library));
  }
  std::string ShardDirs(const std::string& prefix, int n = kShards) {
    std::string dirs;
    for (int i = 0; i < n; ++i) dirs += " " + ShellQuote(Path(prefix + "-" + std::to_string(i)));
    return dirs;
  }
  testing::IndexSummary Summary(const std::string& state,
                                const std::vector<std::string>& pictures) {
    std::string error;
    testing::IndexSummary s =
        testing::SummariseIndex(VIDX_BINARY, Config(state), Path(state), pictures, &error);
    EXPECT_EQ(error, "") << state;
    return s;
  }
  void ExpectSameIndex(const testing::IndexSummary& a, const testing::IndexSummary& b) {
    EXPECT_EQ(a.files, b.files);
    EXPECT_EQ(a.vectors, b.vectors);
    EXPECT_EQ(a.fingerprint, b.fingerprint);
    ASSERT_EQ(a.top.size(), b.top.size());
    for (size_t i = 0; i < a.top.size(); ++i) {
      EXPECT_EQ(a.top[i].path, b.top[i].path) << "picture " << i;
      EXPECT_EQ(a.top[i].start, b.top[i].start) << "picture " << i;
      EXPECT_EQ(a.top[i].end, b.top[i].end) << "picture " << i;
    }
  }

  static testing::ScaleOutLibrary* lib_;
  static std::string* error_;
  fs::path work_;
};

testing::ScaleOutLibrary* ScaleOutTest::lib_ = nullptr;
std::string* ScaleOutTest::error_ = nullptr;

TEST_F(ScaleOutTest, MergedShardsEqualOneMachineIndex) {
  ASSERT_EQ(Vidx(Config("single"), "index " + ShellQuote(lib_->library)).exit_code, 0);
  int64_t embedded = 0;
  for (int i = 0; i < kShards; ++i) embedded += IndexShard("shard", i)["embedded"].get<int64_t>();
  EXPECT_EQ(embedded, kVideos) << "every file is in exactly one shard";
  nlohmann::json merged =
      VidxJson(Config("merged"), "merge --into " + ShellQuote(Path("merged")) + ShardDirs("shard"));
  EXPECT_EQ(merged["added"], kVideos);
  EXPECT_EQ(merged["shards"], kShards);
  ExpectSameIndex(Summary("merged", lib_->pictures), Summary("single", lib_->pictures));
  std::vector<std::string> problems;
  testing::StateView view = testing::CheckState(Path("merged"), "Flat", &problems);
  EXPECT_TRUE(problems.empty()) << problems.front();
  nlohmann::json status = VidxJson(Config("merged"), "status");
  EXPECT_EQ(status["files"]["indexed"], kVideos);

  // The daemon serves the merged state directory as it is: nothing re-embedded, the same hits.
  {
    const std::map<std::string, std::string> before = testing::DumpCatalog(Path("merged"));
    testing::DaemonConfig dc;
    dc.state_dir = Path("merged");
    dc.library = lib_->library;
    dc.socket = Path("daemon.sock");
    dc.model = lib_->model;
    const std::string config = Path("daemon.yaml");
    testing::WriteDaemonConfig(config, dc);
    testing::DaemonProcess daemon(VIDX_BINARY, config, dc.socket, Path("daemon.log"));
    ASSERT_TRUE(daemon.Start()) << daemon.Log();
    ASSERT_TRUE(daemon.WaitIdle(kVideos, 0, 120)) << daemon.Log();
    std::string error;
    testing::IndexSummary served =
        testing::SummariseIndex(VIDX_BINARY, config, Path("merged"), lib_->pictures, &error);
    EXPECT_EQ(error, "");
    ExpectSameIndex(served, Summary("single", lib_->pictures));
    EXPECT_EQ(daemon.Stop(), 0) << daemon.Log();
    EXPECT_EQ(testing::DumpCatalog(Path("merged")), before) << "the daemon re-embedded files";
  }

  // A repeated merge changes nothing.
  nlohmann::json again =
      VidxJson(Config("merged"), "merge --into " + ShellQuote(Path("merged")) + ShardDirs("shard"));
  EXPECT_EQ(again["added"], 0);
  EXPECT_EQ(again["unchanged"], kVideos);
}

TEST_F(ScaleOutTest, MergeRefusesForeignIncompleteAndUnfinishedShards) {
  for (int i = 0; i < kShards - 1; ++i) IndexShard("shard", i);
  IndexShard("shard", kShards - 1, lib_->other_model);
  const std::string target = Path("merged");
  CommandResult r =
      Vidx(Config("merged"), "merge --into " + ShellQuote(target) + ShardDirs("shard"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(Path("shard-2")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fingerprint"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(fs::path(target) / "catalog")) << "a refused merge writes nothing";

  r = Vidx(Config("merged"), "merge --into " + ShellQuote(target) + ShardDirs("shard", 2));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("shards 2 of 3 are missing"), std::string::npos) << r.err;
  nlohmann::json partial =
      VidxJson(Config("merged"),
               "merge --allow-incomplete --into " + ShellQuote(target) + ShardDirs("shard", 2));
  EXPECT_EQ(partial["missing"], nlohmann::json::array({2}));

  {  // A target in use (its catalog lock held, as a daemon holds it) is refused.
    StatusOr<std::unique_ptr<Catalog>> held = Catalog::Open(target);
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    r = Vidx(Config("merged"),
             "merge --allow-incomplete --into " + ShellQuote(target) + ShardDirs("shard", 2));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("is in use"), std::string::npos) << r.err;
  }

  fs::remove(fs::path(Path("shard-1")) / "shard");
  r = Vidx(Config("merged"), "merge --into " + ShellQuote(target) + ShardDirs("shard", 2));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a finished shard"), std::string::npos) << r.err;
}

TEST_F(ScaleOutTest, IncrementalRunEmbedsOnlyWhatChanged) {
  const std::string lib = Path("lib");
  fs::create_directories(lib);
  for (const std::string& v : lib_->videos)
    fs::copy_file(v, fs::path(lib) / fs::path(v).filename());
  for (int i = 0; i < kShards; ++i) IndexShard("night1", i, "", lib);
  const std::string merged = Path("merged");
  VidxJson(Config("merged", "", lib), "merge --into " + ShellQuote(merged) + ShardDirs("night1"));

  // A day's changes: one new video, one renamed, one deleted.
  std::vector<std::string> extra;
  ASSERT_EQ(testing::MakeVideos(Path("extra"), kVideos + 1, 2, &extra), "");
  fs::copy_file(extra.back(), fs::path(lib) / "new.mp4");
  fs::rename(fs::path(lib) / "v0.mp4", fs::path(lib) / "renamed.mp4");
  fs::remove(fs::path(lib) / "v1.mp4");

  int64_t embedded = 0, renamed = 0, unchanged = 0;
  for (int i = 0; i < kShards; ++i) {
    nlohmann::json j = IndexShard("night2", i, "", lib, merged);
    embedded += j["embedded"].get<int64_t>();
    renamed += j["renamed"].get<int64_t>();
    unchanged += j["unchanged"].get<int64_t>();
  }
  EXPECT_EQ(embedded, 1) << "only the new file is embedded";
  EXPECT_EQ(renamed, 1);
  EXPECT_EQ(unchanged, kVideos - 2);
  nlohmann::json m = VidxJson(Config("merged", "", lib),
                              "merge --into " + ShellQuote(merged) + ShardDirs("night2"));
  EXPECT_EQ(m["removed"], 2) << "the deleted file and the renamed file's old path";

  ASSERT_EQ(Vidx(Config("single", "", lib), "index " + ShellQuote(lib)).exit_code, 0);
  std::vector<std::string> pictures(lib_->pictures.begin() + 2, lib_->pictures.end());
  ExpectSameIndex(Summary("merged", pictures), Summary("single", pictures));
}

// Synthetic shards written through the Catalog API: enough vectors that a merge takes a
// while, so random kill points fall inside it.
void WriteSyntheticShard(const std::string& dir, int index, int files, int per_file) {
  constexpr uint32_t kDim = 512;
  const std::string fingerprint = "synthetic-fingerprint";
  StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(dir);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  StatusOr<Generation> g = (*c)->CreateGeneration(fingerprint, kDim);
  ASSERT_TRUE(g.ok());
  std::mt19937 rng(static_cast<uint32_t>(index));
  for (int f = 0; f < files; ++f) {
    FileResult r = testing::RandomFileResult(per_file, kDim, &rng);
    r.file.path = "/synthetic/shard" + std::to_string(index) + "/f" + std::to_string(f) + ".mp4";
    r.file.size = 1000 + f;
    r.file.mtime_ns = 1;
    r.content_hash = std::to_string(index) + "-" + std::to_string(f);
    ASSERT_TRUE((*c)->CommitFile(fingerprint, r).ok());
  }
  ASSERT_TRUE((*c)->SetActive(g->id).ok());
  std::ofstream(fs::path(dir) / "shard")
      << "vidx-shard 1\nshard " << index << "\ncount 3\n"
      << "fingerprint " << fingerprint << "\ndimension " << kDim << "\n";
}

TEST_F(ScaleOutTest, KilledMergeRerunEndsLikeUninterruptedMerge) {
  for (int i = 0; i < kShards; ++i)
    WriteSyntheticShard(Path("syn-" + std::to_string(i)), i, 200, 25);
  const std::string config = Config("reference");
  const std::string merge_args = "merge --into ";
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(Vidx(config, merge_args + ShellQuote(Path("reference")) + ShardDirs("syn")).exit_code,
            0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::map<std::string, std::string> reference = testing::DumpCatalog(Path("reference"));
  ASSERT_EQ(reference.count("error"), 0u) << reference.at("error");

  const unsigned seed = static_cast<unsigned>(std::random_device()());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> when(0, seconds);
  int killed_inside = 0;
  for (int round = 0; round < 4; ++round) {
    const std::string target = Path("killed-" + std::to_string(round));
    const double delay = when(rng);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const std::string cmd = std::string("exec ") + VIDX_BINARY + " --config " +
                              ShellQuote(config) + " " + merge_args + ShellQuote(target) +
                              ShardDirs("syn") + " >/dev/null 2>&1";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    ::kill(pid, SIGKILL);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    if (WIFSIGNALED(wstatus)) ++killed_inside;
    CommandResult r = Vidx(config, merge_args + ShellQuote(target) + ShardDirs("syn"));
    ASSERT_EQ(r.exit_code, 0) << "seed " << seed << " round " << round << ": " << r.err;
    EXPECT_EQ(testing::DumpCatalog(target), reference)
        << "seed " << seed << ", killed after " << delay << " s";
    std::vector<std::string> problems;
    testing::CheckState(target, "Flat", &problems);
    EXPECT_TRUE(problems.empty()) << problems.front();
  }
  std::printf("merge took %.2f s; %d of 4 kills hit a running merge (seed %u)\n", seconds,
              killed_inside, seed);
  EXPECT_GT(killed_inside, 0);
}

}  // namespace
}  // namespace vidx
