// `vidx model verify | tokenize | embed` through the real binary, on tiny random CLIP models
// saved by transformers (the vidx_tiny_clip fixture) with the real CLIP vocabulary.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

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

const char kVocab[] = "../shared/data/clip/bpe_simple_vocab_16e6.txt.gz";

class ModelCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vidx_model_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(fs::exists(kVocab)) << kVocab << " is missing (see ../shared/data/clip/README.md)";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A copy of tiny model `name` (real 49408-token vocabulary) with the OpenAI tokenizer file.
  std::string Model(const std::string& name) {
    fs::path src = fs::path(VIDX_TINY_MODELS_DIR) / name;
    EXPECT_TRUE(fs::exists(src / "config.json"))
        << src << " missing: the vidx_tiny_clip fixture makes it";
    fs::path dst = dir_ / name;
    fs::create_directories(dst);
    for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"}) {
      fs::copy_file(src / f, dst / f);
    }
    fs::copy_file(kVocab, dst / "bpe_simple_vocab_16e6.txt.gz");
    return dst.string();
  }

  std::string Config(const std::string& model, const std::string& extra = "") {
    static int n = 0;
    std::string path = (dir_ / ("config" + std::to_string(n++) + ".yaml")).string();
    std::ofstream(path) << "state_dir: " << (dir_ / "state").string()
                        << "\nmodel:\n  path: " << model << "\n"
                        << extra;
    return path;
  }

  CommandResult Vidx(const std::string& config, const std::string& args) {
    return RunCommand(std::string(VIDX_BINARY) + " --config " + ShellQuote(config) + " " + args);
  }

  json VerifyJson(const std::string& config, int expect_exit = 0) {
    CommandResult r = Vidx(config, "model verify --json");
    EXPECT_EQ(r.exit_code, expect_exit) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  fs::path dir_;
};

std::string Sha256sum(const std::string& path) {
  CommandResult r = RunCommand("sha256sum " + ShellQuote(path));
  return r.out.substr(0, 64);
}

TEST_F(ModelCliTest, VerifyReportsHashFingerprintAndDeterminism) {
  std::string model = Model("tiny_c");
  std::string config = Config(model);
  json first = VerifyJson(config);
  ASSERT_FALSE(first.is_discarded());
  EXPECT_TRUE(first["ok"].get<bool>());
  EXPECT_TRUE(first["deterministic"].get<bool>());
  EXPECT_EQ(first["checkpoint_sha256"], Sha256sum(model + "/model.safetensors"));
  EXPECT_EQ(first["fingerprint"].get<std::string>().size(), 64u);
  EXPECT_TRUE(first["missing"].empty());
  EXPECT_TRUE(first["unexpected"].empty());
  EXPECT_TRUE(first["mismatched"].empty());
  EXPECT_FALSE(first["hash_from_cache"].get<bool>());

  // A second process: the hash comes from the cache and the fingerprint is identical.
  json second = VerifyJson(config);
  EXPECT_TRUE(second["hash_from_cache"].get<bool>());
  EXPECT_EQ(second["fingerprint"], first["fingerprint"]);
  EXPECT_EQ(second["checkpoint_sha256"], first["checkpoint_sha256"]);

  json rehashed = json::parse(Vidx(config, "model verify --json --rehash").out);
  EXPECT_FALSE(rehashed["hash_from_cache"].get<bool>());
  EXPECT_EQ(rehashed["fingerprint"], first["fingerprint"]);

  CommandResult human = Vidx(config, "model verify");
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find(first["fingerprint"].get<std::string>()), std::string::npos);
}

