// DecodeFrameAt against generated videos: the frame delivered for time t is the frame a player
// shows at t (the counter pattern says which frame it is), across codecs and containers, with
// rotation and sample aspect ratio applied and the requested width.
#include "indexer/video/frame_at.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/fixtures/video_fixtures.h"

namespace vidx {
namespace {

using testing::VideoFixture;

#define VIDX_REQUIRE_FFMPEG()      \
  if (!testing::FfmpegAvailable()) \
  GTEST_SKIP() << "the ffmpeg command is not installed; it makes the test videos"

std::string Fixture(const VideoFixture& f) {
  testing::FixtureCache cache;
  auto path = cache.Get(f);
  EXPECT_TRUE(path.ok()) << path.status().ToString();
  return path.ok() ? path.value() : std::string();
}

FrameAtOptions Width(int width) {
  FrameAtOptions o;
  o.width = width;
  o.max_seconds = 60;
  return o;
}

// The counter frame shown at `t` in a constant-rate counter video of `frames` frames.
int ShownAt(double t, double fps, int frames) {
  const int n = static_cast<int>(std::floor(t * fps + 1e-6));
  return std::min(n, frames - 1);
}

class FrameAtMatrixTest : public ::testing::TestWithParam<VideoFixture> {};

TEST_P(FrameAtMatrixTest, FrameIsTheOneShownAtTheTime) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture& f = GetParam();
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  // Mid-frame times, exact frame boundaries, the last frame, past the end, in no order.
  for (double t : {1.25, 0.0, 0.05, 1.3, 2.95, 0.7, 2.0, 2.999, 3.5, 1000.0}) {
    SCOPED_TRACE(f.name + " at t=" + std::to_string(t));
    VideoInfo info;
    auto frame = DecodeFrameAt(path, t, Width(0), &info);
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    EXPECT_EQ(info.codec, f.codec);
    ASSERT_EQ(frame->width, f.width);
    ASSERT_EQ(frame->height, f.height);
    const int n = testing::ReadCounter(frame->rgb.data(), frame->width, frame->height);
    EXPECT_EQ(n, ShownAt(t, f.fps, f.frames)) << "frame reported at " << frame->t;
    EXPECT_NEAR(frame->t, n / f.fps, 0.5 / f.fps);
    EXPECT_DOUBLE_EQ(frame->target, t);
  }
}

TEST_P(FrameAtMatrixTest, ScalesToTheRequestedWidth) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture& f = GetParam();
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  auto frame = DecodeFrameAt(path, 1.55, Width(256));
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  EXPECT_EQ(frame->width, 256);
  EXPECT_EQ(frame->height, 192);  // 128x96 kept at 4:3
  EXPECT_EQ(testing::ReadCounter(frame->rgb.data(), 256, 192), 15);
}

INSTANTIATE_TEST_SUITE_P(FrameAt, FrameAtMatrixTest, ::testing::ValuesIn(testing::CodecMatrix()),
                         [](const ::testing::TestParamInfo<VideoFixture>& p) {
                           return p.param.name;
                         });

TEST(FrameAtTest, SparseKeyframesWithAndWithoutAnIndex) {
  VIDX_REQUIRE_FFMPEG();
  for (const VideoFixture& f : {testing::LongVideo(50), testing::LongVideo(50, "ts")}) {
    const std::string path = Fixture(f);
    ASSERT_FALSE(path.empty());
    for (double t : {17.35, 4.95, 5.0, 0.15, 19.95, 12.0}) {
      SCOPED_TRACE(f.name + " at t=" + std::to_string(t));
      auto frame = DecodeFrameAt(path, t, Width(0));
      ASSERT_TRUE(frame.ok()) << frame.status().ToString();
      EXPECT_EQ(testing::ReadCounter(frame->rgb.data(), frame->width, frame->height),
                ShownAt(t, 10, 200));
    }
  }
}

TEST(FrameAtTest, VariableFrameRateShowsTheLastFrameBeforeAGap) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::VfrVideo());
  ASSERT_FALSE(path.empty());
  // Frames n with n mod 10 in 3..6 were dropped: frame 2 stays on screen from 0.2 s to 0.7 s.
  for (double t : {0.25, 0.45, 0.69, 1.55}) {
    auto frame = DecodeFrameAt(path, t, Width(0));
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    const int n = testing::ReadCounter(frame->rgb.data(), frame->width, frame->height);
    EXPECT_EQ(n, t < 1 ? 2 : 12) << "t=" << t;
  }
}

