// The indexing pipeline and its stages with a fake Embedder, a fake FrameSource, a fake
// IndexSink and fake KnownFiles: no model, no video, no LibTorch.
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "indexer/model/preprocess.h"
#include "indexer/pipeline/embed_stage.h"
#include "indexer/pipeline/file_scan.h"
#include "indexer/pipeline/inference_gate.h"
#include "indexer/pipeline/pipeline.h"
#include "indexer/pipeline/triage.h"
#include "tests/fixtures/video_fixtures.h"

namespace vidx {
namespace {

constexpr int kSide = 2;
constexpr int kDim = 3;

// Embeds a frame as the one-hot vector of (its first byte % kDim); records each batch size.
class FakeEmbedder final : public Embedder {
 public:
  FakeEmbedder() {
    spec_.height = kSide;
    spec_.width = kSide;
  }
  std::string family() const override { return "fake"; }
  int dim() const override { return kDim; }
  const ImagePreprocessSpec& image_input() const override { return spec_; }
  std::string device() const override { return "cpu"; }
  std::string precision() const override { return "fp32"; }
  std::vector<std::string> checkpoint_files() const override { return {}; }
  std::string Describe() const override { return "fake"; }
  Status EmbedPreparedImages(int64_t n, const uint8_t* rgb, float* out) const override {
    if (on_batch) on_batch(n);
    std::lock_guard<std::mutex> lock(mu_);
    batches_.push_back(n);
    if (fail_on_batch_ == static_cast<int>(batches_.size())) {
      return Status::Internal("the fake tower broke");
    }
    for (int64_t i = 0; i < n; ++i) {
      for (int d = 0; d < kDim; ++d) out[i * kDim + d] = 0;
      out[i * kDim + rgb[i * kSide * kSide * 3] % kDim] = 1;
    }
    return Status::Ok();
  }
  Status EmbedImages(int64_t, int, int, const uint8_t*, float*) const override {
    return Status::Unsupported("not in this test");
  }
  Status EmbedTexts(int64_t, const std::string*, float*) const override {
    return Status::Unsupported("not in this test");
  }
  StatusOr<std::vector<int32_t>> Tokenize(std::string_view) const override {
    return Status::Unsupported("not in this test");
  }
  StatusOr<EmbedderProbe> Probe() const override { return EmbedderProbe{}; }

  std::vector<int64_t> batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  // Runs at the start of every EmbedPreparedImages call, outside the embedder's lock.
  std::function<void(int64_t)> on_batch;
  void FailOnBatch(int n) { fail_on_batch_ = n; }
  ImagePreprocessSpec* mutable_spec() { return &spec_; }

 private:
  ImagePreprocessSpec spec_;
  mutable std::mutex mu_;
  mutable std::vector<int64_t> batches_;
  int fail_on_batch_ = 0;
};

Frame MakeFrame(double t, uint8_t code) {
  Frame f;
  f.t = t;
  f.width = kSide;
  f.height = kSide;
  f.rgb.assign(kSide * kSide * 3, code);
  return f;
}

// A synthetic video: frames at 0, 2, 4, ... s whose codes are `codes`, then `end` (OK, or the
// error sampling ends with).
struct FakeVideo {
  std::vector<uint8_t> codes;
  Status end;
  double duration = 10;
};

class FakeFrames final : public FrameSource {
 public:
  std::map<std::string, FakeVideo> videos;
  // When set, Sample() of `cancel_at` sets `*cancel` before delivering anything.
  std::string cancel_at;
  std::atomic<bool>* cancel = nullptr;

  Status Sample(const std::string& path, VideoInfo* info, const FrameSink& sink) const override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sampled_.insert(path);
    }
    if (path == cancel_at && cancel != nullptr) cancel->store(true);
    auto it = videos.find(path);
    if (it == videos.end()) return Status::Internal("no fake video for " + path);
    info->duration = it->second.duration;
    info->codec = "fake";
    for (size_t i = 0; i < it->second.codes.size(); ++i) {
      VIDX_RETURN_IF_ERROR(sink(MakeFrame(2.0 * static_cast<double>(i), it->second.codes[i])));
    }
    return it->second.end;
  }
  std::set<std::string> sampled() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sampled_;
  }

 private:
  mutable std::mutex mu_;
  mutable std::set<std::string> sampled_;
};

