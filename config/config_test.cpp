#include "config/config.h"
#include "config/listen_address.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace vidx {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vidx_config_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  // Parses `yaml` as if it came from "test.yaml" and returns the error message ("" if OK).
  std::string ErrorOf(const std::string& yaml) {
    auto config = ParseConfig(yaml, "test.yaml");
    return config.ok() ? std::string() : config.status().message();
  }

  fs::path dir_;
};

TEST_F(ConfigTest, EmptyDocumentGivesDefaults) {
  auto config = ParseConfig("", "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->state_dir, "/var/lib/vidx");
  EXPECT_DOUBLE_EQ(config->sampling.fps, 0.5);
  EXPECT_EQ(config->sampling.max_frames, 512);
  EXPECT_EQ(config->model.key_map, "hf");
  EXPECT_EQ(config->index.factory, "Flat");
}

// The example file documents the defaults: parsing it must give exactly the built-in values.
TEST_F(ConfigTest, ExampleFileEqualsBuiltInDefaults) {
  auto example = LoadConfigFile("config/vidx.example.yaml");
  ASSERT_TRUE(example.ok()) << example.status().message();
  auto defaults = ParseConfig("", "none");
  ASSERT_TRUE(defaults.ok());
  const Config& a = *example;
  const Config& b = *defaults;
  EXPECT_EQ(a.state_dir, b.state_dir);
  EXPECT_EQ(a.library.roots, b.library.roots);
  EXPECT_EQ(a.library.extensions, b.library.extensions);
  EXPECT_EQ(a.library.settle_seconds, b.library.settle_seconds);
  EXPECT_EQ(a.library.rescan_interval, b.library.rescan_interval);
  EXPECT_EQ(a.model.path, b.model.path);
  EXPECT_EQ(a.model.key_map, b.model.key_map);
  EXPECT_EQ(a.model.ignore_unexpected, b.model.ignore_unexpected);
  EXPECT_EQ(a.model.device, b.model.device);
  EXPECT_EQ(a.model.precision, b.model.precision);
  EXPECT_EQ(a.model.batch_size, b.model.batch_size);
  EXPECT_EQ(a.model.threads, b.model.threads);
  EXPECT_EQ(a.sampling.fps, b.sampling.fps);
  EXPECT_EQ(a.sampling.max_frames, b.sampling.max_frames);
  EXPECT_EQ(a.sampling.keyframe_tolerance, b.sampling.keyframe_tolerance);
  EXPECT_EQ(a.sampling.clip_frames, b.sampling.clip_frames);
  EXPECT_EQ(a.sampling.skip_similar, b.sampling.skip_similar);
  EXPECT_EQ(a.index.factory, b.index.factory);
  EXPECT_EQ(a.daemon.socket, b.daemon.socket);
  EXPECT_EQ(a.daemon.snapshot_interval, b.daemon.snapshot_interval);
  EXPECT_EQ(a.daemon.index_nice, b.daemon.index_nice);
  EXPECT_EQ(a.daemon.index_chunk_frames, b.daemon.index_chunk_frames);
  EXPECT_EQ(a.web.listen, b.web.listen);
  EXPECT_EQ(a.web.thumb_cache_mb, b.web.thumb_cache_mb);
  EXPECT_EQ(a.logging.level, b.logging.level);
}

TEST_F(ConfigTest, FullConfigIsRead) {
  std::string yaml = "state_dir: " + (dir_ / "state").string() +
                     "\n"
                     "library:\n"
                     "  roots: [" +
                     dir_.string() +
                     "]\n"
                     "  extensions: [.MP4, mkv]\n"
                     "  settle_seconds: 0\n"
                     "sampling:\n"
                     "  fps: 2\n"
                     "  keyframe_tolerance: 0.25\n"
                     "  clip_frames: 4\n"
                     "  skip_similar: 2.5\n"
                     "model:\n"
                     "  device: cuda:1\n"
                     "  precision: bf16\n"
                     "  ignore_unexpected: ['*.position_ids']\n"
                     "index: {factory: 'HNSW32'}\n";
  auto config = ParseConfig(yaml, "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->library.roots, std::vector<std::string>{dir_.string()});
  EXPECT_EQ(config->library.extensions, (std::vector<std::string>{"mp4", "mkv"}));
  EXPECT_DOUBLE_EQ(config->library.settle_seconds, 0);
  EXPECT_DOUBLE_EQ(config->sampling.fps, 2);
  EXPECT_DOUBLE_EQ(config->sampling.keyframe_tolerance, 0.25);
  EXPECT_EQ(config->sampling.clip_frames, 4);
  EXPECT_DOUBLE_EQ(config->sampling.skip_similar, 2.5);
  EXPECT_EQ(config->model.device, "cuda:1");
  EXPECT_EQ(config->model.precision, "bf16");
  EXPECT_EQ(config->model.ignore_unexpected, std::vector<std::string>{"*.position_ids"});
  EXPECT_EQ(config->index.factory, "HNSW32");
  EXPECT_EQ(config->source.Where("sampling.fps"), "test.yaml:7:3: ");
}

TEST_F(ConfigTest, UnknownKeyNamesKeyLineAndColumn) {
  EXPECT_EQ(ErrorOf("sampling:\n  fps: 1\n  fsp: 2\n"),
            "test.yaml:3:3: unknown key 'sampling.fsp' (expected one of: clip_frames, fps, "
            "keyframe_tolerance, max_frames, skip_similar)");
  EXPECT_EQ(ErrorOf("stat_dir: /tmp\n").rfind("test.yaml:1:1: unknown key 'stat_dir'", 0), 0u);
}

TEST_F(ConfigTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(ErrorOf("index:\n  factory: Flat\n  factory: HNSW32\n"),
            "test.yaml:3:3: key 'index.factory' appears twice");
}

TEST_F(ConfigTest, WrongTypes) {
  EXPECT_EQ(ErrorOf("sampling:\n  fps: fast\n"),
            "test.yaml:2:8: sampling.fps must be a number (got 'fast')");
  EXPECT_EQ(ErrorOf("sampling:\n  max_frames: 1.5\n"),
            "test.yaml:2:15: sampling.max_frames must be an integer (got '1.5')");
  EXPECT_EQ(ErrorOf("library:\n  roots: /srv/media\n"),
            "test.yaml:2:10: library.roots must be a list of strings (got '/srv/media')");
  EXPECT_EQ(ErrorOf("model: [a, b]\n"), "test.yaml:1:8: model must be a mapping of keys to values");
  EXPECT_EQ(ErrorOf("- a\n- b\n"),
            "test.yaml:1:1: the top level must be a mapping of keys to values");
}

TEST_F(ConfigTest, BadValues) {
  EXPECT_EQ(ErrorOf("sampling:\n  fps: -1\n"),
            "test.yaml:2:8: sampling.fps must be greater than 0 (got -1)");
  EXPECT_EQ(ErrorOf("sampling:\n  fps: 0\n"),
            "test.yaml:2:8: sampling.fps must be greater than 0 (got 0)");
  EXPECT_EQ(ErrorOf("sampling:\n  max_frames: 0\n"),
            "test.yaml:2:15: sampling.max_frames must be greater than 0");
  EXPECT_EQ(ErrorOf("sampling:\n  keyframe_tolerance: -2\n"),
            "test.yaml:2:23: sampling.keyframe_tolerance must be 'auto' or 0 or more seconds");
  EXPECT_EQ(ErrorOf("sampling:\n  clip_frames: 0\n"),
            "test.yaml:2:16: sampling.clip_frames must be 1 or more");
  EXPECT_EQ(ErrorOf("sampling:\n  skip_similar: 0\n"),
            "test.yaml:2:17: sampling.skip_similar must be 'off' or a number of grey levels "
            "greater than 0 and at most 255");
  EXPECT_EQ(ErrorOf("sampling:\n  skip_similar: yes\n"),
            "test.yaml:2:17: sampling.skip_similar must be 'off' or a number of grey levels "
            "(got 'yes')");
  EXPECT_EQ(ErrorOf("model:\n  device: gpu\n"),
            "test.yaml:2:11: model.device must be auto, cpu, cuda or cuda:N (got 'gpu')");
  EXPECT_EQ(
      ErrorOf("model:\n  precision: fp8\n"),
      "test.yaml:2:14: model.precision must be one of auto, bf16, fp16, fp32, int8 (got 'fp8')");
  EXPECT_EQ(ErrorOf("model:\n  device: cuda\n  precision: int8\n"),
            "test.yaml:3:14: model.precision int8 runs on the CPU only, so model.device must be "
            "cpu or auto (got 'cuda')");
  EXPECT_EQ(ErrorOf("model:\n  batch_size: 0\n"),
            "test.yaml:2:15: model.batch_size must be greater than 0");
  EXPECT_EQ(
      ErrorOf("model:\n  key_map: /nonexistent/rules.yaml\n")
          .rfind("test.yaml:2:12: model.key_map must be hf, openai, open_clip or the path", 0),
      0u);
  EXPECT_EQ(ErrorOf("logging:\n  level: loud\n").rfind("test.yaml:2:10: logging.level must be", 0),
            0u);
  EXPECT_EQ(ErrorOf("daemon:\n  socket: relative.sock\n"),
            "test.yaml:2:11: daemon.socket must be an absolute path");
}

TEST_F(ConfigTest, SnapshotInterval) {
  auto defaults = ParseConfig("", "test.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_DOUBLE_EQ(defaults->daemon.snapshot_interval, 60);
  auto set = ParseConfig("daemon:\n  snapshot_interval: 0.25\n", "test.yaml");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_DOUBLE_EQ(set->daemon.snapshot_interval, 0.25);
  EXPECT_EQ(ErrorOf("daemon:\n  snapshot_interval: 0\n"),
            "test.yaml:2:22: daemon.snapshot_interval must be greater than 0 seconds");
  EXPECT_EQ(ErrorOf("daemon:\n  snapshot_interval: -5\n"),
            "test.yaml:2:22: daemon.snapshot_interval must be greater than 0 seconds");
  EXPECT_EQ(ErrorOf("daemon:\n  snapshot_interval: .inf\n"),
            "test.yaml:2:22: daemon.snapshot_interval must be greater than 0 seconds");
}

TEST_F(ConfigTest, IndexNice) {
  auto defaults = ParseConfig("", "test.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->daemon.index_nice, 19);
  auto set = ParseConfig("daemon:\n  index_nice: 0\n", "test.yaml");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->daemon.index_nice, 0);
  EXPECT_EQ(ErrorOf("daemon:\n  index_nice: 20\n"),
            "test.yaml:2:15: daemon.index_nice must be 0 to 19");
}

TEST_F(ConfigTest, IndexChunkFrames) {
  auto defaults = ParseConfig("", "test.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->daemon.index_chunk_frames, 8);
  auto off = ParseConfig("daemon:\n  index_chunk_frames: 0\n", "test.yaml");
  ASSERT_TRUE(off.ok()) << off.status().message();
  EXPECT_EQ(off->daemon.index_chunk_frames, 0);
  EXPECT_EQ(ErrorOf("daemon:\n  index_chunk_frames: -1\n"),
            "test.yaml:2:23: daemon.index_chunk_frames must be 0 or more");
}

TEST_F(ConfigTest, WebKeys) {
  auto defaults = ParseConfig("", "test.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->web.listen, "127.0.0.1:8421");
  EXPECT_EQ(defaults->web.thumb_cache_mb, 256);
  for (const char* listen : {"127.0.0.1:0", "[::1]:8421", "0.0.0.0:80", "[::]:65535"}) {
    auto set = ParseConfig(std::string("web:\n  listen: \"") + listen + "\"\n", "test.yaml");
    ASSERT_TRUE(set.ok()) << set.status().message();
    EXPECT_EQ(set->web.listen, listen);
  }
  for (const char* off : {"web:\n  listen: \"\"\n", "web:\n  listen:\n"}) {
    auto set = ParseConfig(off, "test.yaml");
    ASSERT_TRUE(set.ok()) << set.status().message();
    EXPECT_EQ(set->web.listen, "") << off;
  }
  auto cache = ParseConfig("web:\n  thumb_cache_mb: 1\n", "test.yaml");
  ASSERT_TRUE(cache.ok()) << cache.status().message();
  EXPECT_EQ(cache->web.thumb_cache_mb, 1);
  for (const char* bad : {"localhost:8421", "127.0.0.1", "::1:8421", "[::1]8421", "1.2.3.4:65536",
                          "1.2.3.4:-1", "[fe80::1%eth0]:80", "127.0.0.1:http"}) {
    const std::string error = ErrorOf(std::string("web:\n  listen: \"") + bad + "\"\n");
    EXPECT_EQ(error.rfind("test.yaml:2:11: web.listen '" + std::string(bad) +
                              "' is not IPV4:PORT or [IPV6]:PORT",
                          0),
              0u)
        << error;
  }
  EXPECT_EQ(ErrorOf("web:\n  thumb_cache_mb: 0\n"),
            "test.yaml:2:19: web.thumb_cache_mb must be between 1 and 1048576 (got 0)");
  EXPECT_EQ(ErrorOf("web:\n  thumb_cache_mb: lots\n"),
            "test.yaml:2:19: web.thumb_cache_mb must be an integer (got 'lots')");
  EXPECT_EQ(ErrorOf("web:\n  port: 80\n"),
            "test.yaml:2:3: unknown key 'web.port' (expected one of: listen, thumb_cache_mb)");
}

TEST_F(ConfigTest, ListenAddressKinds) {
  auto v4 = ParseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->loopback);
  EXPECT_FALSE(v4->ipv6);
  EXPECT_EQ(v4->port, 0);
  auto any = ParseListenAddress("0.0.0.0:8421");
  ASSERT_TRUE(any.ok());
  EXPECT_FALSE(any->loopback);
  EXPECT_TRUE(any->unspecified);
  auto v6 = ParseListenAddress("[::1]:8421");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->ipv6 && v6->loopback);
  EXPECT_EQ(v6->ToString(), "[::1]:8421");
  auto mapped = ParseListenAddress("[::ffff:127.0.0.2]:1");
  ASSERT_TRUE(mapped.ok());
  EXPECT_TRUE(mapped->loopback);
  auto lan = ParseListenAddress("192.168.1.5:8421");
  ASSERT_TRUE(lan.ok());
  EXPECT_FALSE(lan->loopback || lan->unspecified);
  EXPECT_EQ(lan->ToString(), "192.168.1.5:8421");
}

TEST_F(ConfigTest, RootThatDoesNotExist) {
  EXPECT_EQ(ErrorOf("library:\n  roots: [/nonexistent/vidx/media]\n"),
            "test.yaml:2:10: library.roots entry '/nonexistent/vidx/media' is not an existing "
            "directory");
}

TEST_F(ConfigTest, InvalidYamlNamesPosition) {
  std::string error = ErrorOf("sampling:\n  fps: [1\n");
  EXPECT_EQ(error.rfind("test.yaml:", 0), 0u) << error;
  EXPECT_NE(error.find("is not valid YAML"), std::string::npos) << error;
}

TEST_F(ConfigTest, MissingFileIsNamed) {
  auto config = LoadConfigFile((dir_ / "absent.yaml").string());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(),
            "configuration file " + (dir_ / "absent.yaml").string() + " does not exist");
}

TEST_F(ConfigTest, StateDirIsCreated) {
  std::string state = (dir_ / "a" / "b" / "state").string();
  auto config = ParseConfig("state_dir: " + state + "\n", "test.yaml");
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(EnsureStateDir(*config).ok());
  EXPECT_TRUE(fs::is_directory(state));
}

TEST_F(ConfigTest, StateDirThatCannotBeCreated) {
  // A regular file where a parent directory should be: creation fails even for root.
  std::ofstream(dir_ / "file") << "x";
  std::string state = (dir_ / "file" / "state").string();
  auto config = ParseConfig("# comment\nstate_dir: " + state + "\n", "test.yaml");
  ASSERT_TRUE(config.ok());
  Status status = EnsureStateDir(*config);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind("test.yaml:2:1: state_dir '" + state + "' cannot be created", 0),
            0u)
      << status.message();
}

TEST_F(ConfigTest, StateDirWritableByOthersIsRefused) {
  const std::string state = (dir_ / "open_state").string();
  fs::create_directories(state);
  fs::permissions(state, fs::perms::all);  // 0777
  auto config = ParseConfig("state_dir: " + state + "\n", "test.yaml");
  ASSERT_TRUE(config.ok());
  Status status = EnsureStateDir(*config);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "test.yaml:1:1: state_dir '" + state +
                                  "' is writable by other users (mode 0777); refusing to use it "
                                  "(fix it with: chmod go-w " +
                                  state + ")");
  fs::permissions(state, fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
  EXPECT_TRUE(EnsureStateDir(*config).ok());
}

TEST_F(ConfigTest, StateDirOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a directory to another user";
  const std::string state = (dir_ / "their_state").string();
  fs::create_directories(state);
  ASSERT_EQ(::chown(state.c_str(), 65534, 65534), 0);
  auto config = ParseConfig("state_dir: " + state + "\n", "test.yaml");
  ASSERT_TRUE(config.ok());
  Status status = EnsureStateDir(*config);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "test.yaml:1:1: state_dir '" + state +
                                  "' is owned by uid 65534, not by uid 0 that runs vidx; refusing "
                                  "to use it (run vidx as its owner, or fix it with: chown -R 0 " +
                                  state + ")");
}

