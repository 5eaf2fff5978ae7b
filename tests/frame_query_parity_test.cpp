// One picture through the frame path and through the query path gives the same vector.
//
// A non-square picture (90x52, so a centre crop and a squash differ) is written as PNG and as a
// lossless video showing exactly it (PNG frames in MOV, made by the ffmpeg CLI). The frame path
// is what indexing does: the FFmpeg sampler with SamplerOptionsForModel, then
// EmbedPreparedImages, and the whole IndexPipeline. The query path is what `vidx search
// --image` does: DecodeImageBytes, then EmbedImages. Both run for the tiny CLIP model tiny_c
// (shortest side to 56, centre crop to 48) and the tiny SigLIP model siglip_a (exact resize to
// 32x32, no crop).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "indexer/model/embedder_registry.h"
#include "indexer/model/load_report.h"
#include "indexer/model/preprocess.h"
#include "indexer/pipeline/pipeline.h"
#include "indexer/pipeline/segment_pooling.h"
#include "indexer/video/image_io.h"
#include "indexer/video/sampler.h"
#include "tests/fixtures/video_fixtures.h"
#include "tests/needs_sentencepiece.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

const char kVocab[] = "../shared/data/clip/bpe_simple_vocab_16e6.txt.gz";
constexpr int kWidth = 90;
constexpr int kHeight = 52;

// Gradients across both axes, a bright block near the left edge and seeded noise: every part
// of the picture is distinguishable, so a crop, a squash or a one-level rounding shows.
Frame MakePicture() {
  Frame f;
  f.width = kWidth;
  f.height = kHeight;
  f.rgb.resize(static_cast<size_t>(kWidth) * kHeight * 3);
  uint32_t seed = 12345;
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      seed = seed * 1664525u + 1013904223u;
      uint8_t* p = &f.rgb[(static_cast<size_t>(y) * kWidth + x) * 3];
      const bool block = x >= 4 && x < 20 && y >= 10 && y < 40;
      p[0] = block ? 250 : static_cast<uint8_t>(x * 255 / (kWidth - 1));
      p[1] = static_cast<uint8_t>(y * 255 / (kHeight - 1));
      p[2] = static_cast<uint8_t>(seed >> 24);
    }
  }
  return f;
}

struct Family {
  const char* name;  // for the test name
  bool siglip;
};

void PrintTo(const Family& f, std::ostream* os) { *os << f.name; }

class RecordingSink final : public IndexSink {
 public:
  Status Commit(const std::string&, const FileResult& result) override {
    results.push_back(result);
    return Status::Ok();
  }
  std::vector<FileResult> results;
};

class NothingKnown final : public KnownFiles {
 public:
  StatusOr<std::optional<KnownFile>> Find(const std::string&) override {
    return std::optional<KnownFile>();
  }
  StatusOr<std::vector<std::string>> FindByContentHash(const std::string&) override {
    return std::vector<std::string>();
  }
  Status Rename(const std::string&, const FileIdentity&) override { return Status::Ok(); }
};

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double{a[i]} - b[i]));
  return m;
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += double{a[i]} * b[i];
    aa += double{a[i]} * a[i];
    bb += double{b[i]} * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

class FrameQueryParityTest : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    if (!testing::FfmpegAvailable()) GTEST_SKIP() << "the ffmpeg command is not installed";
    std::string model;
    if (GetParam().siglip) {
      VIDX_SKIP_WITHOUT_SENTENCEPIECE();
      model = std::string(VIDX_TINY_SIGLIP_DIR) + "/siglip_a";
      ASSERT_TRUE(fs::exists(model + "/config.json")) << "the vidx_tiny_siglip fixture makes it";
    } else {
      // tiny_c with the real CLIP vocabulary, as the command-line tests use it.
      const fs::path src = fs::path(VIDX_TINY_MODELS_DIR) / "tiny_c";
      ASSERT_TRUE(fs::exists(src / "config.json")) << "the vidx_tiny_clip fixture makes it";
      ASSERT_TRUE(fs::exists(kVocab)) << kVocab << " is missing";
      model = dir_.File("model");
      fs::create_directories(model);
      for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"}) {
        fs::copy_file(src / f, fs::path(model) / f);
      }
      fs::copy_file(kVocab, fs::path(model) / "bpe_simple_vocab_16e6.txt.gz");
    }
    EmbedderOptions options;
    options.model_dir = model;
    LoadReport report;
    StatusOr<std::unique_ptr<Embedder>> e = LoadEmbedder(options, &report);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    embedder_ = std::move(e).value();

    picture_ = MakePicture();
    png_ = dir_.File("picture.png");
    ASSERT_TRUE(WritePng(png_, picture_).ok());
    video_ = dir_.File("picture.mov");
    std::string err;
    ASSERT_EQ(
        testing::RunProgram({"ffmpeg", "-v", "error", "-y", "-framerate", "2", "-loop", "1", "-i",
                             png_, "-t", "2", "-c:v", "png", "-pix_fmt", "rgb24", video_},
                            &err),
        0)
        << err;
  }

  // What `vidx search --image` embeds: the file's bytes decoded, then EmbedImages.
  std::vector<float> QueryVector() {
    std::ifstream in(png_, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    StatusOr<Frame> pic = DecodeImageBytes(bytes);
    EXPECT_TRUE(pic.ok()) << pic.status().ToString();
    if (!pic.ok()) return {};
    EXPECT_EQ(pic->rgb, picture_.rgb) << "the PNG did not decode to the picture written";
    std::vector<float> v(embedder_->dim());
    Status s = embedder_->EmbedImages(1, pic->height, pic->width, pic->rgb.data(), v.data());
    EXPECT_TRUE(s.ok()) << s.ToString();
    return v;
  }

  SamplingSettings Sampling() const {
    SamplingSettings s;
    s.fps = 1;
    s.clip_frames = 1;
    return s;
  }

  testing::TempDir dir_;
  std::unique_ptr<Embedder> embedder_;
  Frame picture_;
  std::string png_, video_;
};