class FakeSink final : public IndexSink {
 public:
  std::vector<FileResult> commits;
  int fail_on_commit = 0;  // 1-based; 0: never
  Status Commit(const std::string& fingerprint, const FileResult& result) override {
    EXPECT_EQ(fingerprint, "fp");
    if (fail_on_commit == static_cast<int>(commits.size()) + 1) {
      return Status::IoError("the fake catalog is full");
    }
    commits.push_back(result);
    return Status::Ok();
  }
  const FileResult* Find(const std::string& path) const {
    for (const FileResult& r : commits) {
      if (r.file.path == path) return &r;
    }
    return nullptr;
  }
};

class FakeKnown final : public KnownFiles {
 public:
  std::map<std::string, KnownFile> records;
  std::map<std::string, std::vector<std::string>> by_hash;
  std::string fail_find;  // Find() of this path fails
  bool fail_hash_lookup = false;
  std::vector<std::pair<std::string, std::string>> renames;  // old -> new path

  StatusOr<std::optional<KnownFile>> Find(const std::string& path) override {
    if (path == fail_find) return Status::IoError("the fake catalog cannot be read");
    auto it = records.find(path);
    if (it == records.end()) return std::optional<KnownFile>();
    return std::optional<KnownFile>(it->second);
  }
  StatusOr<std::vector<std::string>> FindByContentHash(const std::string& hash) override {
    if (fail_hash_lookup) return Status::Corruption("the fake content index is damaged");
    auto it = by_hash.find(hash);
    return it == by_hash.end() ? std::vector<std::string>() : it->second;
  }
  Status Rename(const std::string& old_path, const FileIdentity& renamed) override {
    renames.emplace_back(old_path, renamed.path);
    return Status::Ok();
  }
};

class PipelineStagesTest : public ::testing::Test {
 protected:
  // A file with distinct content (its content hash differs from every other one).
  std::string File(const std::string& name) {
    const std::string path = dir_.File(name);
    std::ofstream(path) << "content of " << name;
    return path;
  }
  PipelineOptions Options(int batch_size, int clip_frames = 1) {
    PipelineOptions o;
    o.sampler.output_size = kSide;
    o.sampler.sampling.fps = 0.5;
    o.sampler.sampling.clip_frames = clip_frames;
    o.batch_size = batch_size;
    o.decode_workers = 1;
    return o;
  }
  Status Run(const std::vector<std::string>& files, const PipelineOptions& o, PipelineCounters* c) {
    IndexPipeline pipeline(&embedder_, "fp", &sink_, &known_, o, &frames_);
    return pipeline.Run(files, c);
  }

  testing::TempDir dir_;
  FakeEmbedder embedder_;
  FakeFrames frames_;
  FakeSink sink_;
  FakeKnown known_;
};

QueueItem FrameItem(size_t file, double t, uint8_t code) {
  QueueItem item;
  item.file = file;
  item.frame = MakeFrame(t, code);
  return item;
}

QueueItem EndItem(size_t file, Status status = Status::Ok()) {
  QueueItem item;
  item.file = file;
  item.end = true;
  item.status = std::move(status);
  item.info.duration = 10;
  return item;
}

TEST_F(PipelineStagesTest, EmbedStageBatchesAcrossFilesAndCommitsInOrder) {
  std::vector<PendingFile> files(3);
  for (size_t i = 0; i < files.size(); ++i) files[i].file.path = "/v/" + std::to_string(i);
  PipelineCounters c;
  SamplingSettings sampling;
  EmbedStage stage(&embedder_, "fp", &sink_, sampling, 4, &files, &c, nullptr);
  const std::vector<std::vector<uint8_t>> codes = {{0, 1, 2}, {1, 1}, {2, 0, 0, 1}};
  for (size_t f = 0; f < codes.size(); ++f) {
    for (size_t i = 0; i < codes[f].size(); ++i) {
      ASSERT_TRUE(stage.Add(FrameItem(f, 2.0 * static_cast<double>(i), codes[f][i])).ok());
    }
    ASSERT_TRUE(stage.Add(EndItem(f)).ok());
  }
  ASSERT_TRUE(stage.Flush().ok());
  // Full batches of 4 take frames of two files each; the last one holds what is left.
  EXPECT_EQ(embedder_.batches(), (std::vector<int64_t>{4, 4, 1}));
  ASSERT_EQ(sink_.commits.size(), 3u);
  for (size_t f = 0; f < codes.size(); ++f) {
    const FileResult& r = sink_.commits[f];
    EXPECT_EQ(r.file.path, files[f].file.path);
    EXPECT_EQ(r.outcome, FileOutcome::kIndexed);
    ASSERT_EQ(r.segments.size(), codes[f].size());
    for (size_t i = 0; i < codes[f].size(); ++i) {
      const Segment& s = r.segments[i];
      EXPECT_DOUBLE_EQ(s.start, 2.0 * static_cast<double>(i));
      EXPECT_DOUBLE_EQ(s.end, 2.0 * static_cast<double>(i) + 2.0);  // + 1/fps
      EXPECT_EQ(s.vector[codes[f][i] % kDim], 1.0f) << "file " << f << " frame " << i;
    }
  }
  EXPECT_EQ(c.frames, 9);
  EXPECT_EQ(c.files_embedded, 3);
  EXPECT_EQ(c.segments, 9);
}