TEST_F(ConfigTest, NewStateDirIsNotGroupWritable) {
  const mode_t old = ::umask(0002);
  const std::string state = (dir_ / "fresh_state").string();
  auto config = ParseConfig("state_dir: " + state + "\n", "test.yaml");
  ASSERT_TRUE(config.ok());
  Status status = EnsureStateDir(*config);
  ::umask(old);
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST_F(ConfigTest, KeyMapRulesFile) {
  std::string rules = (dir_ / "rules.yaml").string();
  std::ofstream(rules) << "base: openai\n"
                          "rules:\n"
                          "  - {prefix: 'module.', to: ''}\n"
                          "  - {regex: '^backbone\\.(.*)$', to: 'visual.$1'}\n";
  auto config = ParseConfig("model:\n  key_map: " + rules + "\n", "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->model.key_map, rules);
  EXPECT_EQ(config->model.key_map_base, "openai");
  ASSERT_EQ(config->model.key_map_rules.size(), 2u);
  EXPECT_EQ(config->model.key_map_rules[0].kind, RenameRule::Kind::kPrefix);
  EXPECT_EQ(config->model.key_map_rules[0].from, "module.");
  EXPECT_EQ(config->model.key_map_rules[0].to, "");
  EXPECT_EQ(config->model.key_map_rules[1].kind, RenameRule::Kind::kRegex);
  EXPECT_EQ(config->model.key_map_rules[1].from, "^backbone\\.(.*)$");
  EXPECT_EQ(config->model.key_map_rules[1].to, "visual.$1");

  auto builtin = ParseConfig("model:\n  key_map: open_clip\n", "test.yaml");
  ASSERT_TRUE(builtin.ok());
  EXPECT_EQ(builtin->model.key_map_base, "open_clip");
  EXPECT_TRUE(builtin->model.key_map_rules.empty());
}

TEST_F(ConfigTest, KeyMapRulesFileErrorsNameTheRulesFile) {
  std::string rules = (dir_ / "rules.yaml").string();
  std::ofstream(rules) << "base: timm\n";
  EXPECT_EQ(ErrorOf("model:\n  key_map: " + rules + "\n"),
            rules + ":1:7: base must be hf, openai or open_clip (got 'timm')");
  std::ofstream(rules, std::ios::trunc) << "rules:\n  - {prefix: 'a.'}\n";
  EXPECT_EQ(ErrorOf("model:\n  key_map: " + rules + "\n"), rules + ":2:5: a rule needs 'to'");
  std::ofstream(rules, std::ios::trunc) << "rules:\n  - {prefix: 'a.', to: 'b.', x: 1}\n";
  EXPECT_EQ(ErrorOf("model:\n  key_map: " + rules + "\n")
                .rfind(rules + ":2:30: unknown key 'rules[].x'", 0),
            0u);
}

TEST_F(ConfigTest, ResolveConfigPathOrder) {
  bool explicit_choice = false;
  ::unsetenv("VIDX_CONFIG");
  EXPECT_EQ(ResolveConfigPath("", &explicit_choice), "/etc/vidx/vidx.yaml");
  EXPECT_FALSE(explicit_choice);
  ::setenv("VIDX_CONFIG", "/tmp/env.yaml", 1);
  EXPECT_EQ(ResolveConfigPath("", &explicit_choice), "/tmp/env.yaml");
  EXPECT_TRUE(explicit_choice);
  EXPECT_EQ(ResolveConfigPath("/tmp/cli.yaml", &explicit_choice), "/tmp/cli.yaml");
  EXPECT_TRUE(explicit_choice);
  ::unsetenv("VIDX_CONFIG");
}

}  // namespace
}  // namespace vidx
