// ProposeKeyMap on checkpoints renamed the way research releases rename them
// (tools/make_torch_checkpoints.py, renamed/): the proposal loads strictly and gives the
// original embeddings; a genuinely missing tensor is listed and loading still refuses.
#include "indexer/model/key_proposal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "indexer/model/clip_encoder.h"

namespace vidx {
namespace {

const std::string kDir = VIDX_TORCH_CHECKPOINTS_DIR;
const std::string kClip = VIDX_TINY_MODELS_DIR;

EmbedderOptions Options(const std::string& dir, const KeyMapSpec& spec) {
  EmbedderOptions o;
  o.model_dir = dir;
  o.key_map = spec;
  return o;
}

// The refused load's report, which holds both inventories.
LoadReport Refused(const std::string& dir) {
  LoadReport report;
  auto enc = ClipEncoder::Load(Options(dir, BuiltinKeyMap("hf").value()), &report);
  EXPECT_FALSE(enc.ok());
  EXPECT_EQ(enc.status().code(), StatusCode::kFailedPrecondition);
  return report;
}

class KeyProposalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::ifstream(kDir + "/renamed/keys_ok/model.safetensors").good()) {
      GTEST_SKIP() << "fixtures missing: run through ctest (model_torch_checkpoints_fixture)";
    }
  }
};

TEST_F(KeyProposalTest, RenamedReleaseGetsAProposalThatLoadsStrictly) {
  const LoadReport report = Refused(kDir + "/renamed/keys_ok");
  ASSERT_FALSE(report.model_tensors.empty());
  auto p =
      ProposeKeyMap(BuiltinKeyMap("hf").value(), report.model_tensors, report.checkpoint_tensors);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const std::string yaml = p->ToYaml("keys_ok");
  EXPECT_TRUE(p->complete()) << yaml;
  EXPECT_TRUE(p->ambiguous.empty());
  EXPECT_TRUE(p->cannot_fill.empty());
  EXPECT_EQ(p->spec.base, KeyMapBase::kOpenAI) << yaml;  // splits the packed q/k/v
  EXPECT_NE(yaml.find("{prefix: \"module.\", to: \"\"}"), std::string::npos) << yaml;
  EXPECT_LT(p->spec.rules.size(), 12u) << "layer numbers are generalised:\n" << yaml;
  EXPECT_TRUE(std::any_of(p->mapped.begin(), p->mapped.end(),
                          [](const KeyProposal::Pair& x) { return x.split; }));

  LoadReport loaded;
  auto enc = ClipEncoder::Load(Options(kDir + "/renamed/keys_ok", p->spec), &loaded);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString() << "\n" << loaded.ToString() << yaml;
  LoadReport ref_report;
  auto ref =
      ClipEncoder::Load(Options(kClip + "/tiny_a", BuiltinKeyMap("hf").value()), &ref_report);
  ASSERT_TRUE(ref.ok());
  auto a = (*enc)->Probe();
  auto b = (*ref)->Probe();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(0, std::memcmp(a->image.data(), b->image.data(), a->image.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(a->text.data(), b->text.data(), a->text.size() * sizeof(float)));
}

TEST_F(KeyProposalTest, MissingTensorIsListedAndLoadingStillRefuses) {
  const LoadReport report = Refused(kDir + "/renamed/keys_missing");
  auto p =
      ProposeKeyMap(BuiltinKeyMap("hf").value(), report.model_tensors, report.checkpoint_tensors);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->complete());
  const std::string lost = "text_model.encoder.layers.0.mlp.fc1.bias";
  EXPECT_EQ(p->still_missing, std::vector<std::string>{lost}) << p->ToYaml("keys_missing");
  ASSERT_EQ(p->cannot_fill.size(), 1u);
  EXPECT_EQ(p->cannot_fill[0].key, lost);
  EXPECT_TRUE(p->still_unexpected.empty());
  LoadReport loaded;
  auto enc = ClipEncoder::Load(Options(kDir + "/renamed/keys_missing", p->spec), &loaded);
  ASSERT_FALSE(enc.ok());
  ASSERT_EQ(loaded.missing.size(), 1u);
  EXPECT_EQ(loaded.missing[0].key, lost);
}

TEST(KeyProposalUnitTest, EqualCandidatesAreAmbiguousNotGuessed) {
  // Two checkpoint tensors of one shape and two model keys they are equally far from.
  const std::vector<LoadReport::Tensor> model = {{"enc.alpha.weight", {4}},
                                                 {"enc.beta.weight", {4}}};
  const std::vector<LoadReport::Tensor> ckpt = {{"enc.x1.weight", {4}}, {"enc.x2.weight", {4}}};
  auto p = ProposeKeyMap(BuiltinKeyMap("hf").value(), model, ckpt);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->mapped.empty());
  EXPECT_EQ(p->ambiguous.size(), 2u);
  EXPECT_FALSE(p->complete());
  EXPECT_EQ(p->new_rules, 0u);
}

TEST(KeyProposalUnitTest, ShapeAndLayerNumberGateTheMatch) {
  const std::vector<LoadReport::Tensor> model = {
      {"layers.0.fc1.weight", {8, 4}}, {"layers.1.fc1.weight", {8, 4}}, {"head.weight", {2, 4}}};
  const std::vector<LoadReport::Tensor> ckpt = {
      {"layers.1.c_fc.weight", {8, 4}}, {"layers.0.c_fc.weight", {8, 4}}, {"head.weight", {3, 4}}};
  auto p = ProposeKeyMap(BuiltinKeyMap("hf").value(), model, ckpt);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->mapped.size(), 2u);
  EXPECT_EQ(p->new_rules, 1u) << p->ToYaml("x");  // one regex for both layers
  EXPECT_EQ(p->still_missing, std::vector<std::string>{"head.weight"});
  EXPECT_EQ(p->still_unexpected, std::vector<std::string>{"head.weight"});
}

}  // namespace
}  // namespace vidx