TEST_F(PipelineStagesTest, EmbedStageDropsTheFramesOfAFileThatFails) {
  std::vector<PendingFile> files(2);
  files[0].file.path = "/v/bad";
  files[1].file.path = "/v/good";
  PipelineCounters c;
  EmbedStage stage(&embedder_, "fp", &sink_, SamplingSettings(), 8, &files, &c, nullptr);
  ASSERT_TRUE(stage.Add(FrameItem(0, 0, 1)).ok());
  ASSERT_TRUE(stage.Add(EndItem(0, Status::Corruption("/v/bad: broken packet"))).ok());
  ASSERT_TRUE(stage.Add(FrameItem(1, 0, 2)).ok());
  ASSERT_TRUE(stage.Add(EndItem(1)).ok());
  ASSERT_TRUE(stage.Flush().ok());
  ASSERT_EQ(sink_.commits.size(), 2u);
  EXPECT_EQ(sink_.commits[0].outcome, FileOutcome::kFailed);  // at once, without its frame
  EXPECT_TRUE(sink_.commits[0].segments.empty());
  EXPECT_EQ(sink_.commits[0].failure, FailureKind::kUndecodable);
  EXPECT_EQ(sink_.commits[1].segments.size(), 1u);
  EXPECT_EQ(c.files_failed, 1);
}

// A search that starts while a chunk is being embedded runs to its end before the next chunk.
TEST_F(PipelineStagesTest, EmbedStageYieldsToASearchBetweenChunks) {
  InferenceGateOptions o;
  o.grace_seconds = 0;
  o.max_wait_seconds = 30;
  InferenceGate gate(o);
  std::mutex mu;
  std::vector<std::string> events;
  auto log = [&](const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
  };
  std::thread search;
  embedder_.on_batch = [&](int64_t n) {
    log("chunk of " + std::to_string(n));
    if (search.joinable()) return;
    std::promise<void> entered;
    search = std::thread([&] {
      InferenceGate::SearchTicket ticket(&gate);
      entered.set_value();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      log("search");
    });
    entered.get_future().wait();
  };
  std::vector<PendingFile> files(1);
  files[0].file.path = "/v/0";
  PipelineCounters c;
  EmbedStage stage(&embedder_, "fp", &sink_, SamplingSettings(), 6, &files, &c, nullptr, &gate, 2);
  const std::vector<uint8_t> codes = {0, 1, 2, 0, 1};
  for (size_t i = 0; i < codes.size(); ++i) {
    ASSERT_TRUE(stage.Add(FrameItem(0, 2.0 * static_cast<double>(i), codes[i])).ok());
  }
  ASSERT_TRUE(stage.Add(EndItem(0)).ok());
  ASSERT_TRUE(stage.Flush().ok());
  search.join();
  EXPECT_EQ(events, (std::vector<std::string>{"chunk of 2", "search", "chunk of 2", "chunk of 1"}));
  EXPECT_EQ(gate.yields(), 1);
  EXPECT_GT(c.search_wait_seconds, 0.05);
  // The chunks' vectors land where they belong.
  ASSERT_EQ(sink_.commits.size(), 1u);
  ASSERT_EQ(sink_.commits[0].segments.size(), codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    EXPECT_EQ(sink_.commits[0].segments[i].vector[codes[i] % kDim], 1.0f) << "frame " << i;
  }
}

