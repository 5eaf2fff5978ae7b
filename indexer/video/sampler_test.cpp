// FrameSampler against generated videos: every delivered frame must be the frame shown at its
// reported time (the counter pattern says which frame it is), across codecs and containers.
#include "indexer/video/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <thread>

#include "tests/fixtures/video_fixtures.h"

namespace vidx {
namespace {

using testing::FixtureCache;
using testing::VideoFixture;

#define VIDX_REQUIRE_FFMPEG()      \
  if (!testing::FfmpegAvailable()) \
  GTEST_SKIP() << "the ffmpeg command is not installed; it makes the test videos"

std::string Fixture(const VideoFixture& f) {
  FixtureCache cache;
  auto path = cache.Get(f);
  EXPECT_TRUE(path.ok()) << path.status().ToString();
  return path.ok() ? path.value() : std::string();
}

SamplerOptions Options(double fps, double tolerance = -1, int output_size = 0) {
  SamplerOptions o;
  o.sampling.fps = fps;
  o.sampling.keyframe_tolerance = tolerance;
  o.output_size = output_size;
  o.max_seconds = 60;
  return o;
}

// Each frame is the counter frame shown at its reported time; times strictly increase.
void ExpectCounterFramesConsistent(const VideoFixture& f, const std::vector<Frame>& frames) {
  double last = -1;
  for (const Frame& fr : frames) {
    ASSERT_EQ(fr.rgb.size(), static_cast<size_t>(fr.width) * fr.height * 3);
    const int n = testing::ReadCounter(fr.rgb.data(), fr.width, fr.height);
    ASSERT_GE(n, 0) << "unreadable counter in the frame at t=" << fr.t;
    EXPECT_NEAR(fr.t, n / f.fps, 0.5 / f.fps)
        << f.name << ": frame " << n << " reported at " << fr.t;
    EXPECT_GT(fr.t, last) << f.name;
    last = fr.t;
  }
}

TEST(ChooseTargetsTest, OneEveryIntervalFromZero) {
  EXPECT_EQ(ChooseTargets(10, 0.5, 512), (std::vector<double>{0, 2, 4, 6, 8}));
  EXPECT_EQ(ChooseTargets(10.5, 0.5, 512), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(ChooseTargets(4, 0.5, 512), (std::vector<double>{0, 2}));
}

TEST(ChooseTargetsTest, AtLeastOne) {
  EXPECT_EQ(ChooseTargets(0.5, 0.5, 512), (std::vector<double>{0}));
  EXPECT_EQ(ChooseTargets(0, 0.5, 512), (std::vector<double>{0}));
  EXPECT_EQ(ChooseTargets(-3, 0.5, 512), (std::vector<double>{0}));
  EXPECT_EQ(ChooseTargets(std::nan(""), 0.5, 512), (std::vector<double>{0}));
  EXPECT_EQ(ChooseTargets(10, 0, 512), (std::vector<double>{0}));
  EXPECT_EQ(ChooseTargets(10, 1, 0), (std::vector<double>{0}));
}

TEST(ChooseTargetsTest, SpreadUniformlyBeyondMaxFrames) {
  const auto t = ChooseTargets(100, 1, 10);
  ASSERT_EQ(t.size(), 10u);
  for (int k = 0; k < 10; ++k) EXPECT_DOUBLE_EQ(t[k], 10.0 * k);
  EXPECT_EQ(ChooseTargets(1e9, 1e6, 512).size(), 512u);  // no huge intermediate vector
}

class CodecMatrixTest : public ::testing::TestWithParam<VideoFixture> {};

TEST_P(CodecMatrixTest, FramesAreTheFramesAtTheirTimes) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture& f = GetParam();
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  for (double tolerance : {-1.0, 0.0}) {
    SCOPED_TRACE("tolerance " + std::to_string(tolerance));
    FrameSampler sampler(Options(3, tolerance));
    VideoInfo info;
    std::vector<Frame> frames;
    SampleStats stats;
    Status s = sampler.SampleAll(path, &info, &frames, &stats);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(info.codec, f.codec);
    EXPECT_EQ(info.width, f.width);
    EXPECT_EQ(info.height, f.height);
    EXPECT_NEAR(info.duration, f.frames / f.fps, 0.25);
    const size_t targets = ChooseTargets(info.duration, 3, 512).size();
    EXPECT_GE(frames.size() + 1, targets);
    EXPECT_LE(frames.size(), targets);
    ExpectCounterFramesConsistent(f, frames);
    const double allowed = (tolerance < 0 ? 0.5 / 3 : 0.5 / f.fps) + 1.0 / f.fps + 1e-6;
    for (const Frame& fr : frames) {
      EXPECT_EQ(fr.width, f.width);
      EXPECT_EQ(fr.height, f.height);
      EXPECT_LE(std::fabs(fr.t - fr.target), allowed) << "t=" << fr.t;
    }
    EXPECT_GT(stats.frames_decoded, 0);
  }
}

TEST_P(CodecMatrixTest, CropsToModelSize) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture& f = GetParam();
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  FrameSampler sampler(Options(1, -1, 64));
  std::vector<Frame> frames;
  Status s = sampler.SampleAll(path, nullptr, &frames);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_FALSE(frames.empty());
  for (const Frame& fr : frames) {
    EXPECT_EQ(fr.width, 64);
    EXPECT_EQ(fr.height, 64);
    EXPECT_EQ(fr.rgb.size(), 64u * 64 * 3);
  }
}

INSTANTIATE_TEST_SUITE_P(Sampler, CodecMatrixTest, ::testing::ValuesIn(testing::CodecMatrix()),
                         [](const ::testing::TestParamInfo<VideoFixture>& p) {
                           return p.param.name;
                         });

class RotationTest : public ::testing::TestWithParam<int> {};

TEST_P(RotationTest, OutputIsUpright) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture f = testing::RotatedVideo(GetParam());
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  for (int size : {0, 64}) {
    FrameSampler sampler(Options(1, -1, size));
    VideoInfo info;
    std::vector<Frame> frames;
    Status s = sampler.SampleAll(path, &info, &frames);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(info.rotation, GetParam());
    EXPECT_EQ(info.width, 96);
    EXPECT_EQ(info.height, 128);
    ASSERT_FALSE(frames.empty());
    const Frame& fr = frames[0];
    EXPECT_EQ(fr.width, size == 0 ? 96 : 64);
    EXPECT_EQ(fr.height, size == 0 ? 128 : 64);
    const int w = fr.width, h = fr.height;
    auto quadrant = [&](int qx, int qy) {
      return testing::MeanColour(fr.rgb.data(), w, qx * w / 2 + w / 8, qy * h / 2 + h / 8,
                                 qx * w / 2 + w * 3 / 8, qy * h / 2 + h * 3 / 8);
    };
    const testing::Rgb tl = quadrant(0, 0), tr = quadrant(1, 0), bl = quadrant(0, 1),
                       br = quadrant(1, 1);
    EXPECT_GT(tl.r, 200);
    EXPECT_LT(tl.g, 60);
    EXPECT_LT(tl.b, 60);  // red
    EXPECT_LT(tr.r, 60);
    EXPECT_GT(tr.g, 200);
    EXPECT_LT(tr.b, 60);  // green
    EXPECT_LT(bl.r, 60);
    EXPECT_LT(bl.g, 60);
    EXPECT_GT(bl.b, 200);  // blue
    EXPECT_GT(br.r, 200);
    EXPECT_GT(br.g, 200);
    EXPECT_GT(br.b, 200);  // white
  }
}

