// model.precision is part of the fingerprint: a library indexed by the real `vidx daemon` with
// the tiny model at `precision: int8` and then switched back to fp32 (SIGHUP) reindexes
// blue/green like any other fingerprint change — the int8 generation answers every search
// until the fp32 one holds every file, then fp32 answers; the vectors served afterwards are the
// fp32 model's own.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "search/catalog.h"
#include "tests/daemon_process.h"
#include "tests/run_command.h"
#include "tests/search_recorder.h"
#include "tests/temp_dir.h"
#include "tests/tiny_library.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(PrecisionSwitchTest, Int8ThenFp32ReindexesBlueGreen) {
  ASSERT_TRUE(fs::exists(testing::kClipVocab))
      << testing::kClipVocab << " is missing (see ../shared/data/clip/README.md)";
  testing::TempDir temp;
  ASSERT_FALSE(temp.path().empty());
  const fs::path root = temp.path();
  const std::string models = testing::MakeTinyModels(VIDX_TINY_MODELS_DIR, root.string());
  ASSERT_TRUE(models.empty()) << models;
  std::vector<std::string> videos;
  const std::string made = testing::MakeVideos((root / "videos").string(), 6, 4, &videos);
  ASSERT_TRUE(made.empty()) << made;
  fs::create_directories(root / "lib");
  for (const std::string& v : videos) fs::copy_file(v, root / "lib" / fs::path(v).filename());

  testing::DaemonConfig c;
  c.state_dir = (root / "state").string();
  c.library = (root / "lib").string();
  c.socket = (root / "vidx.sock").string();
  c.model = (root / "tiny_c").string();
  c.precision = "int8";
  const std::string config = (root / "vidx.yaml").string();
  testing::WriteDaemonConfig(config, c);
  testing::DaemonProcess d(VIDX_BINARY, config, c.socket, (root / "daemon.log").string(), {});
  ASSERT_TRUE(d.Start());
  ASSERT_TRUE(d.WaitIdle(6, 0, 90)) << d.Log();
  const json before = d.Status();
  const std::string int8_fp = before["fingerprint"];

  testing::SearchRecorder searches(d);
  c.precision = "fp32";
  testing::WriteDaemonConfig(config, c);
  d.Signal(SIGHUP);
  json st = testing::WaitForReindex(d, int8_fp, 120);
  searches.Stop();
  ASSERT_NE(st["fingerprint"], int8_fp) << st.dump() << d.Log();
  EXPECT_EQ(st["files"]["indexed"], 6);
  const std::string fp32_fp = st["fingerprint"];
  EXPECT_EQ(searches.CheckOneFlip(int8_fp, fp32_fp), "");
  EXPECT_GT(searches.before_flip(), 0u) << "answers from the int8 generation during the reindex";
  std::printf("[ reindex  ] int8 -> fp32: %zu searches answered (%zu before the flip)\n",
              searches.answered(), searches.before_flip());
  EXPECT_EQ(d.Stop(), 0) << d.Log();

  // The fp32 generation is exactly what `vidx model verify` calls the fp32 fingerprint.
  testing::CommandResult verify =
      testing::RunCommand(std::string(VIDX_BINARY) + " --config " + testing::ShellQuote(config) +
                          " model verify --json");
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  json v = json::parse(verify.out, nullptr, false);
  ASSERT_FALSE(v.is_discarded()) << verify.out;
  EXPECT_EQ(v["fingerprint"], fp32_fp);
  CatalogOptions o;
  o.read_only = true;
  auto catalog = Catalog::Open(c.state_dir, o);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  std::optional<Generation> gen = (*catalog)->ActiveGeneration();
  ASSERT_TRUE(gen.has_value());
  EXPECT_EQ(gen->fingerprint, fp32_fp);
}

}  // namespace
}  // namespace vidx
