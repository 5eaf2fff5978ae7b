// The query engine's pure parts: +/- term parsing and moment merging. (Searches through the
// model run end to end in tests/index_search_cli_test.cpp.)
#include "search/query_engine.h"

#include <memory>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "search/catalog_format.h"
#include "tests/temp_dir.h"

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

FileResult TwoSegmentFile(const std::string& path, float seed) {
  FileResult r;
  r.file.path = path;
  r.file.size = 10;
  r.content_hash = path.substr(path.size() - 5, 1);
  for (int i = 0; i < 2; ++i) r.segments.push_back({2.0 * i, 2.0 * i + 2, {seed + i, 1, 0, 0}});
  return r;
}

// Hit lookup: one batched read; ids removed since the search are skipped, a broken record
// is an error rather than a silently missing hit.
TEST(GroupHitsByFileTest, SkipsRemovedIdsAndReportsBrokenRecords) {
  vidx::testing::TempDir dir("vidx_query_engine");
  uint64_t gen = 0;
  SearchResults hits;
  hits.k = 5;
  hits.ids = {3, 1, -1, 4, 2};  // 1, 2: a.mp4 (removed below); 3, 4: b.mp4
  hits.scores = {0.9f, 0.8f, 0.f, 0.7f, 0.6f};
  {
    auto c = Catalog::Open(dir.str());
    ASSERT_TRUE(c.ok()) << c.status().message();
    gen = (*c)->CreateGeneration("fp", 4)->id;
    ASSERT_TRUE((*c)->CommitFile("fp", TwoSegmentFile("/v/a.mp4", 0)).ok());
    ASSERT_TRUE((*c)->CommitFile("fp", TwoSegmentFile("/v/b.mp4", 5)).ok());
    ASSERT_TRUE((*c)->RemoveFile("/v/a.mp4").ok());
    auto grouped = GroupHitsByFile(**c, gen, hits);
    ASSERT_TRUE(grouped.ok()) << grouped.status().message();
    ASSERT_EQ(grouped->size(), 1u);
    const std::vector<Moment>& b = grouped->at("/v/b.mp4");
    ASSERT_EQ(b.size(), 2u);
    EXPECT_DOUBLE_EQ(b[0].start, 0);
    EXPECT_FLOAT_EQ(b[0].score, 0.9f);
    EXPECT_DOUBLE_EQ(b[1].start, 2);
    EXPECT_FLOAT_EQ(b[1].score, 0.7f);
  }
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir.str() + "/catalog", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), catalog_format::VectorKey(gen, 4), "xx").ok());
  }
  auto c = Catalog::Open(dir.str());
  ASSERT_TRUE(c.ok());
  auto broken = GroupHitsByFile(**c, gen, hits);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kCorruption) << broken.status().message();
}

}  // namespace
}  // namespace vidx
