#include "indexer/model/clip_config.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace vidx {
namespace {

const char* kMinimal = R"({
  "model_type": "clip", "projection_dim": 16,
  "text_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                  "num_attention_heads": 4, "vocab_size": 1000, "max_position_embeddings": 16},
  "vision_config": {"hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 1,
                    "num_attention_heads": 4, "image_size": 32, "patch_size": 8,
                    "hidden_act": "gelu", "layer_norm_eps": 1e-6}
})";

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(ClipConfigTest, ParsesAndRecordsTransformersDefaults) {
  auto c = ParseClipConfig(kMinimal, "m/config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->text.hidden_size, 32);
  EXPECT_EQ(c->text.vocab_size, 1000);
  EXPECT_EQ(c->text.hidden_act, Activation::kQuickGelu);
  EXPECT_EQ(c->text.eos_token_id, 49407);
  EXPECT_EQ(c->vision.hidden_act, Activation::kGelu);
  EXPECT_DOUBLE_EQ(c->vision.layer_norm_eps, 1e-6);
  EXPECT_EQ(c->vision.num_channels, 3);
  EXPECT_EQ(c->projection_dim, 16);
  EXPECT_TRUE(Contains(c->defaulted, "text_config.hidden_act=quick_gelu"));
  EXPECT_TRUE(Contains(c->defaulted, "text_config.eos_token_id=49407"));
  EXPECT_TRUE(Contains(c->defaulted, "vision_config.num_channels=3"));
  EXPECT_FALSE(Contains(c->defaulted, "vision_config.hidden_act=quick_gelu"));
  EXPECT_NE(c->Describe().find("act=gelu"), std::string::npos);
}

TEST(ClipConfigTest, ErrorsNameTheFileAndField) {
  auto missing = ParseClipConfig(R"({"text_config": {}})", "dir/config.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("dir/config.json"), std::string::npos);
  EXPECT_NE(missing.status().message().find("vision_config"), std::string::npos);

  std::string bad_type = kMinimal;
  bad_type.replace(bad_type.find("\"hidden_size\": 32"), 17, "\"hidden_size\": \"32\"");
  auto t = ParseClipConfig(bad_type, "config.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("text_config.hidden_size"), std::string::npos);

  std::string bad_act = kMinimal;
  bad_act.replace(bad_act.find("\"gelu\""), 6, "\"relu\"");
  auto a = ParseClipConfig(bad_act, "config.json");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("vision_config.hidden_act"), std::string::npos);

  std::string bad_heads = kMinimal;
  bad_heads.replace(bad_heads.find("\"num_attention_heads\": 4"), 24, "\"num_attention_heads\": 5");
  EXPECT_FALSE(ParseClipConfig(bad_heads, "config.json").ok());
  EXPECT_FALSE(ParseClipConfig("{not json", "config.json").ok());
  EXPECT_EQ(ParseClipConfig(R"({"model_type": "siglip", "text_config": {}, "vision_config": {}})",
                            "config.json")
                .status()
                .code(),
            StatusCode::kUnsupported);
}

TEST(ClipConfigTest, LegacyDictOverridesSubConfig) {
  auto c = ParseClipConfig(R"({"text_config": {"hidden_size": 64, "eos_token_id": 7},
                               "text_config_dict": {"eos_token_id": 2},
                               "vision_config": {}})",
                           "config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->text.hidden_size, 64);
  EXPECT_EQ(c->text.eos_token_id, 2);
  EXPECT_EQ(c->vision.hidden_size, 768);  // CLIPVisionConfig default
}

TEST(PreprocessConfigTest, SizesInAllSpellings) {
  ClipTowerConfig v;
  v.image_size = 224;
  auto a = ParsePreprocessConfig(R"({"size": 224, "crop_size": 224})", "p.json", v);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->shortest_edge, 224);
  EXPECT_EQ(a->crop_height, 224);
  auto b = ParsePreprocessConfig(
      R"({"size": {"shortest_edge": 256}, "crop_size": {"height": 224, "width": 224},
          "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]})",
      "p.json", v);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->shortest_edge, 256);
  EXPECT_DOUBLE_EQ(b->image_mean[1], 0.5);
  auto c = ParsePreprocessConfig("{}", "p.json", v);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->shortest_edge, 224);
  EXPECT_DOUBLE_EQ(c->image_std[0], 0.26862954);
  EXPECT_FALSE(c->defaulted.empty());
  EXPECT_FALSE(DefaultPreprocessConfig(v).defaulted.empty());

  auto wrong = ParsePreprocessConfig(R"({"crop_size": 200})", "p.json", v);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("image_size"), std::string::npos);
  EXPECT_FALSE(ParsePreprocessConfig(R"({"resample": 2})", "p.json", v).ok());
  EXPECT_FALSE(ParsePreprocessConfig(R"({"size": {"longest_edge": 3}})", "p.json", v).ok());
  EXPECT_FALSE(ParsePreprocessConfig(R"({"image_std": [0, 1, 1]})", "p.json", v).ok());
}

}  // namespace
}  // namespace vidx
