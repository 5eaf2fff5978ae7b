// ThumbCache on its own: writes, hits, the size cap and its order, what Open finds on disk.
#include "thumbs/thumb_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <thread>
#include <vector>

#include "indexer/model/sha256.h"
#include "tests/fixtures/video_fixtures.h"

namespace vidx {
namespace {

std::string Key(int i) { return Sha256Hex("entry " + std::to_string(i)); }

// A fake JPEG of `size` bytes: SOI, filler, EOI.
std::string Jpeg(size_t size, char fill = 'x') {
  std::string b(size, fill);
  b[0] = '\xff';
  b[1] = '\xd8';
  b[size - 2] = '\xff';
  b[size - 1] = '\xd9';
  return b;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void SetMtime(const std::string& path, int64_t seconds) {
  struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

TEST(ThumbCacheTest, StoresInATwoLevelFanOutAndHits) {
  testing::TempDir dir;
  auto cache = ThumbCache::Open(dir.File("a/b/thumbs"), 1 << 20);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  struct stat st;
  ASSERT_EQ(::stat(dir.File("a/b/thumbs").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string k = Key(1);
  EXPECT_FALSE((*cache)->Lookup(k).has_value());
  ASSERT_TRUE((*cache)->Insert(k, Jpeg(100)).ok());
  EXPECT_EQ((*cache)->PathFor(k),
            dir.File("a/b/thumbs/" + k.substr(0, 2) + "/" + k.substr(2, 2) + "/" + k + ".jpg"));
  EXPECT_TRUE(Exists((*cache)->PathFor(k)));
  auto hit = (*cache)->Lookup(k);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(*hit, Jpeg(100));
  EXPECT_EQ((*cache)->stats().bytes, 100);
  EXPECT_EQ((*cache)->stats().files, 1);
  ASSERT_TRUE((*cache)->Insert(k, Jpeg(50)).ok());  // replaced, counted once
  EXPECT_EQ((*cache)->stats().bytes, 50);
  EXPECT_EQ((*cache)->stats().files, 1);
}

TEST(ThumbCacheTest, EvictsTheLeastRecentlyUsedToStayUnderTheCap) {
  testing::TempDir dir;
  auto cache = ThumbCache::Open(dir.path(), 350);
  ASSERT_TRUE(cache.ok());
  ThumbCache& c = **cache;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.Insert(Key(i), Jpeg(100)).ok());
  ASSERT_TRUE(c.Lookup(Key(0)).has_value());  // 0 is now more recent than 1 and 2
  ASSERT_TRUE(c.Insert(Key(3), Jpeg(100)).ok());
  EXPECT_LE(c.stats().bytes, 350);
  EXPECT_EQ(c.stats().files, 3);
  EXPECT_EQ(c.stats().evictions, 1);
  EXPECT_FALSE(Exists(c.PathFor(Key(1))));  // the least recently used
  for (int i : {0, 2, 3}) EXPECT_TRUE(c.Lookup(Key(i)).has_value()) << i;
  // One entry larger than the whole cap does not stay either.
  ASSERT_TRUE(c.Insert(Key(9), Jpeg(1000)).ok());
  EXPECT_LE(c.stats().bytes, 350);
  EXPECT_FALSE(c.Lookup(Key(9)).has_value());
}

TEST(ThumbCacheTest, OpenCountsEntriesOrdersThemByMtimeAndRemovesTemporaries) {
  testing::TempDir dir;
  std::vector<std::string> paths;
  {
    auto cache = ThumbCache::Open(dir.path(), 1 << 20);
    ASSERT_TRUE(cache.ok());
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE((*cache)->Insert(Key(i), Jpeg(100)).ok());
      paths.push_back((*cache)->PathFor(Key(i)));
    }
  }
  // Used long ago, in the order 2, 0, 3, 1 (1 most recently).
  SetMtime(paths[2], 1000);
  SetMtime(paths[0], 2000);
  SetMtime(paths[3], 3000);
  SetMtime(paths[1], 4000);
  // What a crash in the middle of a write leaves, and files that are not ours.
  const std::string folder = paths[0].substr(0, paths[0].rfind('/'));
  const std::string tmp = folder + "/." + Key(0) + ".tmp.4242.7";
  { std::ofstream(tmp) << "\xff\xd8half a pict"; }
  { std::ofstream(dir.File("README")) << "not a thumbnail"; }
  auto cache = ThumbCache::Open(dir.path(), 250);  // room for two of the four
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  ThumbCache& c = **cache;
  EXPECT_FALSE(Exists(tmp));
  EXPECT_TRUE(Exists(dir.File("README")));
  EXPECT_EQ(c.stats().temporaries_removed, 1);
  EXPECT_EQ(c.stats().files, 2);
  EXPECT_EQ(c.stats().bytes, 200);
  EXPECT_EQ(c.stats().evictions, 2);
  EXPECT_FALSE(Exists(paths[2]));
  EXPECT_FALSE(Exists(paths[0]));
  EXPECT_TRUE(c.Lookup(Key(3)).has_value());
  EXPECT_TRUE(c.Lookup(Key(1)).has_value());
}

TEST(ThumbCacheTest, HitTouchesTheMtime) {
  testing::TempDir dir;
  auto cache = ThumbCache::Open(dir.path(), 1 << 20);
  ASSERT_TRUE(cache.ok());
  ASSERT_TRUE((*cache)->Insert(Key(1), Jpeg(64)).ok());
  const std::string path = (*cache)->PathFor(Key(1));
  SetMtime(path, 1000);
  ASSERT_TRUE((*cache)->Lookup(Key(1)).has_value());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, 1000000000);
}

TEST(ThumbCacheTest, DamagedEntryIsAMissAndIsRemoved) {
  testing::TempDir dir;
  auto cache = ThumbCache::Open(dir.path(), 1 << 20);
  ASSERT_TRUE(cache.ok());
  ThumbCache& c = **cache;
  ASSERT_TRUE(c.Insert(Key(1), Jpeg(200)).ok());
  ASSERT_EQ(::truncate(c.PathFor(Key(1)).c_str(), 120), 0);  // no EOI any more
  EXPECT_FALSE(c.Lookup(Key(1)).has_value());
  EXPECT_FALSE(Exists(c.PathFor(Key(1))));
  EXPECT_EQ(c.stats().files, 0);
  EXPECT_EQ(c.stats().bytes, 0);
}

TEST(ThumbCacheTest, ZeroCapStoresNothingAndBadArgumentsAreRefused) {
  testing::TempDir dir;
  auto cache = ThumbCache::Open(dir.path(), 0);
  ASSERT_TRUE(cache.ok());
  ASSERT_TRUE((*cache)->Insert(Key(1), Jpeg(10)).ok());
  EXPECT_FALSE((*cache)->Lookup(Key(1)).has_value());
  EXPECT_EQ(ThumbCache::Open(dir.path(), -1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ThumbCache::Open("", 10).status().code(), StatusCode::kInvalidArgument);
  { std::ofstream(dir.File("file")) << "x"; }
  EXPECT_FALSE(ThumbCache::Open(dir.File("file"), 10).ok());
  EXPECT_TRUE(ThumbCache::IsKey(Key(1)));
  EXPECT_FALSE(ThumbCache::IsKey("../../etc/passwd"));
}

TEST(ThumbCacheTest, ConcurrentWritersAndReadersKeepTheCountsRight) {
  testing::TempDir dir;
  auto cache = ThumbCache::Open(dir.path(), 20 * 100);
  ASSERT_TRUE(cache.ok());
  ThumbCache& c = **cache;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 200; ++i) {
        const int k = (i * 7 + t) % 30;
        if (!c.Lookup(Key(k)).has_value()) {
          EXPECT_TRUE(c.Insert(Key(k), Jpeg(100)).ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const ThumbCacheStats s = c.stats();
  EXPECT_LE(s.bytes, 2000);
  EXPECT_EQ(s.bytes, s.files * 100);
  // What is counted is what is on disk.
  int on_disk = 0;
  for (int k = 0; k < 30; ++k) on_disk += Exists(c.PathFor(Key(k))) ? 1 : 0;
  EXPECT_EQ(on_disk, s.files);
}

}  // namespace
}  // namespace vidx
