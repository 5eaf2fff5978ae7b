// The command-line contract of docs/architecture.md §3, exercised through the real binary.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/run_command.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::RunCommand;
using testing::ShellQuote;

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        new fs::path(fs::temp_directory_path() / ("vidx_cli_test_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    // 6 s at 10 fps, a keyframe every second.
    video_ = new std::string((*dir_ / "clip.mp4").string());
    CommandResult made = RunCommand(
        "ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=160x90:rate=10:duration=6 "
        "-c:v libx264 -g 10 -pix_fmt yuv420p -y " +
        ShellQuote(*video_));
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete video_;
  }

  // Runs vidx with a config that does not exist unless given, so the user's /etc is ignored.
  static CommandResult Vidx(const std::string& args, const std::string& config = "") {
    std::string cfg = config;
    if (cfg.empty()) {
      cfg = (*dir_ / "default.yaml").string();
      std::ofstream(cfg) << "state_dir: " << (*dir_ / "state").string() << "\n";
    }
    return RunCommand(std::string(VIDX_BINARY) + " --config " + ShellQuote(cfg) + " " + args);
  }

  static std::string WriteConfig(const std::string& name, const std::string& text) {
    std::string path = (*dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  static fs::path* dir_;
  static std::string* video_;
};

fs::path* CliTest::dir_ = nullptr;
std::string* CliTest::video_ = nullptr;

TEST_F(CliTest, HelpListsEveryCommand) {
  CommandResult r = RunCommand(std::string(VIDX_BINARY) + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command :
       {"daemon", "index", "search", "status", "model", "frames", "reindex", "web"}) {
    EXPECT_NE(r.out.find(command), std::string::npos) << command << " missing from --help";
  }
  for (const char* sub :
       {"frames", "search", "index", "status", "model verify", "model embed", "model tokenize"}) {
    CommandResult h = RunCommand(std::string(VIDX_BINARY) + " " + sub + " --help");
    EXPECT_EQ(h.exit_code, 0) << sub;
    EXPECT_FALSE(h.out.empty()) << sub;
  }
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCommand(std::string(VIDX_BINARY) + " nonsense").exit_code, 2);
  EXPECT_EQ(RunCommand(std::string(VIDX_BINARY)).exit_code, 2);
  EXPECT_EQ(RunCommand(std::string(VIDX_BINARY) + " frames").exit_code, 2);
  EXPECT_EQ(RunCommand(std::string(VIDX_BINARY) + " search x -k 0").exit_code, 2);
  CommandResult embed = Vidx("model embed");
  EXPECT_EQ(embed.exit_code, 2);
  EXPECT_NE(embed.err.find("--text"), std::string::npos) << embed.err;
}

TEST_F(CliTest, ConfigErrorsExitTwoNamingFileLineAndKey) {
  std::string bad = WriteConfig("bad.yaml", "sampling:\n  fps: -1\n");
  CommandResult r = Vidx("frames " + ShellQuote(*video_), bad);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "vidx: " + bad + ":2:8: sampling.fps must be greater than 0 (got -1)\n");

  std::string unknown = WriteConfig("unknown.yaml", "samplin:\n  fps: 1\n");
  r = Vidx("frames " + ShellQuote(*video_), unknown);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(unknown + ":1:1: unknown key 'samplin'"), std::string::npos) << r.err;

  r = Vidx("frames " + ShellQuote(*video_), (*dir_ / "absent.yaml").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("absent.yaml does not exist"), std::string::npos) << r.err;
}

TEST_F(CliTest, ConfigFromEnvironment) {
  std::string bad = WriteConfig("env.yaml", "index:\n  factory: ''\n");
  CommandResult r = RunCommand("VIDX_CONFIG=" + ShellQuote(bad) + " " + VIDX_BINARY + " frames " +
                               ShellQuote(*video_));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(bad + ":2:12: index.factory must not be empty"), std::string::npos) << r.err;
}

TEST_F(CliTest, ReindexWithoutADaemonNamesTheSocket) {
  const std::string socket = (*dir_ / "absent.sock").string();
  std::string cfg = WriteConfig("nodaemon.yaml", "state_dir: " + (*dir_ / "state").string() +
                                                     "\ndaemon:\n  socket: " + socket +
                                                     "\nweb:\n  listen: \"\"\n");
  CommandResult r = Vidx("reindex", cfg);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no daemon answers on " + socket), std::string::npos) << r.err;
}

