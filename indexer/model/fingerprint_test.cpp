#include "indexer/model/fingerprint.h"

#include <functional>
#include <string>

#include <gtest/gtest.h>

namespace vidx {
namespace {

FeatureSpec Base() {
  FeatureSpec s;
  s.checkpoint_sha256 = std::string(64, 'a');
  s.model = "arch{vision{hidden_size=768}};preprocess{size=224 bicubic};key_map{hf};precision=fp32";
  s.sampling.fps = 0.5;
  s.sampling.max_frames = 512;
  s.sampling.keyframe_tolerance = 1.0;
  s.sampling.clip_frames = 1;
  s.pooling = "mean";
  return s;
}

TEST(FingerprintTest, StableForTheSameSpec) {
  EXPECT_EQ(Fingerprint(Base()), Fingerprint(Base()));
  EXPECT_EQ(Fingerprint(Base()).size(), 64u);
}

// A value computed by this code once and written down: the fingerprint must not change between
// builds, processes or machines for the same inputs (an accidental change would silently
// trigger a full reindex everywhere). Bump kPipelineVersion when a change is intended.
TEST(FingerprintTest, CanonicalTextIsFixed) {
  EXPECT_EQ(CanonicalDescription(Base()),
            "vidx-feature-space\n"
            "pipeline_version=2\n"
            "checkpoint_sha256=" +
                std::string(64, 'a') +
                "\n"
                "model=arch{vision{hidden_size=768}};preprocess{size=224 bicubic};key_map{hf};"
                "precision=fp32\n"
                "sampling.fps=0.5\n"
                "sampling.max_frames=512\n"
                "sampling.keyframe_tolerance=1\n"
                "sampling.clip_frames=1\n"
                "pooling=mean\n");
}

struct Change {
  const char* input;
  std::function<void(FeatureSpec*)> apply;
};

class FingerprintChangeTest : public ::testing::TestWithParam<Change> {};

TEST_P(FingerprintChangeTest, ChangesWhenOneInputChanges) {
  FeatureSpec changed = Base();
  GetParam().apply(&changed);
  EXPECT_NE(Fingerprint(Base()), Fingerprint(changed)) << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    EachInput, FingerprintChangeTest,
    ::testing::Values(Change{"checkpoint", [](FeatureSpec* s) { s->checkpoint_sha256[0] = 'b'; }},
                      Change{"model", [](FeatureSpec* s) { s->model += " "; }},
                      Change{"fps", [](FeatureSpec* s) { s->sampling.fps = 0.5000001; }},
                      Change{"max_frames", [](FeatureSpec* s) { s->sampling.max_frames = 511; }},
                      Change{"keyframe_tolerance",
                             [](FeatureSpec* s) { s->sampling.keyframe_tolerance = 0; }},
                      Change{"clip_frames", [](FeatureSpec* s) { s->sampling.clip_frames = 2; }},
                      Change{"skip_similar", [](FeatureSpec* s) { s->sampling.skip_similar = 2; }},
                      Change{"pooling", [](FeatureSpec* s) { s->pooling = "max"; }},
                      Change{"pipeline_version", [](FeatureSpec* s) { s->pipeline_version += 1; }}),
    [](const ::testing::TestParamInfo<Change>& info) { return std::string(info.param.input); });

// Off (the default) writes no line, so fingerprints made before the setting existed hold; on,
// its value is part of the text, so two thresholds are two feature spaces.
TEST(FingerprintTest, SkipSimilarAppearsOnlyWhenOn) {
  FeatureSpec on = Base();
  on.sampling.skip_similar = 2.5;
  const std::string text = CanonicalDescription(on);
  EXPECT_NE(text.find("sampling.clip_frames=1\nsampling.skip_similar=2.5\npooling=mean\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(CanonicalDescription(Base()).find("skip_similar"), std::string::npos);
  FeatureSpec other = on;
  other.sampling.skip_similar = 3;
  EXPECT_NE(Fingerprint(on), Fingerprint(other));
}

// Field boundaries cannot be forged by moving text from one value into the next.
TEST(FingerprintTest, ValuesCannotForgeLines) {
  FeatureSpec a = Base();
  FeatureSpec b = Base();
  a.checkpoint_sha256 = "x\nmodel=y";
  b.checkpoint_sha256 = "x";
  b.model = "y";
  EXPECT_NE(Fingerprint(a), Fingerprint(b));
}

TEST(FingerprintTest, Cosine) {
  EXPECT_DOUBLE_EQ(Cosine({1, 0}, {1, 0}), 1.0);
  EXPECT_DOUBLE_EQ(Cosine({1, 0}, {0, 1}), 0.0);
  EXPECT_NEAR(Cosine({1, 1}, {2, 2}), 1.0, 1e-12);
  EXPECT_EQ(Cosine({1, 0}, {1, 0, 0}), 0.0);
  EXPECT_EQ(Cosine({0, 0}, {1, 0}), 0.0);
}

}  // namespace
}  // namespace vidx
