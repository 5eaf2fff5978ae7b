// The front binary `vidx` (cli/front_main.cpp) against the full one, `vidx-core`: the front links
// none of the heavy libraries; with a daemon answering, search, status, web and reindex run without
// the dynamic loader ever opening LibTorch, FAISS or RocksDB (LD_DEBUG=files lists every object
// it maps); help, the version and configuration errors neither; with no daemon the command line
// is handed to vidx-core, which answers the same, and every usage error reads as vidx-core's own.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon_process.h"
#include "tests/run_command.h"
#include "tests/tiny_library.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::DaemonProcess;
using testing::RunCommand;
using testing::ShellQuote;

// Sonames of the libraries the front binary must not load.
const char* const kHeavy[] = {"libtorch",    "libc10",     "libfaiss",  "librocksdb",
                              "libavformat", "libavcodec", "libswscale"};

std::string Core() { return (fs::path(VIDX_BINARY).parent_path() / "vidx-core").string(); }

// The heavy sonames that `text` names.
std::vector<std::string> HeavyIn(const std::string& text) {
  std::vector<std::string> found;
  for (const char* name : kHeavy) {
    if (text.find(name) != std::string::npos) found.push_back(name);
  }
  return found;
}

class FrontCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("vidx_front_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_ / "lib");
    const std::string models = testing::MakeTinyModels(VIDX_TINY_MODELS_DIR, dir_->string());
    ASSERT_TRUE(models.empty()) << models;
    std::vector<std::string> videos;
    const std::string made = testing::MakeVideos((*dir_ / "lib").string(), 2, 2, &videos);
    ASSERT_TRUE(made.empty()) << made;
    testing::DaemonConfig c;
    c.state_dir = (*dir_ / "state").string();
    c.library = (*dir_ / "lib").string();
    c.socket = (*dir_ / "vidx.sock").string();
    c.model = (*dir_ / "tiny_c").string();
    testing::WriteDaemonConfig(ConfigPath(), c);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static std::string ConfigPath() { return (*dir_ / "vidx.yaml").string(); }
  static std::string Socket() { return (*dir_ / "vidx.sock").string(); }

  // `binary --config CONFIG args` with LD_DEBUG=files: stderr lists what the loader maps.
  static CommandResult Traced(const std::string& binary, const std::string& args) {
    return RunCommand("LD_DEBUG=files " + ShellQuote(binary) + " --config " +
                      ShellQuote(ConfigPath()) + " " + args);
  }

  static fs::path* dir_;
};

fs::path* FrontCliTest::dir_ = nullptr;

TEST_F(FrontCliTest, FrontBinaryLinksNoHeavyLibrary) {
  CommandResult front = RunCommand("readelf -d " + ShellQuote(VIDX_BINARY));
  ASSERT_EQ(front.exit_code, 0) << front.err;
  ASSERT_NE(front.out.find("(NEEDED)"), std::string::npos) << front.out;
  EXPECT_TRUE(HeavyIn(front.out).empty()) << front.out;
  CommandResult core = RunCommand("readelf -d " + ShellQuote(Core()));
  ASSERT_EQ(core.exit_code, 0) << core.err;
  EXPECT_NE(core.out.find("libtorch"), std::string::npos) << "vidx-core should link LibTorch";
}