TEST_P(FrameQueryParityTest, SampledFrameAndPictureGiveTheSameVector) {
  StatusOr<SamplerOptions> options = SamplerOptionsForModel(*embedder_, Sampling());
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  std::vector<Frame> frames;
  Status s = FrameSampler(*options).SampleAll(video_, nullptr, &frames);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(frames.size(), 2u);

  // The pixels first: the model's own resize of the picture, byte for byte.
  const ImagePreprocessSpec& spec = embedder_->image_input();
  std::vector<uint8_t> expected;
  ASSERT_TRUE(ResizeAndCrop(spec, picture_.rgb.data(), kHeight, kWidth, &expected).ok());
  for (const Frame& f : frames) {
    ASSERT_EQ(f.width, spec.width);
    ASSERT_EQ(f.height, spec.height);
    EXPECT_EQ(f.rgb, expected) << "at " << f.t;
  }

  const std::vector<float> query = QueryVector();
  ASSERT_EQ(query.size(), static_cast<size_t>(embedder_->dim()));
  std::vector<float> frame(embedder_->dim());
  ASSERT_TRUE(embedder_->EmbedPreparedImages(1, frames[0].rgb.data(), frame.data()).ok());
  EXPECT_EQ(std::memcmp(frame.data(), query.data(), frame.size() * sizeof(float)), 0)
      << "max abs diff " << MaxAbsDiff(frame, query) << ", cosine " << Cosine(frame, query);

  // What the sampler's swscale resize and crop (the frame path before) would have given: not
  // the same vector, which is why frames now go through the model's resize.
  SamplerOptions scaled = *options;
  scaled.prepare = nullptr;
  if (spec.resize == ImagePreprocessSpec::Resize::kShortestEdge) {
    scaled.resize_shortest = spec.shortest_edge;
  }
  std::vector<Frame> old_frames;
  ASSERT_TRUE(FrameSampler(scaled).SampleAll(video_, nullptr, &old_frames).ok());
  ASSERT_FALSE(old_frames.empty());
  EXPECT_NE(old_frames[0].rgb, expected);
  std::vector<float> old_vector(embedder_->dim());
  ASSERT_TRUE(embedder_->EmbedPreparedImages(1, old_frames[0].rgb.data(), old_vector.data()).ok());
  std::cout << GetParam().name << ": swscale resize and crop vs the query path: max abs diff "
            << MaxAbsDiff(old_vector, query) << ", cosine " << Cosine(old_vector, query) << "\n";
}

// The whole pipeline. With batch_size 1 every frame is embedded alone, as the picture is, and
// the segments equal the picture's vector bit for bit (after the one renormalisation both
// sides get). In batches of several frames LibTorch's matrix products may round the last bit
// differently from a batch of one; that bound is measured and asserted too.
TEST_P(FrameQueryParityTest, IndexedSegmentsEqualThePictureQuery) {
  StatusOr<SamplerOptions> sampler = SamplerOptionsForModel(*embedder_, Sampling());
  ASSERT_TRUE(sampler.ok()) << sampler.status().ToString();
  const std::vector<float> query = QueryVector();
  ASSERT_FALSE(query.empty());
  // Pooling one frame still divides by its norm (in double, rounded to float), which can move
  // the last bit of a component; the query engine normalises the picture's vector the same
  // way (a sum of one term divided by its norm), so the searched vectors are these.
  const std::vector<float> pooled =
      PoolSegments(query, embedder_->dim(), {0.0}, 1, 1.0, 0.0).at(0).vector;
  for (int batch : {1, 4}) {
    SCOPED_TRACE("batch_size " + std::to_string(batch));
    PipelineOptions options;
    options.sampler = *sampler;
    options.batch_size = batch;
    options.decode_workers = 1;
    RecordingSink sink;
    NothingKnown known;
    IndexPipeline pipeline(embedder_.get(), "parity", &sink, &known, options);
    PipelineCounters counters;
    Status s = pipeline.Run({video_}, &counters);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(sink.results.size(), 1u);
    const FileResult& r = sink.results[0];
    ASSERT_EQ(r.outcome, FileOutcome::kIndexed) << r.error;
    ASSERT_EQ(r.segments.size(), 2u);
    double worst = 0, worst_cosine = 1;
    for (const Segment& seg : r.segments) {
      ASSERT_EQ(seg.vector.size(), query.size());
      if (batch == 1) {
        EXPECT_EQ(std::memcmp(seg.vector.data(), pooled.data(), pooled.size() * sizeof(float)), 0)
            << "segment at " << seg.start << ": max abs diff " << MaxAbsDiff(seg.vector, pooled);
      }
      worst = std::max(worst, MaxAbsDiff(seg.vector, query));
      worst_cosine = std::min(worst_cosine, Cosine(seg.vector, query));
    }
    EXPECT_LE(worst, 1e-6);
    EXPECT_GE(worst_cosine, 1 - 1e-9);
    std::cout << GetParam().name << ", batch_size " << batch
              << ": indexed segments vs the picture's EmbedImages vector: max abs diff " << worst
              << ", cosine " << worst_cosine << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(Families, FrameQueryParityTest,
                         ::testing::Values(Family{"clip", false}, Family{"siglip", true}),
                         [](const ::testing::TestParamInfo<Family>& i) { return i.param.name; });

}  // namespace
}  // namespace vidx
