// Thumbnailer: the picture is the frame shown at the time, at the width asked for, upright and
// at the displayed aspect; the disk cache answers repeats, keeps its cap and survives restarts.
#include "thumbs/thumbnailer.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "indexer/video/image_io.h"
#include "tests/fixtures/video_fixtures.h"

namespace vidx {
namespace {

#define VIDX_REQUIRE_FFMPEG()      \
  if (!testing::FfmpegAvailable()) \
  GTEST_SKIP() << "the ffmpeg command is not installed; it makes the test videos"

std::string Fixture(const testing::VideoFixture& f) {
  testing::FixtureCache cache;
  auto path = cache.Get(f);
  EXPECT_TRUE(path.ok()) << path.status().ToString();
  return path.ok() ? path.value() : std::string();
}

FileIdentity Identify(const std::string& path) {
  auto id = IdentifyFile(path);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : FileIdentity{path};
}

std::unique_ptr<Thumbnailer> OpenThumbnailer(const std::string& dir, int64_t cap = 256 << 20) {
  ThumbnailerOptions o;
  o.cache_dir = dir;
  o.max_cache_bytes = cap;
  auto t = Thumbnailer::Open(o);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

// Decodes JPEG bytes back to RGB (through a file: LoadImageRgb reads files).
Frame DecodeJpeg(const std::string& jpeg) {
  testing::TempDir dir;
  const std::string path = dir.File("t.jpg");
  {
    std::ofstream out(path, std::ios::binary);
    out << jpeg;
  }
  auto f = LoadImageRgb(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : Frame();
}

// A copy of the 20 s counter video (10 fps) that a test may touch.
class ThumbnailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::FfmpegAvailable()) GTEST_SKIP() << "the ffmpeg command makes the test videos";
    video_ = dir_.File("clip.mp4");
    std::filesystem::copy_file(Fixture(testing::LongVideo(20)), video_);
    thumbs_ = OpenThumbnailer(dir_.File("state/thumbs"));
    ASSERT_NE(thumbs_, nullptr);
  }

