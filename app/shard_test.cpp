#include "app/shard.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace vidx {
namespace {

namespace fs = std::filesystem;

TEST(ShardSpecTest, ParsesIOfN) {
  StatusOr<ShardSpec> s = ParseShardSpec("2/8");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 8);
  for (const char* bad : {"8/8", "1", "/3", "1/", "-1/3", "a/3", "1/0", "1/3x"}) {
    EXPECT_EQ(ParseShardSpec(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ShardAssignmentTest, EveryFileInExactlyOneShardWhateverTheMountPoint) {
  std::vector<std::string> a, b;
  for (int i = 0; i < 200; ++i) {
    a.push_back("/mnt/a/lib/d" + std::to_string(i % 7) + "/clip" + std::to_string(i) + ".mp4");
    b.push_back("/srv/b/d" + std::to_string(i % 7) + "/clip" + std::to_string(i) + ".mp4");
  }
  size_t total = 0;
  for (int s = 0; s < 5; ++s) {
    std::vector<std::string> in_a = FilesOfShard(a, {"/mnt/a/lib"}, ShardSpec{s, 5});
    std::vector<std::string> in_b = FilesOfShard(b, {"/srv/b"}, ShardSpec{s, 5});
    ASSERT_EQ(in_a.size(), in_b.size()) << "shard " << s;
    for (size_t i = 0; i < in_a.size(); ++i) {
      EXPECT_EQ(in_a[i].substr(std::string("/mnt/a/lib").size()),
                in_b[i].substr(std::string("/srv/b").size()));
    }
    EXPECT_GT(in_a.size(), 0u);
    total += in_a.size();
  }
  EXPECT_EQ(total, a.size());
  // Pinned: a change of the hash would reshuffle every running scale-out job's shards.
  // (FNV-1a-64 of "d1/clip1.mp4", computed independently, modulo 1000.)
  EXPECT_EQ(ShardOfRelativePath("d1/clip1.mp4", 1000), 221);
  EXPECT_EQ(ShardOfRelativePath("", 7), static_cast<int>(14695981039346656037ull % 7));
}

TEST(ShardFileTest, RoundTripsAndIsRemoved) {
  const std::string dir =
      (fs::temp_directory_path() / ("vidx_shard_file_" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  EXPECT_EQ(ReadShardFile(dir).status().code(), StatusCode::kNotFound);
  ShardInfo info{ShardSpec{3, 4}, "abc123", 512, {"/lib/one", "/lib/two words"}};
  ASSERT_TRUE(WriteShardFile(dir, info).ok());
  StatusOr<ShardInfo> read = ReadShardFile(dir);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->spec.index, 3);
  EXPECT_EQ(read->spec.count, 4);
  EXPECT_EQ(read->fingerprint, "abc123");
  EXPECT_EQ(read->dimension, 512u);
  EXPECT_EQ(read->roots, info.roots);
  ASSERT_TRUE(RemoveShardFile(dir).ok());
  ASSERT_TRUE(RemoveShardFile(dir).ok());
  EXPECT_EQ(ReadShardFile(dir).status().code(), StatusCode::kNotFound);
  std::ofstream(ShardFilePath(dir)) << "vidx-shard 1\nshard 1\ncount 2\nbogus 1\n";
  Status s = ReadShardFile(dir).status();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("line 4"), std::string::npos) << s.message();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vidx