TEST_F(FrontCliTest, DaemonAnswersWithoutLibTorchAndVidxCoreAnswersTheSameWithout) {
  // Without a daemon: handed to vidx-core, which loads the model and opens the catalog.
  {
    CommandResult r = Traced(VIDX_BINARY, "status --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(HeavyIn(r.err).empty()) << "status without a daemon is vidx-core's work";
  }
  auto daemon = std::make_unique<DaemonProcess>(VIDX_BINARY, ConfigPath(), Socket(),
                                                (*dir_ / "daemon.log").string());
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(daemon->WaitIdle(2, 0, 240)) << daemon->Log();

  CommandResult through = Traced(VIDX_BINARY, "search red --json");
  ASSERT_EQ(through.exit_code, 0) << through.err;
  ASSERT_NE(through.err.find("file="), std::string::npos) << "LD_DEBUG=files printed nothing";
  EXPECT_TRUE(HeavyIn(through.err).empty()) << through.err;
  const json answer = json::parse(through.out, nullptr, false);
  ASSERT_TRUE(answer.is_object()) << through.out;
  ASSERT_EQ(answer["results"].size(), 2u) << through.out;

  for (const char* args : {"status --json", "status", "search red", "web", "reindex"}) {
    CommandResult r = Traced(VIDX_BINARY, args);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
    EXPECT_TRUE(HeavyIn(r.err).empty()) << args << ": " << r.err;
  }
  ASSERT_TRUE(daemon->WaitIdle(2, 0, 240)) << daemon->Log();
  EXPECT_EQ(daemon->Stop(), 0) << daemon->Log();

  // The same question once the daemon is gone: vidx-core answers it from the state directory.
  CommandResult alone = Traced(VIDX_BINARY, "search red --json");
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_FALSE(HeavyIn(alone.err).empty()) << "a search without a daemon is vidx-core's work";
  const json local = json::parse(alone.out, nullptr, false);
  ASSERT_TRUE(local.is_object()) << alone.out;
  ASSERT_EQ(local["results"].size(), answer["results"].size()) << alone.out;
  for (size_t i = 0; i < local["results"].size(); ++i) {
    EXPECT_EQ(local["results"][i]["path"], answer["results"][i]["path"]) << i;
  }
}

TEST_F(FrontCliTest, HelpVersionAndConfigurationErrorsLoadNoHeavyLibrary) {
  const std::string bad = (*dir_ / "bad.yaml").string();
  std::ofstream(bad) << "sampling:\n  fps: -1\n";
  struct Case {
    std::string args;
    int exit_code;
  };
  const std::vector<Case> cases = {{"--help", 0},
                                   {"search --help", 0},
                                   {"model verify --help", 0},
                                   {"--version", 0},
                                   {"--config " + ShellQuote(bad) + " index /x", 2},
                                   {"--config " + ShellQuote(bad) + " search x", 2},
                                   {"nonsense", 2},
                                   {"search x -k 0", 2}};
  for (const Case& c : cases) {
    CommandResult r = RunCommand("LD_DEBUG=files " + ShellQuote(VIDX_BINARY) + " " + c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args << ": " << r.err;
    EXPECT_TRUE(HeavyIn(r.err).empty()) << c.args << ": " << r.err;
  }
  CommandResult version = RunCommand(ShellQuote(VIDX_BINARY) + " --version");
  for (const char* part : {"vidx 0.", "(git ", "LibTorch ", "FAISS ", "FFmpeg ", "RocksDB "}) {
    EXPECT_NE(version.out.find(part), std::string::npos) << part << " missing: " << version.out;
  }
  EXPECT_EQ(version.out.find("unknown,"), std::string::npos) << version.out;
}

// With no daemon, what the front prints and returns is what vidx-core does for the same words.
TEST_F(FrontCliTest, WithoutADaemonTheFrontReadsAsVidxCore) {
  const std::string bad = (*dir_ / "bad2.yaml").string();
  std::ofstream(bad) << "samplin:\n  fps: 1\n";
  const std::string absent_socket_config = (*dir_ / "absent.yaml").string();
  std::ofstream(absent_socket_config) << "daemon:\n  socket: " << (*dir_ / "none.sock").string()
                                      << "\nstate_dir: " << (*dir_ / "none_state").string() << "\n";
  const std::vector<std::string> cases = {
      "",
      "--help",
      "search --help",
      "nonsense",
      "search",
      "search x -k 0",
      "model embed",
      "frames",
      "--config " + ShellQuote(bad) + " status",
      "--config " + ShellQuote((*dir_ / "missing.yaml").string()) + " status",
      "--config " + ShellQuote(absent_socket_config) + " reindex",
      "--config " + ShellQuote(absent_socket_config) + " web",
      "--config " + ShellQuote(absent_socket_config) + " search hello",
      "--config " + ShellQuote(absent_socket_config) + " frames " +
          ShellQuote((*dir_ / "absent.mp4").string()),
  };
  for (const std::string& args : cases) {
    CommandResult front = RunCommand(ShellQuote(VIDX_BINARY) + " " + args);
    CommandResult core = RunCommand(ShellQuote(Core()) + " " + args);
    EXPECT_EQ(front.exit_code, core.exit_code) << args;
    EXPECT_EQ(front.out, core.out) << args;
    EXPECT_EQ(front.err, core.err) << args;
  }
}

}  // namespace
}  // namespace vidx
