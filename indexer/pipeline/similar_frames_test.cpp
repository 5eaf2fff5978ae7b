// The similarity test behind sampling.skip_similar: grey copies, their difference, and which
// frames a filter keeps.
#include "indexer/pipeline/similar_frames.h"

#include <cmath>

#include <gtest/gtest.h>

namespace vidx {
namespace {

Frame Uniform(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  Frame f;
  f.width = w;
  f.height = h;
  for (int i = 0; i < w * h; ++i) {
    f.rgb.push_back(r);
    f.rgb.push_back(g);
    f.rgb.push_back(b);
  }
  return f;
}

TEST(GreyCopyTest, IsLumaAveragedOverBoxes) {
  std::vector<float> white = GreyCopy(Uniform(224, 224, 255, 255, 255));
  ASSERT_EQ(white.size(), static_cast<size_t>(kGreySide * kGreySide));
  for (float v : white) EXPECT_FLOAT_EQ(v, 255.0f);
  // Pure green weighs 150/256 of full scale.
  EXPECT_FLOAT_EQ(GreyCopy(Uniform(64, 48, 0, 255, 0))[0], 255.0f * 150 / 256);
  // A frame smaller than the copy repeats its pixels; an empty frame gives nothing.
  EXPECT_EQ(GreyCopy(Uniform(3, 2, 10, 10, 10)).size(), static_cast<size_t>(kGreySide * kGreySide));
  EXPECT_TRUE(GreyCopy(Frame()).empty());
}

TEST(GreyCopyTest, LeftHalfWhiteShowsInTheLeftColumns) {
  Frame f = Uniform(100, 60, 0, 0, 0);
  for (int y = 0; y < 60; ++y) {
    for (int x = 0; x < 50; ++x) {
      for (int c = 0; c < 3; ++c) f.rgb[(static_cast<size_t>(y) * 100 + x) * 3 + c] = 255;
    }
  }
  std::vector<float> g = GreyCopy(f);
  EXPECT_FLOAT_EQ(g[0], 255.0f);
  EXPECT_FLOAT_EQ(g[kGreySide - 1], 0.0f);
}

TEST(MeanAbsDifferenceTest, AveragesAndRefusesMismatchedSizes) {
  EXPECT_DOUBLE_EQ(MeanAbsDifference({0, 10, 20, 30}, {1, 8, 20, 30}), 0.75);
  EXPECT_DOUBLE_EQ(MeanAbsDifference({1, 2}, {1}), 255);
  EXPECT_DOUBLE_EQ(MeanAbsDifference({}, {}), 255);
}

TEST(SimilarFrameFilterTest, OffKeepsEverything) {
  SimilarFrameFilter off(0);
  const Frame f = Uniform(8, 8, 50, 50, 50);
  EXPECT_FALSE(off.Skip(f));
  EXPECT_FALSE(off.Skip(f));
}

// Each frame is compared with the last *kept* one, so a slow drift is caught once it adds up.
TEST(SimilarFrameFilterTest, ComparesWithTheLastKeptFrame) {
  SimilarFrameFilter filter(2.0);
  EXPECT_FALSE(filter.Skip(Uniform(16, 16, 100, 100, 100)));  // the first is always kept
  EXPECT_TRUE(filter.Skip(Uniform(16, 16, 101, 101, 101)));
  EXPECT_TRUE(filter.Skip(Uniform(16, 16, 102, 102, 102)));   // 2 levels from the kept one
  EXPECT_FALSE(filter.Skip(Uniform(16, 16, 103, 103, 103)));  // 3: kept, the new reference
  EXPECT_TRUE(filter.Skip(Uniform(16, 16, 104, 104, 104)));
  EXPECT_FALSE(filter.Skip(Uniform(16, 16, 0, 0, 0)));
}

}  // namespace
}  // namespace vidx