TEST_F(ModelCliTest, FingerprintFollowsItsInputs) {
  std::string model = Model("tiny_c");
  const std::string base = VerifyJson(Config(model))["fingerprint"];
  // Sampling settings decide which frames become vectors.
  EXPECT_NE(VerifyJson(Config(model, "sampling:\n  fps: 1\n"))["fingerprint"], base);
  EXPECT_NE(VerifyJson(Config(model, "sampling:\n  clip_frames: 2\n"))["fingerprint"], base);
  EXPECT_NE(VerifyJson(Config(model, "sampling:\n  keyframe_tolerance: 0\n"))["fingerprint"], base);
  EXPECT_NE(VerifyJson(Config(model, "sampling:\n  max_frames: 7\n"))["fingerprint"], base);
  // Preprocessing: a different normalisation is a different feature space.
  const std::string pp_path = model + "/preprocessor_config.json";
  std::string original;
  {
    std::ifstream in(pp_path);
    original.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  json pp = json::parse(original);
  pp["image_mean"] = {0.5, 0.5, 0.5};
  std::ofstream(pp_path, std::ios::trunc) << pp.dump();
  EXPECT_NE(VerifyJson(Config(model))["fingerprint"], base);
  std::ofstream(pp_path, std::ios::trunc) << original;
  EXPECT_EQ(VerifyJson(Config(model))["fingerprint"], base);
  // The architecture: another activation is another model, even with the same weights.
  const std::string cfg_path = model + "/config.json";
  std::string arch;
  {
    std::ifstream in(cfg_path);
    arch.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  json c = json::parse(arch);
  c["vision_config"]["hidden_act"] = "gelu";
  std::ofstream(cfg_path, std::ios::trunc) << c.dump();
  EXPECT_NE(VerifyJson(Config(model))["fingerprint"], base);
  std::ofstream(cfg_path, std::ios::trunc) << arch;
  // The checkpoint: same shapes, one value changed.
  {
    std::fstream f(model + "/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const auto size = static_cast<std::streamoff>(f.tellg());
    f.seekp(size - 2);  // inside the last tensor's data; a small change, still a finite float
    char b = 0;
    f.seekg(size - 2);
    f.read(&b, 1);
    f.seekp(size - 2);
    f.put(static_cast<char>(b ^ 1));
  }
  json changed = VerifyJson(Config(model));
  EXPECT_NE(changed["checkpoint_sha256"], base);
  EXPECT_NE(changed["fingerprint"], base);
}

// A 1000-token tokenizer (tiny_a's vocabulary size) in HF layout, written into `dir`.
void WriteSmallVocab(const fs::path& dir) {
  CommandResult r = RunCommand(".venv/bin/python tests/make_small_vocab.py " + ShellQuote(kVocab) +
                               " " + ShellQuote(dir.string()) + " 1000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ModelCliTest, TokenizerMustMatchTheTextTower) {
  // tiny_a has 1000 token embeddings; the real vocabulary has 49408 tokens.
  fs::path model = dir_ / "tiny_a";
  fs::create_directories(model);
  fs::path src = fs::path(VIDX_TINY_MODELS_DIR) / "tiny_a";
  for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"}) {
    fs::copy_file(src / f, model / f);
  }
  fs::copy_file(kVocab, model / "bpe_simple_vocab_16e6.txt.gz");
  json refused = VerifyJson(Config(model.string()), 1);
  EXPECT_FALSE(refused["ok"].get<bool>());
  EXPECT_NE(refused["error"].get<std::string>().find("49408"), std::string::npos) << refused;
  WriteSmallVocab(model);  // vocab.json + merges.txt take precedence over the gzip file
  EXPECT_TRUE(VerifyJson(Config(model.string()))["ok"].get<bool>());
}

TEST_F(ModelCliTest, OpenAiLayoutNeedsItsKeyMapAndGivesTheSameEmbedding) {
  fs::path hf_dir = dir_ / "hf";
  fs::path openai = dir_ / "openai";
  const std::pair<fs::path, fs::path> copies[] = {
      {fs::path(VIDX_TINY_MODELS_DIR) / "tiny_a", hf_dir},
      {fs::path(VIDX_TINY_MODELS_DIR) / "variants" / "layout_openai", openai}};
  for (const auto& [from, to] : copies) {
    fs::create_directories(to);
    for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"}) {
      fs::copy_file(from / f, to / f);
    }
    WriteSmallVocab(to);
  }
  const std::string hf = hf_dir.string();
  json refused = VerifyJson(Config(openai.string()), 1);
  EXPECT_FALSE(refused["ok"].get<bool>());
  EXPECT_FALSE(refused["missing"].empty());
  EXPECT_FALSE(refused["unexpected"].empty());

  std::string openai_cfg = Config(openai.string(), "  key_map: openai\n");
  json loaded = VerifyJson(openai_cfg);
  EXPECT_TRUE(loaded["ok"].get<bool>()) << loaded.dump();
  EXPECT_NE(loaded["fingerprint"], VerifyJson(Config(hf))["fingerprint"]);

  CommandResult a = Vidx(Config(hf), "model embed --json --text 'a red square'");
  CommandResult b = Vidx(openai_cfg, "model embed --json --text 'a red square'");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::vector<float> ea = json::parse(a.out)["embedding"], eb = json::parse(b.out)["embedding"];
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t i = 0; i < ea.size(); ++i) EXPECT_NEAR(ea[i], eb[i], 1e-6) << i;
}

TEST_F(ModelCliTest, RefusedModelNamesEveryKeyAndExitsOne) {
  fs::path variant = fs::path(VIDX_TINY_MODELS_DIR) / "variants" / "dropped";
  fs::path model = dir_ / "dropped";
  fs::create_directories(model);
  for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"}) {
    fs::copy_file(variant / f, model / f);
  }
  fs::copy_file(kVocab, model / "bpe_simple_vocab_16e6.txt.gz");
  std::string config = Config(model.string());
  json report = VerifyJson(config, 1);
  EXPECT_FALSE(report["ok"].get<bool>());
  EXPECT_EQ(report["missing"], json::array({"text_model.final_layer_norm.bias"}));
  EXPECT_TRUE(report["nearest"].contains("text_model.final_layer_norm.bias"));
  EXPECT_EQ(report["fingerprint"], "");

  CommandResult human = Vidx(config, "model verify");
  EXPECT_EQ(human.exit_code, 1);
  EXPECT_NE(human.err.find("text_model.final_layer_norm.bias"), std::string::npos) << human.err;

  CommandResult embed = Vidx(config, "model embed --text dog");
  EXPECT_EQ(embed.exit_code, 1);
  EXPECT_TRUE(embed.out.empty()) << "a refused model produced output: " << embed.out;
}