// Searches that never stop: the stage still embeds everything, one frame per wait.
TEST_F(PipelineStagesTest, EmbedStageGoesOnFrameByFrameUnderEndlessSearches) {
  InferenceGateOptions o;
  o.grace_seconds = 0;
  o.max_wait_seconds = 0.02;
  o.run_seconds = 30;  // after the first wait, the rest goes at once
  InferenceGate gate(o);
  InferenceGate::SearchTicket endless(&gate);
  std::vector<PendingFile> files(1);
  files[0].file.path = "/v/0";
  PipelineCounters c;
  EmbedStage stage(&embedder_, "fp", &sink_, SamplingSettings(), 4, &files, &c, nullptr, &gate, 2);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(stage.Add(FrameItem(0, 2.0 * i, 1)).ok());
  ASSERT_TRUE(stage.Add(EndItem(0)).ok());
  ASSERT_TRUE(stage.Flush().ok());
  EXPECT_EQ(embedder_.batches(), (std::vector<int64_t>{1, 1, 1}));
  ASSERT_EQ(sink_.commits.size(), 1u);
  EXPECT_EQ(sink_.commits[0].segments.size(), 3u);
  EXPECT_GE(c.search_wait_seconds, 0.02 * 0.9);
  EXPECT_LT(c.search_wait_seconds, 5.0);
}

