// The query engine's pure parts: +/- term parsing and moment merging. (Searches through the
// model run end to end in tests/index_search_cli_test.cpp.)
#include "search/query_engine.h"

#include <gtest/gtest.h>

namespace vidx {
namespace {

TEST(ParseTextTermsTest, SignedTerms) {
  using Terms = std::vector<std::pair<int, std::string>>;
  EXPECT_EQ(ParseTextTerms("beach + dog - night"),
            (Terms{{1, "beach"}, {1, "dog"}, {-1, "night"}}));
  EXPECT_EQ(ParseTextTerms("  a dog  running "), (Terms{{1, "a dog running"}}));
  EXPECT_EQ(ParseTextTerms("- rain"), (Terms{{-1, "rain"}}));
  EXPECT_EQ(ParseTextTerms("t-shirt + red"), (Terms{{1, "t-shirt"}, {1, "red"}}));
  EXPECT_TRUE(ParseTextTerms(" + ").empty());
}

TEST(MergeMomentsTest, MergesTouchingSegmentsAndRanksByScore) {
  std::vector<Moment> m = MergeMoments({{4, 6, 0.5f}, {0, 2, 0.7f}, {2, 4, 0.9f}, {10, 12, 0.8f}});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_DOUBLE_EQ(m[0].start, 0);
  EXPECT_DOUBLE_EQ(m[0].end, 6);
  EXPECT_FLOAT_EQ(m[0].score, 0.9f);
  EXPECT_DOUBLE_EQ(m[1].start, 10);
  EXPECT_FLOAT_EQ(m[1].score, 0.8f);
}

}  // namespace
}  // namespace vidx
