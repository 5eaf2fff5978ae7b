// Pieces of the indexing pipeline that need no model: segment pooling, content hashes, path
// expansion, and the sampler's resize-then-crop geometry the pipeline asks for.
// (The whole pipeline runs end to end in tests/index_search_cli_test.cpp.)
#include "indexer/pipeline/pipeline.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "indexer/pipeline/file_scan.h"
#include "tests/fixtures/video_fixtures.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

TEST(PoolSegmentsTest, MeansNormalisedFramesAndCapsTheEnd) {
  // Three 2-d frames, pooled two by two at 0.5 fps over a 5 s video.
  const std::vector<float> v = {1, 0, 0, 1, 1, 0};
  std::vector<Segment> s = PoolSegments(v, 2, {0.0, 2.0, 4.0}, 2, 0.5, 5.0);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_DOUBLE_EQ(s[0].start, 0.0);
  EXPECT_DOUBLE_EQ(s[0].end, 4.0);  // last frame 2 s + 1/fps
  EXPECT_NEAR(s[0].vector[0], std::sqrt(0.5), 1e-6);
  EXPECT_NEAR(s[0].vector[1], std::sqrt(0.5), 1e-6);
  EXPECT_DOUBLE_EQ(s[1].start, 4.0);
  EXPECT_DOUBLE_EQ(s[1].end, 5.0);  // capped at the duration
  EXPECT_FLOAT_EQ(s[1].vector[0], 1.0f);
  // One frame per segment keeps the vectors.
  EXPECT_EQ(PoolSegments(v, 2, {0.0, 2.0, 4.0}, 1, 0.5, 5.0).size(), 3u);
}

TEST(ContentHashTest, DependsOnContentNotName) {
  testing::TempDir dir;
  const std::string a = dir.File("a.mp4"), b = dir.File("b.mp4"), c = dir.File("c.mp4");
  std::string big(3 << 20, 'x');
  std::ofstream(a, std::ios::binary) << big;
  std::ofstream(b, std::ios::binary) << big;
  big[big.size() / 2] = 'y';  // only the middle MiB differs
  std::ofstream(c, std::ios::binary) << big;
  auto ha = ContentHash(a), hb = ContentHash(b), hc = ContentHash(c);
  ASSERT_TRUE(ha.ok() && hb.ok() && hc.ok());
  EXPECT_EQ(*ha, *hb);
  EXPECT_NE(*ha, *hc);
  EXPECT_EQ(ha->size(), 64u);
  EXPECT_EQ(ContentHash(dir.File("missing")).status().code(), StatusCode::kNotFound);
}

TEST(ExpandPathsTest, FilesAndDirectoriesByExtension) {
  testing::TempDir dir;
  fs::create_directories(dir.File("sub/deeper"));
  for (const char* f : {"one.mp4", "sub/two.MKV", "sub/deeper/three.mov", "sub/notes.txt"}) {
    std::ofstream(dir.File(f)) << "x";
  }
  auto files = ExpandPaths({dir.path(), dir.File("sub/notes.txt"), dir.File("one.mp4")},
                           {"mp4", "mkv", "mov"});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(*files, (std::vector<std::string>{dir.File("one.mp4"), dir.File("sub/deeper/three.mov"),
                                              dir.File("sub/notes.txt"), dir.File("sub/two.MKV")}));
  EXPECT_EQ(ExpandPaths({dir.File("nope")}, {"mp4"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(PathIsUnder("/a/b/c.mp4", "/a/b"));
  EXPECT_TRUE(PathIsUnder("/a/b", "/a/b"));
  EXPECT_FALSE(PathIsUnder("/a/bc/d.mp4", "/a/b"));
}

TEST(ExpandPathsTest, LinksLeavingTheDirectoryAreSkipped) {
  testing::TempDir dir;
  fs::create_directories(dir.File("lib/sub"));
  fs::create_directories(dir.File("outside"));
  std::ofstream(dir.File("lib/real.mp4")) << "x";
  std::ofstream(dir.File("outside/secret.mp4")) << "x";
  fs::create_symlink("../real.mp4", dir.File("lib/sub/inside.mp4"));
  fs::create_symlink(dir.File("outside/secret.mp4"), dir.File("lib/leaves.mp4"));
  fs::create_symlink("loop.mp4", dir.File("lib/loop.mp4"));
  auto files = ExpandPaths({dir.File("lib")}, {"mp4"});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(*files,
            (std::vector<std::string>{dir.File("lib/real.mp4"), dir.File("lib/sub/inside.mp4")}));
  EXPECT_TRUE(ResolvesUnder(dir.File("lib/sub/inside.mp4"), {dir.File("lib")}));
  EXPECT_FALSE(ResolvesUnder(dir.File("lib/leaves.mp4"), {dir.File("lib")}));
  EXPECT_TRUE(ResolvesUnder(dir.File("lib/leaves.mp4"), {dir.File("lib"), dir.File("outside")}));
  EXPECT_FALSE(ResolvesUnder(dir.File("lib/loop.mp4"), {dir.File("lib")}));
  // A file named on the command line is taken as given.
  auto named = ExpandPaths({dir.File("lib/leaves.mp4")}, {"mp4"});
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->size(), 1u);
}

// A 64x64 black picture with a white 32x32 square in the middle: resizing the shortest side to
// 96 before a 48 crop keeps only white; resizing to 48 keeps black corners.
TEST(ResizeShortestTest, ResizesBeforeTheCentreCrop) {
  if (!testing::FfmpegAvailable()) GTEST_SKIP() << "the ffmpeg command is not installed";
  testing::TempDir dir;
  const std::string video = dir.File("square.mp4");
  std::string err;
  ASSERT_EQ(testing::RunProgram({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                                 "color=c=black:s=64x64:r=5:d=1", "-vf",
                                 "drawbox=x=16:y=16:w=32:h=32:c=white:t=fill", "-c:v", "libx264",
                                 "-pix_fmt", "yuv444p", video},
                                &err),
            0)
      << err;
  for (int resize : {0, 96}) {
    SamplerOptions o;
    o.sampling.fps = 1;
    o.output_size = 48;
    o.resize_shortest = resize;
    std::vector<Frame> frames;
    Status s = FrameSampler(o).SampleAll(video, nullptr, &frames);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_FALSE(frames.empty());
    ASSERT_EQ(frames[0].width, 48);
    const testing::Rgb corner = testing::MeanColour(frames[0].rgb.data(), 48, 0, 0, 6, 6);
    const testing::Rgb centre = testing::MeanColour(frames[0].rgb.data(), 48, 20, 20, 28, 28);
    EXPECT_GT(centre.g, 200) << resize;
    if (resize == 96) {
      EXPECT_GT(corner.g, 200);
    } else {
      EXPECT_LT(corner.g, 50);
    }
  }
  SamplerOptions bad;
  bad.output_size = 48;
  bad.resize_shortest = 40;  // smaller than the crop
  std::vector<Frame> frames;
  EXPECT_EQ(FrameSampler(bad).SampleAll(video, nullptr, &frames).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vidx