TEST_F(PipelineStagesTest, RunPoolsClipFramesAndCommitsEveryFile) {
  const std::string a = File("a.mp4"), b = File("b.mp4");
  frames_.videos[a] = {{0, 0, 1}, Status::Ok(), 5};
  frames_.videos[b] = {{2, 2}, Status::Ok(), 10};
  PipelineCounters c;
  Status s = Run({a, b}, Options(2, /*clip_frames=*/2), &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (int64_t n : embedder_.batches()) EXPECT_LE(n, 2);
  EXPECT_EQ(c.frames, 5);
  ASSERT_EQ(sink_.commits.size(), 2u);
  const FileResult* ra = sink_.Find(a);
  ASSERT_NE(ra, nullptr);
  ASSERT_EQ(ra->segments.size(), 2u);  // frames {0, 1} and {2}
  EXPECT_DOUBLE_EQ(ra->segments[0].start, 0);
  EXPECT_DOUBLE_EQ(ra->segments[0].end, 4);
  EXPECT_DOUBLE_EQ(ra->segments[1].start, 4);
  EXPECT_DOUBLE_EQ(ra->segments[1].end, 5);  // capped at the duration
  EXPECT_EQ(ra->codec, "fake");
  EXPECT_FALSE(ra->content_hash.empty());
  const FileResult* rb = sink_.Find(b);
  ASSERT_NE(rb, nullptr);
  ASSERT_EQ(rb->segments.size(), 1u);
  EXPECT_EQ(rb->segments[0].vector, (std::vector<float>{0, 0, 1}));
  EXPECT_EQ(c.files_embedded, 2);
}

// sampling.skip_similar: frames equal to the last kept one (a 1-grey-level step is not, at a
// threshold of 0.5) are never embedded, and the kept frame's segment reaches over them.
TEST_F(PipelineStagesTest, SimilarFramesAreSkippedAndCoveredByTheKeptOne) {
  const std::string a = File("a.mp4");
  // Frames at 0, 2, ..., 12 s.
  frames_.videos[a] = {{0, 0, 0, 1, 1, 2, 0}, Status::Ok(), 14};
  PipelineOptions o = Options(8);
  o.sampler.sampling.skip_similar = 0.5;
  PipelineCounters c;
  Status s = Run({a}, o, &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.frames, 4);
  EXPECT_EQ(c.frames_skipped, 3);
  EXPECT_EQ(embedder_.batches(), std::vector<int64_t>{4});
  ASSERT_EQ(sink_.commits.size(), 1u);
  const std::vector<Segment>& seg = sink_.commits[0].segments;
  ASSERT_EQ(seg.size(), 4u);
  const double starts[] = {0, 6, 10, 12}, ends[] = {6, 10, 12, 14};
  const int codes[] = {0, 1, 2, 0};
  for (size_t i = 0; i < seg.size(); ++i) {
    EXPECT_DOUBLE_EQ(seg[i].start, starts[i]) << i;
    EXPECT_DOUBLE_EQ(seg[i].end, ends[i]) << i;
    EXPECT_EQ(seg[i].vector[static_cast<size_t>(codes[i])], 1.0f) << i;
  }
}

TEST_F(PipelineStagesTest, SkippedFramesWeighInPooledSegments) {
  const std::string a = File("a.mp4");
  frames_.videos[a] = {{0, 0, 0, 1, 1, 2, 0}, Status::Ok(), 14};
  PipelineOptions o = Options(8, /*clip_frames=*/2);
  o.sampler.sampling.skip_similar = 0.5;
  PipelineCounters c;
  ASSERT_TRUE(Run({a}, o, &c).ok());
  ASSERT_EQ(sink_.commits.size(), 1u);
  const std::vector<Segment>& seg = sink_.commits[0].segments;
  ASSERT_EQ(seg.size(), 2u);
  // Kept frames 0 s (standing for 3 frames) and 6 s (for 2): the mean of all five.
  EXPECT_DOUBLE_EQ(seg[0].start, 0);
  EXPECT_DOUBLE_EQ(seg[0].end, 10);
  EXPECT_NEAR(seg[0].vector[0], 3 / std::sqrt(13.0), 1e-6);
  EXPECT_NEAR(seg[0].vector[1], 2 / std::sqrt(13.0), 1e-6);
  EXPECT_DOUBLE_EQ(seg[1].start, 10);
  EXPECT_DOUBLE_EQ(seg[1].end, 14);
}

TEST_F(PipelineStagesTest, WithoutSkipSimilarEveryFrameIsEmbedded) {
  const std::string a = File("a.mp4");
  frames_.videos[a] = {{0, 0, 0, 1, 1, 2, 0}, Status::Ok(), 14};
  PipelineCounters c;
  ASSERT_TRUE(Run({a}, Options(8), &c).ok());
  EXPECT_EQ(c.frames, 7);
  EXPECT_EQ(c.frames_skipped, 0);
  ASSERT_EQ(sink_.commits.size(), 1u);
  EXPECT_EQ(sink_.commits[0].segments.size(), 7u);
}

TEST_F(PipelineStagesTest, FailedFilesAreCommittedWithTheirKind) {
  const std::string io = File("io.mp4"), bad = File("bad.mp4"), empty = File("empty.mp4"),
                    good = File("good.mp4");
  frames_.videos[io] = {{}, Status::IoError(io + ": Permission denied")};
  frames_.videos[bad] = {{1}, Status::Corruption(bad + ": invalid data")};
  frames_.videos[empty] = {{}, Status::Ok()};
  frames_.videos[good] = {{1}, Status::Ok()};
  PipelineCounters c;
  Status s = Run({io, bad, empty, good}, Options(4), &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(sink_.commits.size(), 4u);
  EXPECT_EQ(sink_.Find(io)->outcome, FileOutcome::kFailed);
  EXPECT_EQ(sink_.Find(io)->failure, FailureKind::kUnreadable);
  EXPECT_EQ(sink_.Find(io)->error, io + ": Permission denied");
  EXPECT_EQ(sink_.Find(bad)->failure, FailureKind::kUndecodable);
  EXPECT_EQ(sink_.Find(empty)->failure, FailureKind::kUndecodable);
  EXPECT_EQ(sink_.Find(good)->outcome, FileOutcome::kIndexed);
  EXPECT_EQ(sink_.Find(good)->failure, FailureKind::kNone);
  EXPECT_EQ(c.files_failed, 3);
  EXPECT_EQ(c.files_embedded, 1);
}

TEST_F(PipelineStagesTest, AFileWhoseContentCannotBeReadIsCommittedUnreadable) {
  // A directory passes stat() but cannot be read: the content hash fails with kIoError.
  const std::string dir = dir_.File("folder.mp4");
  std::filesystem::create_directories(dir);
  const std::string good = File("good.mp4");
  frames_.videos[good] = {{1}, Status::Ok()};
  PipelineCounters c;
  Status s = Run({dir, good}, Options(4), &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(sink_.commits.size(), 2u);
  const FileResult* r = sink_.Find(dir);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->outcome, FileOutcome::kFailed);
  EXPECT_EQ(r->failure, FailureKind::kUnreadable);
  EXPECT_NE(r->error.find(dir), std::string::npos) << r->error;
  EXPECT_EQ(frames_.sampled(), std::set<std::string>{good});  // never decoded
  EXPECT_EQ(c.files_failed, 1);
  EXPECT_EQ(c.files_embedded, 1);
}

TEST_F(PipelineStagesTest, CancellationCommitsNothingUnfinished) {
  const std::string a = File("a.mp4"), b = File("b.mp4"), d = File("d.mp4");
  frames_.videos[a] = {{0, 1}, Status::Ok()};
  frames_.videos[b] = {{0, 1, 2}, Status::Ok()};
  frames_.videos[d] = {{0}, Status::Ok()};
  std::atomic<bool> cancel{false};
  frames_.cancel = &cancel;
  frames_.cancel_at = b;
  PipelineOptions o = Options(1);
  o.cancel = &cancel;
  PipelineCounters c;
  Status s = Run({a, b, d}, o, &c);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  // a may or may not have made it before the cancellation; b and d never do.
  for (const FileResult& r : sink_.commits) {
    EXPECT_EQ(r.file.path, a);
    EXPECT_EQ(r.outcome, FileOutcome::kIndexed);
    EXPECT_EQ(r.segments.size(), 2u);
  }
  EXPECT_EQ(frames_.sampled().count(d), 0u);
}

TEST_F(PipelineStagesTest, EncoderFailureStopsTheRun) {
  const std::string a = File("a.mp4"), b = File("b.mp4");
  frames_.videos[a] = {{0}, Status::Ok()};
  frames_.videos[b] = {{1}, Status::Ok()};
  embedder_.FailOnBatch(1);
  PipelineCounters c;
  Status s = Run({a, b}, Options(4), &c);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("the fake tower broke"), std::string::npos) << s.ToString();
  EXPECT_TRUE(sink_.commits.empty());
  EXPECT_EQ(embedder_.batches().size(), 1u);
}

TEST_F(PipelineStagesTest, SinkFailureStopsTheRun) {
  const std::string a = File("a.mp4"), b = File("b.mp4");
  frames_.videos[a] = {{0}, Status::Ok()};
  frames_.videos[b] = {{1}, Status::Ok()};
  sink_.fail_on_commit = 1;
  PipelineCounters c;
  Status s = Run({a, b}, Options(1), &c);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("storing " + a), std::string::npos) << s.ToString();
  EXPECT_TRUE(sink_.commits.empty());
}

