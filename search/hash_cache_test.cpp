#include "search/hash_cache.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace vidx {
namespace {

namespace fs = std::filesystem;

TEST(RocksHashCacheTest, SurvivesReopenAndChecksIdentity) {
  fs::path dir = fs::temp_directory_path() / ("vidx_hash_cache_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::string file = (dir / "model.safetensors").string();
  fs::create_directories(dir);
  std::ofstream(file) << "weights";
  auto id = IdentifyFile(file);
  ASSERT_TRUE(id.ok());
  const std::string sha(64, 'c');
  {
    auto cache = RocksHashCache::Open((dir / "state").string());
    ASSERT_TRUE(cache.ok()) << cache.status().message();
    EXPECT_FALSE((*cache)->Lookup(*id).has_value());
    ASSERT_TRUE((*cache)->Store(*id, sha).ok());
    // A second opener while the first holds the lock falls back to read-only lookups.
    auto second = RocksHashCache::Open((dir / "state").string());
    ASSERT_TRUE(second.ok()) << second.status().message();
    EXPECT_TRUE((*second)->read_only());
  }
  auto cache = RocksHashCache::Open((dir / "state").string());
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ((*cache)->Lookup(*id), sha);
  FileIdentity moved = *id;
  moved.mtime_ns += 1;
  EXPECT_FALSE((*cache)->Lookup(moved).has_value());
  moved = *id;
  moved.inode += 1;
  EXPECT_FALSE((*cache)->Lookup(moved).has_value());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vidx