  testing::TempDir dir_;
  std::string video_;
  std::unique_ptr<Thumbnailer> thumbs_;
};

TEST_F(ThumbnailerTest, PictureIsTheFrameShownAtTheTime) {
  const FileIdentity id = Identify(video_);
  for (double t : {0.0, 3.45, 7.0, 12.99, 19.95, 25.0, 1e12}) {
    auto jpeg = thumbs_->Get(id, t, 320);
    ASSERT_TRUE(jpeg.ok()) << jpeg.status().ToString();
    const Frame f = DecodeJpeg(*jpeg);
    ASSERT_EQ(f.width, 320);
    ASSERT_EQ(f.height, 240);
    const int expected = t >= 20 ? 199 : static_cast<int>(std::floor(t * 10 + 1e-6));
    EXPECT_EQ(testing::ReadCounter(f.rgb.data(), f.width, f.height), expected) << "t=" << t;
  }
}

TEST_F(ThumbnailerTest, SecondGetIsAHitWithTheSameBytes) {
  const FileIdentity id = Identify(video_);
  bool cached = true;
  auto first = thumbs_->Get(id, 4.2, 200, &cached);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(cached);
  auto second = thumbs_->Get(id, 4.2, 200, &cached);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(cached);
  EXPECT_EQ(*first, *second);
  // The same millisecond is the same picture; another width is another one.
  EXPECT_TRUE(thumbs_->Get(id, 4.2001, 200, &cached).ok());
  EXPECT_TRUE(cached);
  EXPECT_TRUE(thumbs_->Get(id, 4.2, 202, &cached).ok());
  EXPECT_FALSE(cached);
  const ThumbnailerStats s = thumbs_->stats();
  EXPECT_EQ(s.hits, 2);
  EXPECT_EQ(s.misses, 2);
  EXPECT_EQ(s.cache_files, 2);
  EXPECT_GT(s.cache_bytes, static_cast<int64_t>(first->size()));

  // A restart finds the cache as it was.
  thumbs_ = OpenThumbnailer(dir_.File("state/thumbs"));
  ASSERT_NE(thumbs_, nullptr);
  EXPECT_EQ(thumbs_->stats().cache_files, 2);
  EXPECT_EQ(thumbs_->stats().cache_bytes, s.cache_bytes);
  auto third = thumbs_->Get(id, 4.2, 200, &cached);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(cached);
  EXPECT_EQ(*third, *first);
}

TEST_F(ThumbnailerTest, ChangedFileIsAMissAndTheOldIdentityIsRefused) {
  const FileIdentity before = Identify(video_);
  bool cached = true;
  ASSERT_TRUE(thumbs_->Get(before, 2, 160, &cached).ok());
  EXPECT_FALSE(cached);
  struct timespec times[2] = {{1700000000, 0}, {1700000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, video_.c_str(), times, 0), 0);
  const FileIdentity after = Identify(video_);
  ASSERT_NE(after.mtime_ns, before.mtime_ns);
  ASSERT_TRUE(thumbs_->Get(after, 2, 160, &cached).ok());
  EXPECT_FALSE(cached);
  auto stale = thumbs_->Get(before, 2, 160, &cached);
  EXPECT_EQ(stale.status().code(), StatusCode::kNotFound) << stale.status().ToString();
  EXPECT_NE(stale.status().message().find(video_), std::string::npos);
}

TEST_F(ThumbnailerTest, EvictionKeepsTheCapAndDropsTheLeastRecentlyUsed) {
  const FileIdentity id = Identify(video_);
  // Sizes first, in a cache of their own.
  std::vector<int64_t> size;
  for (double t : {1.0, 6.0, 11.0, 16.0}) {
    auto j = thumbs_->Get(id, t, 256);
    ASSERT_TRUE(j.ok());
    size.push_back(static_cast<int64_t>(j->size()));
  }
  const int64_t cap =
      std::max(size[0] + size[1] + size[2], size[0] + size[2] + size[3]);  // A,B,C or A,C,D fit
  auto small = OpenThumbnailer(dir_.File("small"), cap);
  ASSERT_NE(small, nullptr);
  bool cached = false;
  for (double t : {1.0, 6.0, 11.0}) ASSERT_TRUE(small->Get(id, t, 256).ok());  // A, B, C
  ASSERT_TRUE(small->Get(id, 1.0, 256, &cached).ok());  // A used again: B is now the oldest
  EXPECT_TRUE(cached);
  ASSERT_TRUE(small->Get(id, 16.0, 256).ok());  // D pushes one out
  ThumbnailerStats s = small->stats();
  EXPECT_LE(s.cache_bytes, cap);
  EXPECT_EQ(s.evictions, 1);
  EXPECT_EQ(s.cache_files, 3);
  for (double t : {1.0, 11.0, 16.0}) {
    ASSERT_TRUE(small->Get(id, t, 256, &cached).ok());
    EXPECT_TRUE(cached) << "t=" << t;
  }
  ASSERT_TRUE(small->Get(id, 6.0, 256, &cached).ok());
  EXPECT_FALSE(cached) << "B, the least recently used, should have been evicted";
  EXPECT_LE(small->stats().cache_bytes, cap);
}

TEST_F(ThumbnailerTest, HalfWrittenTemporaryIsRemovedAtOpen) {
  const FileIdentity id = Identify(video_);
  ASSERT_TRUE(thumbs_->Get(id, 9.0, 320).ok());
  const std::string key = Thumbnailer::CacheKey(id, 9000, 320);
  const std::string folder = dir_.File("state/thumbs/" + key.substr(0, 2) + "/" + key.substr(2, 2));
  const std::string tmp = folder + "/." + key + ".tmp.99999.0";
  { std::ofstream(tmp, std::ios::binary) << "\xff\xd8\xff\xe0 cut short"; }
  // A crash between write and rename of the real name is the same as no entry: remove it.
  const std::string real = folder + "/" + key + ".jpg";
  ASSERT_TRUE(std::filesystem::remove(real));
  thumbs_ = OpenThumbnailer(dir_.File("state/thumbs"));
  ASSERT_NE(thumbs_, nullptr);
  EXPECT_FALSE(std::filesystem::exists(tmp));
  EXPECT_EQ(thumbs_->stats().cache_files, 0);
  bool cached = true;
  auto jpeg = thumbs_->Get(id, 9.0, 320, &cached);
  ASSERT_TRUE(jpeg.ok());
  EXPECT_FALSE(cached);
  EXPECT_EQ(testing::ReadCounter(DecodeJpeg(*jpeg).rgb.data(), 320, 240), 90);
}

TEST_F(ThumbnailerTest, ConcurrentMissesOfOneKeyAgree) {
  const FileIdentity id = Identify(video_);
  std::vector<std::string> out(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < out.size(); ++i) {
    threads.emplace_back([&, i] {
      auto j = thumbs_->Get(id, 13.3, 320);
      EXPECT_TRUE(j.ok()) << j.status().ToString();
      if (j.ok()) out[i] = *j;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& o : out) EXPECT_EQ(o, out[0]);
  const ThumbnailerStats s = thumbs_->stats();
  EXPECT_EQ(s.hits + s.misses, 6);
  EXPECT_EQ(s.cache_files, 1);
  EXPECT_EQ(s.cache_bytes, static_cast<int64_t>(out[0].size()));
}

TEST_F(ThumbnailerTest, RefusesBadWidthsTimesAndMissingFiles) {
  const FileIdentity id = Identify(video_);
  for (int w : {0, 63, 1281, -5}) {
    auto r = thumbs_->Get(id, 1, w);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << w;
    EXPECT_NE(r.status().message().find(video_), std::string::npos);
  }
  EXPECT_TRUE(thumbs_->Get(id, 1, 64).ok());
  EXPECT_TRUE(thumbs_->Get(id, 1, 1280).ok());
  for (double t : {-0.001, std::nan("")}) {
    EXPECT_EQ(thumbs_->Get(id, t, 320).status().code(), StatusCode::kInvalidArgument);
  }
  FileIdentity missing = id;
  missing.path = dir_.File("gone.mp4");
  auto r = thumbs_->Get(missing, 1, 320);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find(missing.path), std::string::npos);
}

TEST(ThumbnailerRotationTest, RotationAndPixelAspectAreHonoured) {
  VIDX_REQUIRE_FFMPEG();
  testing::TempDir dir;
  auto thumbs = OpenThumbnailer(dir.File("thumbs"));
  ASSERT_NE(thumbs, nullptr);
  // Stored 128x96 turned a quarter; displayed 96x128: 200 wide -> 266.7 -> 266 (even).
  auto rotated = thumbs->Get(Identify(Fixture(testing::RotatedVideo(90))), 0.5, 200);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  Frame f = DecodeJpeg(*rotated);
  EXPECT_EQ(f.width, 200);
  EXPECT_EQ(f.height, 266);
  const auto top_left = testing::MeanColour(f.rgb.data(), f.width, 10, 10, 80, 100);
  EXPECT_GT(top_left.r, 180);  // red stays top left once upright
  EXPECT_LT(top_left.b, 80);
  // Stored 96x96 with 2:1 pixels; displayed 192x96: 320 wide -> 160 tall.
  auto wide = thumbs->Get(Identify(Fixture(testing::AnamorphicVideo())), 0.5, 320);
  ASSERT_TRUE(wide.ok()) << wide.status().ToString();
  f = DecodeJpeg(*wide);
  EXPECT_EQ(f.width, 320);
  EXPECT_EQ(f.height, 160);
}

TEST(ThumbnailerHostileTest, UndecodableFilesAreErrorsAndNotCached) {
  testing::TempDir dir;
  auto thumbs = OpenThumbnailer(dir.File("thumbs"));
  ASSERT_NE(thumbs, nullptr);
  std::mt19937 rng(7);
  std::string noise(50000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  const std::string path = dir.File("noise.mp4");
  { std::ofstream(path, std::ios::binary) << noise; }
  for (int i = 0; i < 2; ++i) {
    bool cached = true;
    auto r = thumbs->Get(Identify(path), 1, 320, &cached);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(cached);
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().ToString();
  }
  const std::string playlist = dir.File("list.m3u8");
  {
    std::ofstream(playlist) << "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n"
                               "#EXTINF:1.0,\n/etc/passwd\n#EXT-X-ENDLIST\n";
  }
  EXPECT_EQ(thumbs->Get(Identify(playlist), 0, 320).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(thumbs->stats().cache_files, 0);
  EXPECT_EQ(thumbs->stats().misses, 3);
}

TEST(ThumbnailerOpenTest, RefusesAnUnusableFolderAndBadLimits) {
  testing::TempDir dir;
  { std::ofstream(dir.File("plain")) << "x"; }
  ThumbnailerOptions o;
  o.cache_dir = dir.File("plain/thumbs");
  EXPECT_FALSE(Thumbnailer::Open(o).ok());
  o.cache_dir = "";
  EXPECT_EQ(Thumbnailer::Open(o).status().code(), StatusCode::kInvalidArgument);
  o.cache_dir = dir.File("ok");
  o.max_seconds = 0;
  EXPECT_EQ(Thumbnailer::Open(o).status().code(), StatusCode::kInvalidArgument);
  o.max_seconds = 20;
  o.max_cache_bytes = -1;
  EXPECT_EQ(Thumbnailer::Open(o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vidx