TEST_F(PipelineStagesTest, KnownFilesReadErrorStopsTheRun) {
  const std::string a = File("a.mp4"), b = File("b.mp4");
  frames_.videos[a] = {{0}, Status::Ok()};
  frames_.videos[b] = {{1}, Status::Ok()};
  known_.fail_find = b;
  PipelineCounters c;
  Status s = Run({a, b}, Options(1), &c);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("looking up " + b), std::string::npos) << s.ToString();
  EXPECT_TRUE(sink_.commits.empty());
  EXPECT_TRUE(frames_.sampled().empty());

  known_.fail_find.clear();
  known_.fail_hash_lookup = true;
  s = Run({a}, Options(1), &c);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_TRUE(sink_.commits.empty());
}

TEST_F(PipelineStagesTest, UnchangedFilesAreSkippedAndRenamesRecognised) {
  const std::string same = File("same.mp4"), moved = File("moved.mp4"), fresh = File("new.mp4");
  StatusOr<FileIdentity> id = IdentifyFile(same);
  ASSERT_TRUE(id.ok());
  known_.records[same] = KnownFile{*id, false, false};
  StatusOr<std::string> hash = ContentHash(moved);
  ASSERT_TRUE(hash.ok());
  const std::string gone = dir_.File("old-name.mp4");  // never existed: the file was moved
  known_.by_hash[*hash] = {gone};
  frames_.videos[fresh] = {{0}, Status::Ok()};
  PipelineCounters c;
  Status s = Run({same, moved, fresh}, Options(4), &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.files_unchanged, 1);
  EXPECT_EQ(c.files_renamed, 1);
  EXPECT_EQ(c.files_embedded, 1);
  ASSERT_EQ(known_.renames.size(), 1u);
  EXPECT_EQ(known_.renames[0], std::make_pair(gone, moved));
  EXPECT_EQ(frames_.sampled(), std::set<std::string>{fresh});
  ASSERT_EQ(sink_.commits.size(), 1u);
  EXPECT_EQ(sink_.commits[0].file.path, fresh);
}