TEST_F(ModelCliTest, MissingModelDirectoryIsNamed) {
  std::string config = Config((dir_ / "no-such-model").string());
  CommandResult r = Vidx(config, "model verify");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no-such-model"), std::string::npos) << r.err;
}

TEST_F(ModelCliTest, TokenizeGivesOpenClipIds) {
  std::string config = Config(Model("tiny_c"));
  CommandResult r = Vidx(config, "model tokenize --json 'a photo of a cat' 'A Dog!'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["tokens"][0], json::array({49406, 320, 1125, 539, 320, 2368, 49407}));
  ASSERT_EQ(j["tokens"].size(), 2u);
  EXPECT_EQ(j["tokens"][1].front(), 49406);
  EXPECT_EQ(j["tokens"][1].back(), 49407);
}

double Norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

TEST_F(ModelCliTest, EmbeddingsAreNormalisedAndBitIdenticalAcrossProcesses) {
  std::string config = Config(Model("tiny_c"));
  CommandResult a = Vidx(config, "model embed --json --text 'a dog on a beach'");
  CommandResult b = Vidx(config, "model embed --json --text 'a dog on a beach'");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);  // same digits: same bits
  std::vector<float> text = json::parse(a.out)["embedding"];
  EXPECT_EQ(text.size(), 24u);  // tiny_c's projection_dim
  EXPECT_NEAR(Norm(text), 1.0, 1e-5);

  std::string png = (dir_ / "red.png").string();
  ASSERT_EQ(RunCommand("ffmpeg -nostdin -loglevel error -f lavfi -i color=c=red:size=64x40 "
                       "-frames:v 1 -y " +
                       ShellQuote(png))
                .exit_code,
            0);
  CommandResult i1 = Vidx(config, "model embed --json --image " + ShellQuote(png));
  CommandResult i2 = Vidx(config, "model embed --json --image " + ShellQuote(png));
  ASSERT_EQ(i1.exit_code, 0) << i1.err;
  EXPECT_EQ(i1.out, i2.out);
  std::vector<float> image = json::parse(i1.out)["embedding"];
  EXPECT_EQ(image.size(), 24u);
  EXPECT_NEAR(Norm(image), 1.0, 1e-5);
  EXPECT_NE(image, text);

  CommandResult bad =
      Vidx(config, "model embed --image " + ShellQuote((dir_ / "none.png").string()));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("none.png"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace vidx