INSTANTIATE_TEST_SUITE_P(Sampler, RotationTest, ::testing::Values(90, 180, 270));

TEST(SamplerTest, AnamorphicIsShownAtDisplayedSize) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::AnamorphicVideo());
  ASSERT_FALSE(path.empty());
  for (int size : {0, 48}) {
    FrameSampler sampler(Options(1, -1, size));
    VideoInfo info;
    std::vector<Frame> frames;
    Status s = sampler.SampleAll(path, &info, &frames);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(info.width, 192);
    EXPECT_EQ(info.height, 96);
    ASSERT_FALSE(frames.empty());
    const Frame& fr = frames[0];
    ASSERT_EQ(fr.width, size == 0 ? 192 : 48);
    ASSERT_EQ(fr.height, size == 0 ? 96 : 48);
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

TEST(SamplerTest, VariableFrameRateTimesAreRight) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture f = testing::VfrVideo();
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  std::vector<double> existing;  // the frames the file really has
  for (int n = 0; n < f.frames; ++n) {
    if (n % 10 < 3 || n % 10 > 6) existing.push_back(n / f.fps);
  }
  FrameSampler sampler(Options(2.5, 0));
  std::vector<Frame> frames;
  Status s = sampler.SampleAll(path, nullptr, &frames);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_GE(frames.size(), 8u);
  ExpectCounterFramesConsistent(f, frames);
  for (const Frame& fr : frames) {
    const int n = testing::ReadCounter(fr.rgb.data(), fr.width, fr.height);
    EXPECT_TRUE(n % 10 < 3 || n % 10 > 6) << "frame " << n << " was dropped from the file";
    double nearest = 1e9;
    for (double x : existing) nearest = std::min(nearest, std::fabs(x - fr.target));
    EXPECT_NEAR(std::fabs(fr.t - fr.target), nearest, 1e-3) << "target " << fr.target;
  }
}

