#include "search/query_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vidx {
namespace {

using Kind = QueryCache::Kind;

TEST(QueryCacheTest, KeysSeparateFingerprintsGenerationsAndKinds) {
  const std::string a = QueryCache::Key("fp1", 1, Kind::kText, "dog");
  EXPECT_NE(a, QueryCache::Key("fp2", 1, Kind::kText, "dog"));
  EXPECT_NE(a, QueryCache::Key("fp1", 2, Kind::kText, "dog"));
  EXPECT_NE(a, QueryCache::Key("fp1", 1, Kind::kImage, "dog"));
  EXPECT_NE(a, QueryCache::Key("fp1", 1, Kind::kText, "dogs"));
  // A fingerprint that ends like another key's generation cannot collide with it.
  EXPECT_NE(QueryCache::Key("fp1", 12, Kind::kText, "x"),
            QueryCache::Key("fp11", 2, Kind::kText, "x"));
  EXPECT_EQ(a, QueryCache::Key("fp1", 1, Kind::kText, "dog"));
}

TEST(QueryCacheTest, DropsTheLeastRecentlyUsedBeyondItsCapacity) {
  QueryCache cache(2);
  cache.Put("a", {1});
  cache.Put("b", {2});
  ASSERT_TRUE(cache.Get("a").has_value());  // a is now the most recently used
  cache.Put("c", {3});                      // drops b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Get("b").has_value());
  EXPECT_EQ(cache.Get("a"), std::vector<float>{1});
  EXPECT_EQ(cache.Get("c"), std::vector<float>{3});
  cache.Put("c", {4});  // replaces
  EXPECT_EQ(cache.Get("c"), std::vector<float>{4});
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.hits(), 4u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(QueryCacheTest, CapacityZeroKeepsNothing) {
  QueryCache cache(0);
  cache.Put("a", {1});
  EXPECT_FALSE(cache.Get("a").has_value());
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace vidx
