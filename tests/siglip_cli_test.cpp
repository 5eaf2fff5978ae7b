// `vidx model verify | tokenize | embed` and `vidx index | search` through the real binary on
// the tiny SigLIP-2-style model (VIDX_TINY_SIGLIP2_MODEL, made by the vidx_tiny_siglip2
// fixture): it verifies, one word in four languages gives one embedding across processes while
// "cat" gives another, and a search in any of the four languages finds the same moments.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/needs_sentencepiece.h"
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
    VIDX_SKIP_WITHOUT_SENTENCEPIECE();
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

// The multilingual path end to end: a library of three two-colour videos indexed with the
// SigLIP 2 model, then searched in English, German, Japanese and Russian. Each word tokenizes
// to its own piece; the pieces share one embedding row, so every answer must be the same: the
// same files in the same order, the same moments, the same scores and match probabilities
// (sigmoid(score * exp(2.3) - 1.7), the fixture's calibration). "cat" ranks by another vector.
TEST_F(SiglipCliTest, SearchInFourLanguagesFindsTheSameMoments) {
  const fs::path videos = dir_ / "videos";
  fs::create_directories(videos);
  const char* const colours[3][2] = {{"red", "blue"}, {"green", "white"}, {"yellow", "black"}};
  for (int i = 0; i < 3; ++i) {
    auto source = [&](const char* c) {
      return ShellQuote("color=c=" + std::string(c) + ":s=64x48:r=5:d=2");
    };
    CommandResult r = RunCommand(
        "ffmpeg -v error -y -f lavfi -i " + source(colours[i][0]) + " -f lavfi -i " +
        source(colours[i][1]) +
        " -filter_complex '[0][1]concat=n=2:v=1:a=0' -c:v libx264 -pix_fmt yuv420p -g 5 " +
        ShellQuote((videos / ("clip" + std::to_string(i) + ".mp4")).string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  json summary = VidxJson("index --json " + ShellQuote(videos.string()));
  ASSERT_FALSE(summary.is_discarded());

  auto search = [&](const std::string& text) {
    json r = VidxJson("search --json -k 3 " + ShellQuote(text));
    EXPECT_FALSE(r.is_discarded()) << text;
    return r.is_discarded() ? json::array() : r["results"];
  };
  const json dog = search("dog");
  ASSERT_EQ(dog.size(), 3u) << dog.dump();
  for (const json& hit : dog) {
    ASSERT_TRUE(hit.contains("probability")) << hit.dump();
    const double want = 1 / (1 + std::exp(-(hit["score"].get<double>() * std::exp(2.3) - 1.7)));
    EXPECT_NEAR(hit["probability"].get<double>(), want, 1e-5) << hit.dump();
    EXPECT_FALSE(hit["moments"].empty()) << hit.dump();
  }
  for (const char* word : {"Hund", "犬", "собака"}) {
    const json other = search(word);
    ASSERT_EQ(other.size(), dog.size()) << word;
    for (size_t i = 0; i < dog.size(); ++i) {
      EXPECT_EQ(other[i]["path"], dog[i]["path"]) << word << " #" << i;
      EXPECT_EQ(other[i]["score"], dog[i]["score"]) << word << " #" << i;
      EXPECT_EQ(other[i]["probability"], dog[i]["probability"]) << word << " #" << i;
      EXPECT_EQ(other[i]["moments"], dog[i]["moments"]) << word << " #" << i;
    }
  }
  const json cat = search("cat");
  ASSERT_EQ(cat.size(), 3u);
  bool differs = false;
  for (size_t i = 0; i < 3; ++i) differs = differs || cat[i]["score"] != dog[i]["score"];
  EXPECT_TRUE(differs) << "\"cat\" ranks by its own vector: " << cat.dump();
}

}  // namespace
}  // namespace vidx