TEST(SamplerTest, StartOffsetIsReportedFromZero) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture f = testing::StartOffsetVideo();
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  FrameSampler sampler(Options(1, 0));
  VideoInfo info;
  std::vector<Frame> frames;
  Status s = sampler.SampleAll(path, &info, &frames);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_NEAR(info.duration, 3, 0.25);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_DOUBLE_EQ(frames[0].t, 0);
  EXPECT_EQ(testing::ReadCounter(frames[0].rgb.data(), frames[0].width, frames[0].height), 0);
  ExpectCounterFramesConsistent(f, frames);
}

TEST(SamplerTest, TinyVideosGiveOneFrame) {
  VIDX_REQUIRE_FFMPEG();
  for (const VideoFixture& f : {testing::OneFrameVideo(), testing::ShortVideo()}) {
    SCOPED_TRACE(f.name);
    const std::string path = Fixture(f);
    ASSERT_FALSE(path.empty());
    FrameSampler sampler(Options(0.5));
    std::vector<Frame> frames;
    Status s = sampler.SampleAll(path, nullptr, &frames);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_DOUBLE_EQ(frames[0].t, 0);
    EXPECT_EQ(testing::ReadCounter(frames[0].rgb.data(), frames[0].width, frames[0].height), 0);
  }
}

TEST(SamplerTest, AudioOnlyIsAClearError) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::AudioOnly());
  ASSERT_FALSE(path.empty());
  FrameSampler sampler(Options(0.5));
  std::vector<Frame> frames;
  Status s = sampler.SampleAll(path, nullptr, &frames);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("has no video stream"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
}

TEST(SamplerTest, SparseTargetsOnKeyframesDecodeAlmostNothing) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture f = testing::LongVideo(10);  // 200 frames, a keyframe every second
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  FrameSampler sampler(Options(0.2));  // targets 0, 5, 10, 15; tolerance 2.5 s
  VideoInfo info;
  std::vector<Frame> frames;
  SampleStats stats;
  Status s = sampler.SampleAll(path, &info, &frames, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(info.has_index);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(stats.keyframe_hits, 4);
  EXPECT_LE(stats.frames_decoded, 8);
  ExpectCounterFramesConsistent(f, frames);
}

// MP4 indexes decoding times; with B-frames a keyframe is shown after it is decoded, and the
// mov demuxer seeks by presentation time. Each target here has a keyframe exactly on it: that
// keyframe (not the previous one, also within tolerance) must be the frame delivered.
TEST(SamplerTest, NearestKeyframeIsTakenWithBFrames) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture f =
      testing::CounterVideo("h264_bframes_gop1s", "mp4",
                            {"-c:v", "libx264", "-bf", "3", "-g", "10", "-keyint_min", "10",
                             "-sc_threshold", "0", "-pix_fmt", "yuv420p"},
                            10, 8);
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  FrameSampler sampler(Options(0.5));  // targets 0, 2, 4, 6; tolerance 1 s
  std::vector<Frame> frames;
  SampleStats stats;
  Status s = sampler.SampleAll(path, nullptr, &frames, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(frames.size(), 4u);
  for (const Frame& fr : frames) EXPECT_NEAR(fr.t, fr.target, 1e-6) << "target " << fr.target;
  ExpectCounterFramesConsistent(f, frames);
  EXPECT_EQ(stats.keyframe_hits, 4);
  EXPECT_LE(stats.frames_decoded, 8);
}

TEST(SamplerTest, SparseTargetsBetweenKeyframesDoNotDecodeTheWholeFile) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture f = testing::LongVideo(50);  // 200 frames, a keyframe every 5 s
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  FrameSampler sampler(Options(0.125, 0));  // targets 0, 8, 16; exact frames
  std::vector<Frame> frames;
  SampleStats stats;
  Status s = sampler.SampleAll(path, nullptr, &frames, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(frames.size(), 3u);
  for (const Frame& fr : frames) EXPECT_NEAR(fr.t, fr.target, 1e-6);
  ExpectCounterFramesConsistent(f, frames);
  EXPECT_LT(stats.frames_decoded, 60) << "decoded " << stats.frames_decoded << " of 200";
  EXPECT_GE(stats.seeks, 2);
}