TEST_F(PipelineStagesTest, TriageCountsVanishedFilesWithoutRecordingThem) {
  const std::string here = File("here.mp4");
  std::vector<PendingFile> pending;
  PipelineCounters c;
  int steps = 0;
  Status s =
      TriageFiles({dir_.File("vanished.mp4"), here}, &known_, &pending, &c, [&] { ++steps; });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.files_failed, 1);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].file.path, here);
  EXPECT_TRUE(pending[0].read_error.ok());
  EXPECT_EQ(pending[0].content_hash.size(), 64u);
  EXPECT_EQ(steps, 0);
}

TEST_F(PipelineStagesTest, OptionsThatDoNotFitTheModelAreRefused) {
  PipelineOptions o = Options(4);
  o.sampler.output_size = kSide + 1;
  PipelineCounters c;
  EXPECT_EQ(Run({}, o, &c).code(), StatusCode::kInvalidArgument);
  o = Options(0);
  EXPECT_EQ(Run({}, o, &c).code(), StatusCode::kInvalidArgument);
}

// A 2 x 6 picture whose column x has the grey level 10 * x, as the sampler hands a frame to
// `prepare` (at its displayed size).
Frame WideFrame() {
  Frame f;
  f.width = 6;
  f.height = 2;
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 6; ++x) f.rgb.insert(f.rgb.end(), 3, static_cast<uint8_t>(10 * x));
  }
  return f;
}

// Frames are prepared by the model's own resize and crop (the code query pictures go
// through): shortest side then centre crop, or an exact resize that squashes the picture.
TEST(SamplerOptionsForModelTest, PreparesFramesWithTheModelsOwnResize) {
  FakeEmbedder embedder;
  ImagePreprocessSpec* spec = embedder.mutable_spec();
  spec->resize = ImagePreprocessSpec::Resize::kShortestEdge;
  spec->shortest_edge = kSide;
  StatusOr<SamplerOptions> crop = SamplerOptionsForModel(embedder, SamplingSettings());
  ASSERT_TRUE(crop.ok()) << crop.status().message();
  EXPECT_EQ(crop->output_size, kSide);
  ASSERT_TRUE(crop->prepare);
  Frame f = WideFrame();
  ASSERT_TRUE(crop->prepare(&f).ok());
  ASSERT_EQ(f.width, kSide);
  ASSERT_EQ(f.height, kSide);
  // No resize (the short side is already 2); the crop keeps columns 2 and 3.
  EXPECT_EQ(f.rgb[0], 20);
  EXPECT_EQ(f.rgb[3], 30);

  spec->resize = ImagePreprocessSpec::Resize::kExact;
  spec->resize_height = spec->resize_width = kSide;
  spec->center_crop = false;
  StatusOr<SamplerOptions> squash = SamplerOptionsForModel(embedder, SamplingSettings());
  ASSERT_TRUE(squash.ok()) << squash.status().message();
  f = WideFrame();
  const Frame wide = f;
  ASSERT_TRUE(squash->prepare(&f).ok());
  ASSERT_EQ(f.width, kSide);
  ASSERT_EQ(f.height, kSide);
  // The whole width is kept: bicubic over columns 0..2 and 3..5.
  EXPECT_EQ(f.rgb, ResizeBicubicU8(wide.rgb.data(), 2, 6, 3, kSide, kSide));
  EXPECT_LT(f.rgb[0], 20);
  EXPECT_GT(f.rgb[3], 30);

  // An output whose size would depend on the picture's shape is refused.
  spec->resize = ImagePreprocessSpec::Resize::kShortestEdge;
  spec->shortest_edge = kSide;
  StatusOr<SamplerOptions> uneven = SamplerOptionsForModel(embedder, SamplingSettings());
  ASSERT_FALSE(uneven.ok());
  EXPECT_EQ(uneven.status().code(), StatusCode::kUnsupported);
  spec->resize = ImagePreprocessSpec::Resize::kExact;
  spec->resize_height = kSide + 1;
  EXPECT_EQ(SamplerOptionsForModel(embedder, SamplingSettings()).status().code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace vidx
