// Scale-out under a real Slurm: a private single-node cluster (munged, slurmctld and slurmd
// started by tests/slurm_cluster.sh in a temporary directory, stopped afterwards) runs
// deploy/slurm/submit.sh — the array job with 3 shards and the merge job that depends on it —
// over a generated library; the merged state directory must equal a one-machine `vidx index`
// of the same library (files, vector count, top-1 file and moment of an --image query per
// file). A shard made with another model is refused by merge. Skipped, with the reason, where
// Slurm or munge is not installed or the test does not run as root.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/run_command.h"
#include "tests/scale_out_support.h"
#include "tests/state_check.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::RunCommand;
using testing::ShellQuote;

constexpr int kVideos = 6;

class SlurmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vidx_slurm_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cluster_ = (dir_ / "cluster").string();
    CommandResult r =
        RunCommand("bash " + ShellQuote(std::string(VIDX_SOURCE_DIR) + "/tests/slurm_cluster.sh") +
                   " start " + ShellQuote(cluster_));
    if (r.exit_code == 77) GTEST_SKIP() << r.err;
    ASSERT_EQ(r.exit_code, 0) << "the test cluster did not start: " << r.err;
    started_ = true;
    slurm_env_ = "SLURM_CONF=" + ShellQuote(cluster_ + "/slurm.conf") + " ";
    ASSERT_EQ(testing::MakeScaleOutLibrary(dir_.string(), kVideos, &lib_), "");
  }
  void TearDown() override {
    if (started_) {
      RunCommand("bash " + ShellQuote(std::string(VIDX_SOURCE_DIR) + "/tests/slurm_cluster.sh") +
                 " stop " + ShellQuote(cluster_));
    }
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Config(const std::string& state, const std::string& model = "") {
    const std::string path = Path(state + ".yaml");
    testing::WriteScaleOutConfig(path, Path(state), model.empty() ? lib_.model : model,
                                 lib_.library);
    return path;
  }
  // The state of job `id` (scontrol's JobState; for an array job, one word per task).
  std::string JobStates(const std::string& id) {
    CommandResult r = RunCommand(slurm_env_ + "scontrol -o show job " + id);
    std::string states;
    for (size_t at = r.out.find("JobState="); at != std::string::npos;
         at = r.out.find("JobState=", at + 1)) {
      const size_t end = r.out.find(' ', at);
      states += r.out.substr(at + 9, end - at - 9) + " ";
      const size_t reason = r.out.find("Reason=", at);
      if (reason != std::string::npos &&
          r.out.compare(reason, 32, "Reason=DependencyNeverSatisfied") == 0) {
        states += "NEVER ";
      }
    }
    return states;
  }
  std::string Logs() {
    CommandResult r = RunCommand("tail -n 20 " + ShellQuote(Path("shards")) + "/*.out " +
                                 ShellQuote(cluster_) + "/slurmctld.log 2>&1");
    return r.out;
  }

  fs::path dir_;
  std::string cluster_;
  std::string slurm_env_;
  bool started_ = false;
  testing::ScaleOutLibrary lib_;
};

TEST_F(SlurmTest, ArrayJobAndMergeEqualOneMachineIndex) {
  ASSERT_EQ(RunCommand(std::string(VIDX_BINARY) + " --config " + ShellQuote(Config("single")) +
                       " index " + ShellQuote(lib_.library))
                .exit_code,
            0);
  const std::string submit =
      slurm_env_ + "VIDX=" + ShellQuote(VIDX_BINARY) +
      " VIDX_CONFIG=" + ShellQuote(Config("merged")) + " VIDX_LIBRARY=" + ShellQuote(lib_.library) +
      " VIDX_SHARDS_DIR=" + ShellQuote(Path("shards")) +
      " VIDX_STATE_DIR=" + ShellQuote(Path("merged")) + " bash " +
      ShellQuote(std::string(VIDX_SOURCE_DIR) + "/deploy/slurm/submit.sh") +
      " --shards 3 --throttle 2 -- --cpus-per-task=1 --mem=1G";  // the scripts ask for more
  CommandResult r = RunCommand(submit);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream ids(r.out);
  std::string index_job, merge_job;
  ids >> index_job >> merge_job;
  ASSERT_FALSE(merge_job.empty()) << r.out;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  std::string state;
  for (;;) {
    state = JobStates(merge_job);
    if (state.find("COMPLETED") != std::string::npos || state.find("FAILED") != std::string::npos ||
        state.find("CANCELLED") != std::string::npos || state.find("NEVER") != std::string::npos ||
        std::chrono::steady_clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_EQ(state, "COMPLETED ") << "array job: " << JobStates(index_job) << "\n"
                                 << RunCommand(slurm_env_ + "scontrol -o show job " + merge_job).out
                                 << Logs();
  EXPECT_EQ(JobStates(index_job), "COMPLETED COMPLETED COMPLETED ");
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(fs::exists(fs::path(Path("shards")) / ("shard-" + std::to_string(i)) / "shard"));
  }

  std::string error;
  testing::IndexSummary merged =
      testing::SummariseIndex(VIDX_BINARY, Config("merged"), Path("merged"), lib_.pictures, &error);
  ASSERT_EQ(error, "");
  testing::IndexSummary single =
      testing::SummariseIndex(VIDX_BINARY, Config("single"), Path("single"), lib_.pictures, &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(merged.files, single.files);
  EXPECT_EQ(merged.files.size(), static_cast<size_t>(kVideos));
  EXPECT_EQ(merged.vectors, single.vectors);
  EXPECT_EQ(merged.fingerprint, single.fingerprint);
  ASSERT_EQ(merged.top.size(), single.top.size());
  for (size_t i = 0; i < merged.top.size(); ++i) {
    EXPECT_EQ(merged.top[i].path, single.top[i].path) << "picture " << i;
    EXPECT_EQ(merged.top[i].start, single.top[i].start) << "picture " << i;
    EXPECT_EQ(merged.top[i].end, single.top[i].end) << "picture " << i;
  }
  std::vector<std::string> problems;
  testing::CheckState(Path("merged"), "Flat", &problems);
  EXPECT_TRUE(problems.empty()) << problems.front();

  // A shard of another fingerprint (another checkpoint) is refused, naming it.
  const std::string foreign = Path("foreign-shard-2");
  r = RunCommand(
      std::string(VIDX_BINARY) + " --config " + ShellQuote(Config("foreign", lib_.other_model)) +
      " index --shard 2/3 --state-dir " + ShellQuote(foreign) + " " + ShellQuote(lib_.library));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCommand(std::string(VIDX_BINARY) + " --config " + ShellQuote(Config("merged")) +
                 " merge --into " + ShellQuote(Path("merged2")) + " " +
                 ShellQuote(Path("shards") + "/shard-0") + " " +
                 ShellQuote(Path("shards") + "/shard-1") + " " + ShellQuote(foreign));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(foreign), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(single.fingerprint), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vidx
