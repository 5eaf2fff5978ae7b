#include "indexer/model/checkpoint_hash.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "indexer/model/sha256.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

class MemoryHashCache : public HashCache {
 public:
  std::optional<std::string> Lookup(const FileIdentity& file) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++lookups;
    auto it = entries_.find(file.path);
    if (it == entries_.end() || !(it->second.first == file)) return std::nullopt;
    return it->second.second;
  }
  Status Store(const FileIdentity& file, const std::string& sha256) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++stores;
    entries_[file.path] = {file, sha256};
    return Status::Ok();
  }
  int lookups = 0;
  int stores = 0;

 private:
  std::mutex mu_;
  std::map<std::string, std::pair<FileIdentity, std::string>> entries_;
};

class CheckpointHashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vidx_ckpt_hash_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  fs::path dir_;
};

TEST_F(CheckpointHashTest, SingleFileIsItsSha256AndIsCached) {
  std::string file = Write("model.safetensors", "weights v1");
  MemoryHashCache cache;
  auto first = HashCheckpoint({file}, &cache, false);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->sha256, Sha256Hex("weights v1"));
  EXPECT_FALSE(first->from_cache);
  EXPECT_EQ(cache.stores, 1);

  auto second = HashCheckpoint({file}, &cache, false);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->sha256, first->sha256);
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(cache.stores, 1);

  auto forced = HashCheckpoint({file}, &cache, true);
  ASSERT_TRUE(forced.ok());
  EXPECT_FALSE(forced->from_cache);
  EXPECT_EQ(cache.stores, 2);
}

TEST_F(CheckpointHashTest, ChangedFileIsReRead) {
  std::string file = Write("model.safetensors", "weights v1");
  MemoryHashCache cache;
  ASSERT_TRUE(HashCheckpoint({file}, &cache, false).ok());
  // Same size, new content and mtime: the identity differs, so the cache must not answer.
  Write("model.safetensors", "weights v2");
  struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
  auto again = HashCheckpoint({file}, &cache, false);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->from_cache);
  EXPECT_EQ(again->sha256, Sha256Hex("weights v2"));
}

TEST_F(CheckpointHashTest, ShardsCombineInNameOrder) {
  std::string a = Write("model-00001-of-00002.safetensors", "A");
  std::string b = Write("model-00002-of-00002.safetensors", "B");
  auto ab = HashCheckpoint({a, b}, nullptr, false);
  auto ba = HashCheckpoint({b, a}, nullptr, false);
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_EQ(ab->sha256, ba->sha256);
  EXPECT_EQ(ab->sha256, Sha256Hex("model-00001-of-00002.safetensors " + Sha256Hex("A") +
                                  "\nmodel-00002-of-00002.safetensors " + Sha256Hex("B") + "\n"));
}

TEST_F(CheckpointHashTest, MissingFileIsNamed) {
  std::string missing = (dir_ / "nope.safetensors").string();
  auto r = HashCheckpoint({missing}, nullptr, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("nope.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace vidx