// A socket that exists but refuses the user (mode 0660, the client is nobody without groups)
// is reported, exit 1, instead of being taken for "no daemon" and searched locally.
TEST_F(CliTest, SearchReportsASocketThatRefusesTheUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the client as another user";
  if (RunCommand("command -v setpriv").exit_code != 0) GTEST_SKIP() << "setpriv is not installed";
  const std::string socket = (*dir_ / "refusing.sock").string();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(socket.size(), sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, socket.data(), socket.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::chmod(socket.c_str(), 0660), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  std::string cfg = WriteConfig("refusing.yaml", "state_dir: " + (*dir_ / "state").string() +
                                                     "\ndaemon:\n  socket: " + socket +
                                                     "\nweb:\n  listen: \"\"\n");
  CommandResult r =
      RunCommand("setpriv --reuid 65534 --regid 65534 --clear-groups " + std::string(VIDX_BINARY) +
                 " --config " + ShellQuote(cfg) + " search dog");
  ::close(fd);
  ::unlink(socket.c_str());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("the daemon's socket " + socket +
                       " refuses you (permission denied): join group vidx, or run as the vidx "
                       "user"),
            std::string::npos)
      << r.err;
}

TEST_F(CliTest, WebWithoutAListener) {
  std::string off = WriteConfig(
      "weboff.yaml", "state_dir: " + (*dir_ / "state").string() + "\nweb:\n  listen: \"\"\n");
  CommandResult r = Vidx("web", off);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(off + ":3:3: web.listen is empty, so the daemon runs no web listener"),
            std::string::npos)
      << r.err;
  std::string on = WriteConfig("webon.yaml", "state_dir: " + (*dir_ / "webstate").string() +
                                                 "\nweb:\n  listen: \"127.0.0.1:0\"\n");
  r = Vidx("web", on);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no daemon web listener is up (" + (*dir_ / "webstate").string() +
                       "/web.address does not exist"),
            std::string::npos)
      << r.err;
}

TEST_F(CliTest, DaemonRefusesToStartWithoutItsModel) {
  const std::string model = (*dir_ / "no-such-model").string();
  std::string cfg = WriteConfig(
      "nomodel.yaml", "state_dir: " + (*dir_ / "state").string() + "\nmodel:\n  path: " + model +
                          "\ndaemon:\n  socket: " + (*dir_ / "d.sock").string() +
                          "\nweb:\n  listen: \"127.0.0.1:0\"\n");
  CommandResult r = Vidx("daemon", cfg);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("model " + model + " is not usable"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(*dir_ / "d.sock"));
}

TEST_F(CliTest, FramesJson) {
  CommandResult r = Vidx("frames --json " + ShellQuote(*video_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["path"], *video_);
  EXPECT_NEAR(j["duration"].get<double>(), 6.0, 0.15);
  EXPECT_EQ(j["width"], 160);
  EXPECT_EQ(j["height"], 90);
  // fps 0.5 over 6 s: targets 0, 2, 4.
  ASSERT_EQ(j["frames"].size(), 3u) << r.out;
  EXPECT_NEAR(j["frames"][0]["t"].get<double>(), 0.0, 0.11);
  EXPECT_NEAR(j["frames"][1]["t"].get<double>(), 2.0, 0.11);
  EXPECT_NEAR(j["frames"][2]["t"].get<double>(), 4.0, 0.11);
}

TEST_F(CliTest, FramesFollowsSamplingConfig) {
  std::string cfg = WriteConfig("fps.yaml", "sampling:\n  fps: 2\n  max_frames: 5\n");
  CommandResult r = Vidx("frames --json " + ShellQuote(*video_), cfg);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["frames"].size(), 5u) << r.out;
}

TEST_F(CliTest, FramesOutWritesOnePngPerFrame) {
  fs::path out = *dir_ / "frames_out";
  CommandResult r = Vidx("frames " + ShellQuote(*video_) + " --out " + ShellQuote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 frames"), std::string::npos) << r.out;
  int pngs = 0;
  for (const auto& entry : fs::directory_iterator(out)) {
    if (entry.path().extension() != ".png") continue;
    ++pngs;
    std::ifstream in(entry.path(), std::ios::binary);
    char magic[8] = {};
    in.read(magic, 8);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << entry.path();
  }
  EXPECT_EQ(pngs, 3);
}

TEST_F(CliTest, FramesOnBadFileIsARuntimeFailureNamingIt) {
  std::string junk = (*dir_ / "junk.mp4").string();
  std::ofstream(junk) << "this is not a video at all";
  CommandResult r = Vidx("frames " + ShellQuote(junk));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(junk), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  r = Vidx("frames " + ShellQuote((*dir_ / "missing.mp4").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.mp4"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vidx
