#include "indexer/video/image_io.h"

#include <gtest/gtest.h>

#include <fstream>
#include <utility>

#include "tests/fixtures/video_fixtures.h"

namespace vidx {
namespace {

Frame Pattern(int w, int h) {
  Frame f;
  f.width = w;
  f.height = h;
  f.rgb.resize(static_cast<size_t>(w) * h * 3);
  for (size_t i = 0; i < f.rgb.size(); ++i) f.rgb[i] = static_cast<uint8_t>((i * 37) ^ (i >> 5));
  return f;
}

TEST(ImageIoTest, PngRoundTripIsExact) {
  testing::TempDir dir;
  const Frame f = Pattern(37, 23);
  const std::string path = dir.File("x.png");
  Status s = WritePng(path, f);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto back = LoadImageRgb(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->width, 37);
  EXPECT_EQ(back->height, 23);
  EXPECT_EQ(back->rgb, f.rgb);
}

TEST(ImageIoTest, WritePngRefusesBadFramesAndBadPaths) {
  testing::TempDir dir;
  Frame bad = Pattern(4, 4);
  bad.rgb.pop_back();
  EXPECT_EQ(WritePng(dir.File("bad.png"), bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WritePng(dir.File("missing/dir/x.png"), Pattern(4, 4)).code(), StatusCode::kIoError);
}

// Stripes that encode `n` (the counter pattern of tests/fixtures), in RGB.
Frame Stripes(int w, int h, int n) {
  Frame f;
  f.width = w;
  f.height = h;
  f.rgb.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const uint8_t v = ((n >> (x * 8 / w)) & 1) ? 235 : 16;
      uint8_t* p = &f.rgb[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = p[1] = p[2] = v;
    }
  }
  return f;
}

TEST(ImageIoTest, JpegDecodesBackToThePicture) {
  testing::TempDir dir;
  for (const auto& [w, h] : {std::pair<int, int>{128, 96}, {321, 181}, {64, 2}}) {
    const Frame f = Stripes(w, h, 0xA5);
    auto jpeg = EncodeJpeg(f, 85);
    ASSERT_TRUE(jpeg.ok()) << jpeg.status().ToString();
    ASSERT_GT(jpeg->size(), 4u);
    EXPECT_EQ(jpeg->substr(0, 2), "\xff\xd8");  // SOI ... EOI
    EXPECT_EQ(jpeg->substr(jpeg->size() - 2), "\xff\xd9");
    const std::string path = dir.File("x" + std::to_string(w) + ".jpg");
    {
      std::ofstream out(path, std::ios::binary);
      out << *jpeg;
    }
    auto back = LoadImageRgb(path);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->width, w);
    EXPECT_EQ(back->height, h);
    if (h >= 8) {
      EXPECT_EQ(testing::ReadCounter(back->rgb.data(), w, h), 0xA5) << w << "x" << h;
    }
  }
}

TEST(ImageIoTest, LargerJpegNamedJpgIsLoaded) {
  // More than the first probe's 2 KiB: recognised by its content, not taken for a sequence.
  testing::TempDir dir;
  auto jpeg = EncodeJpeg(Pattern(320, 240), 90);
  ASSERT_TRUE(jpeg.ok());
  ASSERT_GT(jpeg->size(), 8192u);
  for (const std::string name : {"photo.jpg", "photo.jpeg", "photo"}) {
    {
      std::ofstream out(dir.File(name), std::ios::binary);
      out << *jpeg;
    }
    auto back = LoadImageRgb(dir.File(name));
    ASSERT_TRUE(back.ok()) << name << ": " << back.status().ToString();
    EXPECT_EQ(back->width, 320);
  }
}

TEST(ImageIoTest, JpegQualityTradesBytes) {
  const Frame f = Pattern(160, 120);
  auto low = EncodeJpeg(f, 10);
  auto high = EncodeJpeg(f, 95);
  ASSERT_TRUE(low.ok() && high.ok());
  EXPECT_LT(low->size(), high->size());
  EXPECT_TRUE(EncodeJpeg(f, -5).ok());  // clamped, not refused
  Frame bad = Pattern(4, 4);
  bad.rgb.pop_back();
  EXPECT_EQ(EncodeJpeg(bad, 80).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeJpeg(Frame(), 80).status().code(), StatusCode::kInvalidArgument);
}

TEST(ImageIoTest, LoadsJpegAndBmpMadeByFfmpeg) {
  if (!testing::FfmpegAvailable()) GTEST_SKIP() << "the ffmpeg command makes the test images";
  testing::TempDir dir;
  for (const std::string ext : {"jpg", "bmp", "png"}) {
    const std::string path = dir.File("counter." + ext);
    std::string err;
    const int rc = testing::RunProgram(
        {"ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "color=c=black:s=128x96:r=1:d=1,format=yuv444p,"
         "geq=lum='16+219*mod(floor(45/pow(2\\,floor(X*8/W)))\\,2)':cb=128:cr=128",
         "-frames:v", "1", "-q:v", "2", path},
        &err);
    ASSERT_EQ(rc, 0) << err;
    auto img = LoadImageRgb(path);
    ASSERT_TRUE(img.ok()) << ext << ": " << img.status().ToString();
    EXPECT_EQ(img->width, 128);
    EXPECT_EQ(img->height, 96);
    EXPECT_EQ(testing::ReadCounter(img->rgb.data(), 128, 96), 45) << ext;
  }
}

TEST(ImageIoTest, RefusesVideosPlaylistsAndGarbage) {
  testing::TempDir dir;
  {
    std::ofstream(dir.File("list.m3u8"))
        << "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nx.png\n#EXT-X-ENDLIST\n";
    std::ofstream(dir.File("noise.png")) << "this is not a picture at all, just words";
  }
  auto r = LoadImageRgb(dir.File("list.m3u8"));
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << r.status().ToString();
  r = LoadImageRgb(dir.File("noise.png"));
  EXPECT_FALSE(r.ok());
  r = LoadImageRgb(dir.File("nothing.png"));
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  if (testing::FfmpegAvailable()) {
    testing::FixtureCache cache;
    auto video = cache.Get(testing::OneFrameVideo());
    ASSERT_TRUE(video.ok()) << video.status().ToString();
    r = LoadImageRgb(video.value());
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << r.status().ToString();
  }
}

}  // namespace
}  // namespace vidx
