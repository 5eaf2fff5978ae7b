// `vidx model keys [--write FILE]` then `vidx model verify` through the real binary: the worked
// example of docs/model-formats.md ("When the keys do not match"), and torch.save checkpoints
// verified and hashed like safetensors.
#include <unistd.h>

#include <filesystem>
#include <fstream>
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

class ModelKeysCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vidx_model_keys_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(fs::exists(kVocab)) << kVocab << " is missing (see ../shared/data/clip/README.md)";
    ASSERT_TRUE(fs::exists(fs::path(VIDX_TORCH_CHECKPOINTS_DIR) / "renamed"))
        << "the vidx_torch_checkpoints fixture makes " << VIDX_TORCH_CHECKPOINTS_DIR;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A copy of fixture directory `name` (a tiny_a twin) with a tokenizer of tiny_a's 1000 ids.
  std::string Model(const std::string& name) {
    const fs::path src = fs::path(VIDX_TORCH_CHECKPOINTS_DIR) / name;
    const fs::path dst = dir_ / fs::path(name).filename();
    fs::copy(src, dst, fs::copy_options::recursive);
    CommandResult r = RunCommand(".venv/bin/python tests/make_small_vocab.py " +
                                 ShellQuote(kVocab) + " " + ShellQuote(dst.string()) + " 1000");
    EXPECT_EQ(r.exit_code, 0) << r.err;
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

  fs::path dir_;
};

TEST_F(ModelKeysCliTest, ProposalForARenamedReleaseIsAcceptedByVerify) {
  const std::string model = Model("renamed/keys_ok");
  const std::string config = Config(model);
  CommandResult refused = Vidx(config, "model verify");
  EXPECT_EQ(refused.exit_code, 1) << refused.out;

  const std::string rules = (dir_ / "keys.yaml").string();
  CommandResult keys = Vidx(config, "model keys --write " + ShellQuote(rules));
  EXPECT_EQ(keys.exit_code, 0) << keys.out << keys.err;
  EXPECT_NE(keys.out.find("unexpected: module.vision_model.encoder.layers.0.ln_1.weight"),
            std::string::npos)
      << keys.out;
  EXPECT_NE(keys.out.find("every model tensor is filled"), std::string::npos) << keys.out;
  ASSERT_TRUE(fs::exists(rules));

  CommandResult ok = Vidx(Config(model, "  key_map: " + rules + "\n"), "model verify --json");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  json j = json::parse(ok.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << ok.out;
  EXPECT_TRUE(j["ok"].get<bool>());
}

TEST_F(ModelKeysCliTest, MissingTensorIsNamedAndVerifyStillRefuses) {
  const std::string model = Model("renamed/keys_missing");
  const std::string config = Config(model);
  const std::string rules = (dir_ / "keys.yaml").string();
  CommandResult keys = Vidx(config, "model keys --write " + ShellQuote(rules));
  EXPECT_EQ(keys.exit_code, 1) << keys.out << keys.err;
  EXPECT_NE(keys.out.find("cannot be mapped: no checkpoint tensor fits model tensor "
                          "text_model.encoder.layers.0.mlp.fc1.bias [64]"),
            std::string::npos)
      << keys.out;
  EXPECT_NE(keys.out.find("still report 1 missing and 0 unexpected"), std::string::npos)
      << keys.out;
  CommandResult verify = Vidx(Config(model, "  key_map: " + rules + "\n"), "model verify --json");
  EXPECT_EQ(verify.exit_code, 1);
  json j = json::parse(verify.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << verify.out << verify.err;
  EXPECT_EQ(j["missing"], json::array({"text_model.encoder.layers.0.mlp.fc1.bias"}));
  EXPECT_TRUE(j["unexpected"].empty());
}

TEST_F(ModelKeysCliTest, TorchSaveCheckpointVerifiesAndIsHashed) {
  const std::string model = Model("tiny_a_nested");
  CommandResult r = Vidx(Config(model), "model verify --json");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  CommandResult sum = RunCommand("sha256sum " + ShellQuote(model + "/pytorch_model.bin"));
  EXPECT_EQ(j["checkpoint_sha256"], sum.out.substr(0, 64));
  ASSERT_EQ(j["layout"].size(), 1u);
  EXPECT_NE(j["layout"][0].get<std::string>().find("\"state_dict\""), std::string::npos);
  CommandResult keys = Vidx(Config(model), "model keys");
  EXPECT_EQ(keys.exit_code, 0);
  EXPECT_NE(keys.out.find("the keys match"), std::string::npos) << keys.out;
}

}  // namespace
}  // namespace vidx