TEST(FrameAtTest, TimesCountFromThePresentationStart) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::StartOffsetVideo());
  ASSERT_FALSE(path.empty());
  auto frame = DecodeFrameAt(path, 1.25, Width(0));
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  EXPECT_EQ(testing::ReadCounter(frame->rgb.data(), frame->width, frame->height), 12);
  EXPECT_NEAR(frame->t, 1.2, 0.01);
}

TEST(FrameAtTest, OneFrameVideoAnswersEveryTime) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::OneFrameVideo());
  ASSERT_FALSE(path.empty());
  for (double t : {0.0, 0.05, 7.0}) {
    auto frame = DecodeFrameAt(path, t, Width(0));
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    EXPECT_EQ(testing::ReadCounter(frame->rgb.data(), frame->width, frame->height), 0);
  }
}

class FrameAtRotationTest : public ::testing::TestWithParam<int> {};

TEST_P(FrameAtRotationTest, OutputIsUprightAtTheRequestedWidth) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::RotatedVideo(GetParam()));
  ASSERT_FALSE(path.empty());
  for (int width : {0, 64, 320}) {
    SCOPED_TRACE("width " + std::to_string(width));
    VideoInfo info;
    auto frame = DecodeFrameAt(path, 0.5, Width(width), &info);
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    EXPECT_EQ(info.rotation, GetParam());
    const Frame& fr = *frame;
    // Displayed 96x128 (portrait): 64 wide is 85.3 -> 86 tall, 320 wide is 426.7 -> 426.
    EXPECT_EQ(fr.width, width == 0 ? 96 : width);
    EXPECT_EQ(fr.height, width == 0 ? 128 : width == 64 ? 86 : 426);
    const int w = fr.width, h = fr.height;
    auto quadrant = [&](int qx, int qy) {
      return testing::MeanColour(fr.rgb.data(), w, qx * w / 2 + w / 8, qy * h / 2 + h / 8,
                                 qx * w / 2 + w * 3 / 8, qy * h / 2 + h * 3 / 8);
    };
    const testing::Rgb tl = quadrant(0, 0), tr = quadrant(1, 0), bl = quadrant(0, 1),
                       br = quadrant(1, 1);
    EXPECT_GT(tl.r, 200);
    EXPECT_LT(tl.b, 60);  // red
    EXPECT_GT(tr.g, 200);
    EXPECT_LT(tr.r, 60);  // green
    EXPECT_GT(bl.b, 200);
    EXPECT_LT(bl.g, 60);  // blue
    EXPECT_GT(br.r, 200);
    EXPECT_GT(br.b, 200);  // white
  }
}

INSTANTIATE_TEST_SUITE_P(FrameAt, FrameAtRotationTest, ::testing::Values(90, 180, 270));

TEST(FrameAtTest, NonSquarePixelsAreShownAtTheDisplayedAspect) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::AnamorphicVideo());
  ASSERT_FALSE(path.empty());
  for (int width : {0, 128}) {
    auto frame = DecodeFrameAt(path, 0.3, Width(width));
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    const Frame& fr = *frame;
    ASSERT_EQ(fr.width, width == 0 ? 192 : 128);  // stored 96x96 with pixels 2:1
    ASSERT_EQ(fr.height, width == 0 ? 96 : 64);
    const int w = fr.width, h = fr.height;
    const auto left = testing::MeanColour(fr.rgb.data(), w, w / 8, h / 4, w * 3 / 8, h * 3 / 4);
    const auto right =
        testing::MeanColour(fr.rgb.data(), w, w * 5 / 8, h / 4, w * 7 / 8, h * 3 / 4);
    EXPECT_GT(left.r, 200);
    EXPECT_LT(left.b, 60);
    EXPECT_GT(right.b, 200);
    EXPECT_LT(right.r, 60);
  }
}

TEST(FrameAtTest, RefusesBadTimesAndOptions) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::ShortVideo());
  ASSERT_FALSE(path.empty());
  for (double t : {-0.5, std::nan(""), std::numeric_limits<double>::infinity()}) {
    auto frame = DecodeFrameAt(path, t, Width(0));
    EXPECT_EQ(frame.status().code(), StatusCode::kInvalidArgument) << t;
    EXPECT_NE(frame.status().message().find(path), std::string::npos);
  }
  EXPECT_EQ(DecodeFrameAt(path, 0, Width(-2)).status().code(), StatusCode::kInvalidArgument);
  auto missing = DecodeFrameAt("/nonexistent/clip.mp4", 1, Width(0));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/clip.mp4"), std::string::npos);
}

}  // namespace
}  // namespace vidx