TEST(SamplerTest, KeyframeHitsAndForwardDecodesMix) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture f = testing::LongVideo(50);  // a keyframe every 5 s, like the benchmark
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  FrameSampler sampler(Options(0.5));  // targets every 2 s, tolerance 1 s
  std::vector<Frame> frames;
  SampleStats stats;
  Status s = sampler.SampleAll(path, nullptr, &frames, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(frames.size(), 10u);
  ExpectCounterFramesConsistent(f, frames);
  EXPECT_EQ(stats.keyframe_hits, 4);  // 0 -> 0 s, 4 -> 5 s, 10 -> 10 s, 14 -> 15 s
  for (const Frame& fr : frames) {
    EXPECT_LE(std::fabs(fr.t - fr.target), 1.0 + 1e-6) << "target " << fr.target;
  }
  const std::set<double> hit_times = {0, 5, 10, 15};
  for (const Frame& fr : frames) {
    if (hit_times.count(std::round(fr.t * 10) / 10) == 0) {
      EXPECT_NEAR(fr.t, fr.target, 0.051) << "a forward decode must end at the nearest frame";
    }
  }
  EXPECT_LT(stats.frames_decoded, 140) << "of 200";
  EXPECT_LE(stats.seeks, 4);
}

TEST(SamplerTest, SparseTargetsWithoutAnIndexDoNotDecodeTheWholeFile) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture f = testing::LongVideo(10, "ts");  // MPEG-TS: no index in the header
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  FrameSampler sampler(Options(0.1, 0));  // targets 0 and 10 s
  VideoInfo info;
  std::vector<Frame> frames;
  SampleStats stats;
  Status s = sampler.SampleAll(path, &info, &frames, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(info.has_index);
  ASSERT_EQ(frames.size(), 2u);
  for (const Frame& fr : frames) EXPECT_NEAR(fr.t, fr.target, 1e-6);
  ExpectCounterFramesConsistent(f, frames);
  EXPECT_LT(stats.frames_decoded, 60) << "of 200";
}

TEST(SamplerTest, DenseTargetsDecodeEachFrameAboutOnce) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture f = testing::LongVideo(50);
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  FrameSampler sampler(Options(5, 0));  // every other frame
  std::vector<Frame> frames;
  SampleStats stats;
  Status s = sampler.SampleAll(path, nullptr, &frames, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(frames.size(), 100u);
  ExpectCounterFramesConsistent(f, frames);
  EXPECT_LE(stats.frames_decoded, 230);
}

TEST(SamplerTest, MaxFramesSpreadsTargets) {
  VIDX_REQUIRE_FFMPEG();
  const VideoFixture f = testing::LongVideo(10);
  const std::string path = Fixture(f);
  ASSERT_FALSE(path.empty());
  SamplerOptions o = Options(10, 0);
  o.sampling.max_frames = 5;
  std::vector<Frame> frames;
  Status s = FrameSampler(o).SampleAll(path, nullptr, &frames);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(frames.size(), 5u);
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(frames[k].t, 4.0 * k, 0.051);
}

TEST(SamplerTest, DeadlineIsEnforced) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::LongVideo(50));
  ASSERT_FALSE(path.empty());
  SamplerOptions o = Options(10, 0);
  o.max_seconds = 1e-6;
  std::vector<Frame> frames;
  Status s = FrameSampler(o).SampleAll(path, nullptr, &frames);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
}

TEST(SamplerTest, SinkErrorStopsSampling) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::LongVideo(10));
  ASSERT_FALSE(path.empty());
  int calls = 0;
  Status s = FrameSampler(Options(1)).Sample(path, nullptr, [&calls](Frame&&) {
    return ++calls == 2 ? Status::Internal("queue closed") : Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "queue closed");
  EXPECT_EQ(calls, 2);
}

TEST(SamplerTest, ConcurrentCallsAgree) {
  VIDX_REQUIRE_FFMPEG();
  const std::string path = Fixture(testing::LongVideo(10));
  ASSERT_FALSE(path.empty());
  const FrameSampler sampler(Options(1, -1, 32));
  std::vector<Frame> a, b;
  Status sa, sb;
  std::thread ta([&] { sa = sampler.SampleAll(path, nullptr, &a); });
  std::thread tb([&] { sb = sampler.SampleAll(path, nullptr, &b); });
  ta.join();
  tb.join();
  ASSERT_TRUE(sa.ok() && sb.ok()) << sa.ToString() << " / " << sb.ToString();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].t, b[i].t);
    EXPECT_EQ(a[i].rgb, b[i].rgb);
  }
}

TEST(SamplerTest, InvalidOptionsAreRefused) {
  SamplerOptions o;
  o.sampling.fps = 0;
  std::vector<Frame> frames;
  EXPECT_EQ(FrameSampler(o).SampleAll("/nonexistent.mp4", nullptr, &frames).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vidx
