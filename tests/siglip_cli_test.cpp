// `vidx model verify | tokenize | embed` through the real binary on the tiny SigLIP-2-style
// model (VIDX_TINY_SIGLIP2_MODEL, made by the vidx_tiny_siglip2 fixture): it verifies, and one
// word in four languages gives one embedding across processes while "cat" gives another.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/run_command.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::RunCommand;
using testing::ShellQuote;

class SiglipCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(fs::path(VIDX_TINY_SIGLIP2_MODEL) / "config.json"))
        << VIDX_TINY_SIGLIP2_MODEL << " is missing: the vidx_tiny_siglip2 fixture makes it";
    dir_ = fs::temp_directory_path() /
           ("vidx_siglip_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_ = (dir_ / "vidx.yaml").string();
    std::ofstream(config_) << "state_dir: " << (dir_ / "state").string()
                           << "\nmodel:\n  path: " << VIDX_TINY_SIGLIP2_MODEL << "\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  json VidxJson(const std::string& args) {
    CommandResult r =
        RunCommand(std::string(VIDX_BINARY) + " --config " + ShellQuote(config_) + " " + args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    return json::parse(r.out, nullptr, false);
  }

  fs::path dir_;
  std::string config_;
};

TEST_F(SiglipCliTest, VerifiesWithAFingerprint) {
  json v = VidxJson("model verify --json");
  ASSERT_FALSE(v.is_discarded());
  EXPECT_TRUE(v["ok"].get<bool>());
  EXPECT_TRUE(v["deterministic"].get<bool>());
  EXPECT_EQ(v["fingerprint"].get<std::string>().size(), 64u);
  EXPECT_TRUE(v["missing"].empty());
  EXPECT_TRUE(v["unexpected"].empty());
}

TEST_F(SiglipCliTest, OneWordInFourLanguagesEmbedsAlikeAndCatDoesNot) {
  std::vector<std::vector<float>> vectors;
  for (const char* word : {"dog", "Hund", "犬", "собака", "cat"}) {
    json e = VidxJson(std::string("model embed --json --text ") + ShellQuote(word));
    ASSERT_FALSE(e.is_discarded()) << word;
    vectors.push_back(e["embedding"].get<std::vector<float>>());
    json t = VidxJson(std::string("model tokenize --json ") + ShellQuote(word));
    ASSERT_FALSE(t.is_discarded()) << word;
    EXPECT_EQ(t["tokens"][0].size(), 2u) << word << ": one piece and EOS";
  }
  ASSERT_EQ(vectors[0].size(), 32u);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(vectors[i], vectors[0]) << i;  // the same digits
  EXPECT_NE(vectors[4], vectors[0]);
}

}  // namespace
}  // namespace vidx
