#include "indexer/model/key_map.h"

#include <gtest/gtest.h>

#include <map>

namespace vidx {
namespace {

std::map<std::string, MappedKey> ByTarget(const std::vector<MappedKey>& v) {
  std::map<std::string, MappedKey> m;
  for (const auto& k : v) m[k.target] = k;
  return m;
}

TEST(KeyMapTest, HfIsIdentityAndKnowsLegacyBuffers) {
  auto m = MapCheckpointKeys(BuiltinKeyMap("hf").value(),
                             {"logit_scale", "text_model.embeddings.position_ids", "foo.bar"});
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 3u);
  auto t = ByTarget(*m);
  EXPECT_EQ(t["logit_scale"].transform, KeyTransform::kIdentity);
  EXPECT_EQ(t["text_model.embeddings.position_ids"].transform, KeyTransform::kLegacyPositionIds);
  EXPECT_EQ(t["foo.bar"].source, "foo.bar");
}

TEST(KeyMapTest, OpenAILayout) {
  auto m = MapCheckpointKeys(
      BuiltinKeyMap("openai").value(),
      {"visual.conv1.weight", "visual.proj", "text_projection", "positional_embedding",
       "visual.transformer.resblocks.3.attn.in_proj_weight",
       "transformer.resblocks.0.mlp.c_proj.bias", "transformer.resblocks.0.attn.weird"});
  ASSERT_TRUE(m.ok());
  auto t = ByTarget(*m);
  EXPECT_EQ(t["vision_model.embeddings.patch_embedding.weight"].source, "visual.conv1.weight");
  EXPECT_EQ(t["visual_projection.weight"].transform, KeyTransform::kTranspose);
  EXPECT_EQ(t["text_projection.weight"].transform, KeyTransform::kTranspose);
  EXPECT_EQ(t["text_model.embeddings.position_embedding.weight"].source, "positional_embedding");
  const std::string l3 = "vision_model.encoder.layers.3.self_attn.";
  EXPECT_EQ(t[l3 + "q_proj.weight"].transform, KeyTransform::kSplitQ);
  EXPECT_EQ(t[l3 + "k_proj.weight"].transform, KeyTransform::kSplitK);
  EXPECT_EQ(t[l3 + "v_proj.weight"].transform, KeyTransform::kSplitV);
  EXPECT_EQ(t[l3 + "v_proj.weight"].source, "visual.transformer.resblocks.3.attn.in_proj_weight");
  EXPECT_EQ(t["text_model.encoder.layers.0.mlp.fc2.bias"].source,
            "transformer.resblocks.0.mlp.c_proj.bias");
  // An unknown key keeps its name (and will be reported as unexpected by the loader).
  EXPECT_EQ(t.count("transformer.resblocks.0.attn.weird"), 1u);
  EXPECT_EQ(m->size(), 9u);
}

TEST(KeyMapTest, UserRulesApplyInOrderBeforeTheBase) {
  KeyMapSpec spec;
  spec.base = KeyMapBase::kOpenAI;
  spec.rules = {{RenameRule::Kind::kPrefix, "module.", ""},
                {RenameRule::Kind::kRegex, R"(^backbone\.(.*)$)", "visual.$1"}};
  auto m = MapCheckpointKeys(spec, {"module.backbone.conv1.weight", "module.logit_scale"});
  ASSERT_TRUE(m.ok());
  auto t = ByTarget(*m);
  EXPECT_EQ(t["vision_model.embeddings.patch_embedding.weight"].source,
            "module.backbone.conv1.weight");
  EXPECT_EQ(t["logit_scale"].source, "module.logit_scale");
  EXPECT_NE(spec.Describe().find("prefix:module.->"), std::string::npos);

  spec.rules = {{RenameRule::Kind::kRegex, "([", "x"}};
  EXPECT_EQ(MapCheckpointKeys(spec, {"a"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(BuiltinKeyMap("timm").ok());
}

TEST(KeyMapTest, EditDistanceAndGlob) {
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("fc1.weight", "fc_1.weight"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_TRUE(GlobMatch("*.position_ids", "text_model.embeddings.position_ids"));
  EXPECT_FALSE(GlobMatch("*.position_ids", "text_model.embeddings.position_embedding.weight"));
}

}  // namespace
}  // namespace vidx
