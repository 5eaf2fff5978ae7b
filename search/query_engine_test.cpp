// The query engine: +/- term parsing, moment merging, hit grouping, and searches over a small
// catalog with a fake embedder (paging, filters, moment and picture queries, file ids).
// (Searches through a real model run end to end in tests/index_search_cli_test.cpp.)
#include "search/query_engine.h"

#include <atomic>
#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "indexer/video/image_io.h"
#include "search/catalog_format.h"
#include "tests/temp_dir.h"

namespace vidx {
namespace {

TEST(ParseTextTermsTest, SignedTerms) {
  using Terms = std::vector<std::pair<int, std::string>>;
  EXPECT_EQ(ParseTextTerms("beach + dog - night"),
            (Terms{{1, "beach"}, {1, "dog"}, {-1, "night"}}));
  EXPECT_EQ(ParseTextTerms("  a dog  running "), (Terms{{1, "a dog running"}}));
  EXPECT_EQ(ParseTextTerms("- rain"), (Terms{{-1, "rain"}}));
  EXPECT_EQ(ParseTextTerms("t-shirt + red"), (Terms{{1, "t-shirt"}, {1, "red"}}));
  EXPECT_TRUE(ParseTextTerms(" + ").empty());
}

TEST(MergeMomentsTest, MergesTouchingSegmentsAndRanksByScore) {
  std::vector<Moment> m = MergeMoments({{4, 6, 0.5f}, {0, 2, 0.7f}, {2, 4, 0.9f}, {10, 12, 0.8f}});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_DOUBLE_EQ(m[0].start, 0);
  EXPECT_DOUBLE_EQ(m[0].end, 6);
  EXPECT_FLOAT_EQ(m[0].score, 0.9f);
  EXPECT_DOUBLE_EQ(m[1].start, 10);
  EXPECT_FLOAT_EQ(m[1].score, 0.8f);
}

FileResult TwoSegmentFile(const std::string& path, float seed) {
  FileResult r;
  r.file.path = path;
  r.file.size = 10;
  r.content_hash = path.substr(path.size() - 5, 1);
  for (int i = 0; i < 2; ++i) r.segments.push_back({2.0 * i, 2.0 * i + 2, {seed + i, 1, 0, 0}});
  return r;
}

// Hit lookup: one batched read; ids removed since the search are skipped, a broken record
// is an error rather than a silently missing hit.
TEST(GroupHitsByFileTest, SkipsRemovedIdsAndReportsBrokenRecords) {
  vidx::testing::TempDir dir("vidx_query_engine");
  uint64_t gen = 0;
  SearchResults hits;
  hits.k = 5;
  hits.ids = {3, 1, -1, 4, 2};  // 1, 2: a.mp4 (removed below); 3, 4: b.mp4
  hits.scores = {0.9f, 0.8f, 0.f, 0.7f, 0.6f};
  {
    auto c = Catalog::Open(dir.str());
    ASSERT_TRUE(c.ok()) << c.status().message();
    gen = (*c)->CreateGeneration("fp", 4)->id;
    ASSERT_TRUE((*c)->CommitFile("fp", TwoSegmentFile("/v/a.mp4", 0)).ok());
    ASSERT_TRUE((*c)->CommitFile("fp", TwoSegmentFile("/v/b.mp4", 5)).ok());
    ASSERT_TRUE((*c)->RemoveFile("/v/a.mp4").ok());
    auto grouped = GroupHitsByFile(**c, gen, hits);
    ASSERT_TRUE(grouped.ok()) << grouped.status().message();
    ASSERT_EQ(grouped->size(), 1u);
    const std::vector<Moment>& b = grouped->at("/v/b.mp4");
    ASSERT_EQ(b.size(), 2u);
    EXPECT_DOUBLE_EQ(b[0].start, 0);
    EXPECT_FLOAT_EQ(b[0].score, 0.9f);
    EXPECT_DOUBLE_EQ(b[1].start, 2);
    EXPECT_FLOAT_EQ(b[1].score, 0.7f);
  }
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir.str() + "/catalog", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), catalog_format::VectorKey(gen, 4), "xx").ok());
  }
  auto c = Catalog::Open(dir.str());
  ASSERT_TRUE(c.ok());
  auto broken = GroupHitsByFile(**c, gen, hits);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kCorruption) << broken.status().message();
}

// Four dimensions. A text "N" (0..3) embeds as the unit vector of axis N; an image as its mean
// red, green and blue (normalised), so a red picture is axis 0.
class FakeEmbedder : public Embedder {
 public:
  std::string family() const override { return "fake"; }
  int dim() const override { return 4; }
  const ImagePreprocessSpec& image_input() const override { return input_; }
  std::string device() const override { return "cpu"; }
  std::string precision() const override { return "fp32"; }
  std::vector<std::string> checkpoint_files() const override { return {}; }
  std::string Describe() const override { return "fake"; }
  Status EmbedPreparedImages(int64_t n, const uint8_t* rgb, float* out) const override {
    return EmbedImages(n, input_.height, input_.width, rgb, out);
  }
  Status EmbedImages(int64_t n, int height, int width, const uint8_t* rgb,
                     float* out) const override {
    image_calls += static_cast<int>(n);
    const size_t pixels = static_cast<size_t>(height) * width;
    for (int64_t i = 0; i < n; ++i) {
      double sum[3] = {0, 0, 0};
      for (size_t p = 0; p < pixels; ++p) {
        for (int c = 0; c < 3; ++c) sum[c] += rgb[(i * pixels + p) * 3 + c];
      }
      const double norm = std::sqrt(sum[0] * sum[0] + sum[1] * sum[1] + sum[2] * sum[2]);
      for (int c = 0; c < 3; ++c) out[i * 4 + c] = static_cast<float>(sum[c] / norm);
      out[i * 4 + 3] = 0;
    }
    return Status::Ok();
  }
  Status EmbedTexts(int64_t n, const std::string* texts, float* out) const override {
    text_calls += static_cast<int>(n);
    for (int64_t i = 0; i < n; ++i) {
      const int axis = std::stoi(texts[i]);
      for (int d = 0; d < 4; ++d) out[i * 4 + d] = d == axis ? 1.f : 0.f;
    }
    return Status::Ok();
  }
  StatusOr<std::vector<int32_t>> Tokenize(std::string_view) const override {
    return std::vector<int32_t>{};
  }
  StatusOr<EmbedderProbe> Probe() const override { return EmbedderProbe{}; }
  std::optional<MatchCalibration> match_calibration() const override { return calibration; }

  std::optional<MatchCalibration> calibration;  // none by default, as CLIP

  mutable std::atomic<int> text_calls{0}, image_calls{0};  // inputs embedded

 private:
  ImagePreprocessSpec input_{/*height=*/8, /*width=*/8};
};

std::vector<float> Unit(std::vector<float> v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

FileResult MakeFile(const std::string& path, int64_t mtime_seconds,
                    std::vector<std::vector<float>> segment_vectors) {
  FileResult r;
  r.file.path = path;
  r.file.size = 1000;
  r.file.mtime_ns = mtime_seconds * 1000000000;
  r.content_hash = std::to_string(std::hash<std::string>()(path));
  r.duration = 2.0 * segment_vectors.size();
  r.codec = "h264";
  for (size_t i = 0; i < segment_vectors.size(); ++i) {
    r.segments.push_back({2.0 * i, 2.0 * i + 2, Unit(segment_vectors[i])});
  }
  return r;
}

class QueryEngineSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Catalog::Open(dir_.str());
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = std::move(*c);
    StatusOr<Generation> g = catalog_->CreateGeneration("fp", 4);
    ASSERT_TRUE(g.ok());
    generation_ = *g;
    // Against axis 0: one 1.0, four 0.98, two 0.89, three 0.
    Commit(MakeFile("/lib/a/one.mp4", 1000, {{1, 0, 0, 0}, {0, 1, 0, 0}}));
    Commit(MakeFile("/lib/a/two.mp4", 2000, {{1, 0, 0.5f, 0}}));
    Commit(MakeFile("/lib/b/three.mp4", 3000, {{0, 0, 1, 0}}));
    Commit(MakeFile("/lib/ab/four.mkv", 4000, {{1, 0, 0, 0.2f}}));
    auto index = VectorIndex::Build("Flat", 4, ids_.size(), ids_.data(), vectors_.data());
    ASSERT_TRUE(index.ok()) << index.status().message();
    index_ = std::move(*index);
    engine_ = std::make_unique<QueryEngine>(&embedder_, "fp", catalog_.get(), generation_,
                                            index_.get(), SamplerOptions());
  }

  void Commit(const FileResult& file) {
    StatusOr<CommitReceipt> r = catalog_->CommitFile("fp", file);
    ASSERT_TRUE(r.ok()) << r.status().message();
    for (size_t i = 0; i < r->added_ids.size(); ++i) {
      ids_.push_back(r->added_ids[i]);
      vectors_.insert(vectors_.end(), file.segments[i].vector.begin(),
                      file.segments[i].vector.end());
    }
    first_ids_[file.file.path] = r->added_ids.front();
  }

  std::vector<std::string> Paths(const Query& q, bool* more = nullptr) {
    StatusOr<SearchResponse> r = engine_->Search(q);
    EXPECT_TRUE(r.ok()) << r.status().message();
    std::vector<std::string> paths;
    if (!r.ok()) return paths;
    for (const FileHit& h : r->results) paths.push_back(h.path);
    if (more != nullptr) *more = r->more;
    return paths;
  }

  vidx::testing::TempDir dir_{"vidx_query_search"};
  std::unique_ptr<Catalog> catalog_;
  Generation generation_;
  std::vector<uint64_t> ids_;
  std::vector<float> vectors_;
  std::map<std::string, uint64_t> first_ids_;
  std::unique_ptr<VectorIndex> index_;
  FakeEmbedder embedder_;
  std::unique_ptr<QueryEngine> engine_;
};

using PathList = std::vector<std::string>;

TEST_F(QueryEngineSearchTest, PagesWithOffsetAndSaysWhetherThereIsMore) {
  Query q;
  q.text = "0";
  q.k = 2;
  bool more = false;
  EXPECT_EQ(Paths(q, &more), (PathList{"/lib/a/one.mp4", "/lib/ab/four.mkv"}));
  EXPECT_TRUE(more);
  q.offset = 2;
  EXPECT_EQ(Paths(q, &more), (PathList{"/lib/a/two.mp4", "/lib/b/three.mp4"}));
  EXPECT_FALSE(more);
  q.offset = 10;
  EXPECT_EQ(Paths(q, &more), PathList{});
  EXPECT_FALSE(more);
  q.offset = -1;
  EXPECT_EQ(engine_->Search(q).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(QueryEngineSearchTest, ResultsCarryTheFileIdAndTheCataloguedFacts) {
  Query q;
  q.text = "0";
  StatusOr<SearchResponse> r = engine_->Search(q);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->results.size(), 4u);
  const FileHit& one = r->results[0];
  EXPECT_EQ(one.path, "/lib/a/one.mp4");
  EXPECT_EQ(one.file_id, first_ids_.at("/lib/a/one.mp4"));
  EXPECT_DOUBLE_EQ(one.duration, 4);
  EXPECT_EQ(one.codec, "h264");
  EXPECT_EQ(one.size, 1000u);
  EXPECT_EQ(one.mtime_ns, int64_t{1000} * 1000000000);
}

TEST_F(QueryEngineSearchTest, FiltersByFolderAtAComponentBoundaryAndByModificationTime) {
  Query q;
  q.text = "0";
  q.filter.folder = "/lib/a";
  EXPECT_EQ(Paths(q), (PathList{"/lib/a/one.mp4", "/lib/a/two.mp4"}));  // not /lib/ab/
  q.filter.folder = "/lib/a/";
  EXPECT_EQ(Paths(q), (PathList{"/lib/a/one.mp4", "/lib/a/two.mp4"}));
  q.filter.folder.clear();
  q.filter.modified_after = 1500;
  q.filter.modified_before = 3500;
  EXPECT_EQ(Paths(q), (PathList{"/lib/a/two.mp4", "/lib/b/three.mp4"}));
  // A filter that leaves one file: paging still counts files that pass.
  q.filter.folder = "/lib/b";
  q.k = 1;
  bool more = true;
  EXPECT_EQ(Paths(q, &more), (PathList{"/lib/b/three.mp4"}));
  EXPECT_FALSE(more);
}

TEST_F(QueryEngineSearchTest, LikeAMomentUsesThatSegmentsStoredVector) {
  Query q;
  q.like_moment = MomentRef{first_ids_.at("/lib/a/one.mp4"), 3.0};  // segment [2, 4): axis 1
  StatusOr<SearchResponse> r = engine_->Search(q);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_FALSE(r->results.empty());
  EXPECT_EQ(r->results[0].path, "/lib/a/one.mp4");
  EXPECT_FLOAT_EQ(r->results[0].score, 1.f);
  EXPECT_DOUBLE_EQ(r->results[0].moments.at(0).start, 2);
  q.like_moment->t = 0.5;  // segment [0, 2): axis 0, so four comes second
  EXPECT_EQ(Paths(q).at(1), "/lib/ab/four.mkv");
  q.like_moment->t = 99;  // past the end: the nearest segment, [2, 4)
  EXPECT_EQ(Paths(q).at(0), "/lib/a/one.mp4");
  q.like_moment->file = first_ids_.at("/lib/a/one.mp4") + 1;  // a later segment's id
  EXPECT_EQ(engine_->Search(q).status().code(), StatusCode::kNotFound);
}

TEST_F(QueryEngineSearchTest, FindsFilesByIdOnly) {
  const uint64_t one = first_ids_.at("/lib/a/one.mp4");
  StatusOr<FileRecord> f = engine_->FindFile(one);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->file.path, "/lib/a/one.mp4");
  EXPECT_EQ(engine_->FindFile(one + 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->FindFile(999999).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(catalog_->RemoveFile("/lib/a/one.mp4").ok());
  EXPECT_EQ(engine_->FindFile(one).status().code(), StatusCode::kNotFound);
}

TEST_F(QueryEngineSearchTest, ListsTheFoldersOfIndexedFiles) {
  StatusOr<std::vector<std::string>> folders = engine_->Folders();
  ASSERT_TRUE(folders.ok()) << folders.status().message();
  EXPECT_EQ(*folders, (PathList{"/lib/a", "/lib/ab", "/lib/b"}));
}

TEST_F(QueryEngineSearchTest, APictureSentAsBytesIsAQueryTerm) {
  Frame red;
  red.width = red.height = 16;
  red.rgb.resize(16 * 16 * 3, 0);
  for (size_t i = 0; i < red.rgb.size(); i += 3) red.rgb[i] = 255;
  const std::string png = dir_.str() + "/red.png";
  ASSERT_TRUE(WritePng(png, red).ok());
  std::ifstream in(png, std::ios::binary);
  Query q;
  q.image_bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  EXPECT_EQ(Paths(q).at(0), "/lib/a/one.mp4");

  q.image_bytes = "not a picture at all";
  Status bad = engine_->Search(q).status();
  EXPECT_EQ(bad.code(), StatusCode::kCorruption) << bad.message();
  EXPECT_EQ(bad.message().rfind("the picture", 0), 0u) << bad.message();
}

// A calibrated model's hits of a one-text query carry sigmoid(score * exp(scale) + bias);
// uncalibrated models and every other kind of query carry none.
TEST_F(QueryEngineSearchTest, OneTextQueryHitsCarryTheCalibratedProbability) {
  Query q;
  q.text = "0";
  StatusOr<SearchResponse> plain = engine_->Search(q);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  for (const FileHit& h : plain->results) EXPECT_FALSE(h.probability) << h.path;

  embedder_.calibration = MatchCalibration{std::log(10.0), -5.0};
  StatusOr<SearchResponse> r = engine_->Search(q);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->results.size(), 4u);
  // Scores against axis 0: 1 (one), 1/sqrt(1.04) (four), 1/sqrt(1.25) (two), 0 (three).
  const double want[] = {1.0, 1 / std::sqrt(1.04), 1 / std::sqrt(1.25), 0.0};
  for (size_t i = 0; i < 4; ++i) {
    const FileHit& h = r->results[i];
    ASSERT_TRUE(h.probability) << h.path;
    EXPECT_NEAR(h.score, want[i], 1e-6) << h.path;
    EXPECT_NEAR(*h.probability, 1 / (1 + std::exp(-(want[i] * 10 - 5))), 1e-6) << h.path;
  }
  EXPECT_NEAR(*r->results[0].probability, 1 / (1 + std::exp(-5.0)), 1e-6);  // 0.9933
  EXPECT_NEAR(*r->results[3].probability, 1 / (1 + std::exp(5.0)), 1e-6);   // 0.0067

  for (const char* text : {"0 + 1", "- 0", "1 - 0"}) {
    q.text = text;
    StatusOr<SearchResponse> terms = engine_->Search(q);
    ASSERT_TRUE(terms.ok()) << terms.status().message();
    for (const FileHit& h : terms->results) EXPECT_FALSE(h.probability) << text;
  }
  q.text = "0";
  q.like_moment = MomentRef{first_ids_.at("/lib/a/one.mp4"), 0};
  StatusOr<SearchResponse> moment = engine_->Search(q);
  ASSERT_TRUE(moment.ok()) << moment.status().message();
  for (const FileHit& h : moment->results) EXPECT_FALSE(h.probability) << h.path;
}

TEST_F(QueryEngineSearchTest, RepeatedTermsArePagedWithoutTheModel) {
  Query q;
  q.text = "0 + 1";
  q.k = 1;
  const PathList first = Paths(q);
  EXPECT_EQ(embedder_.text_calls, 2);
  q.offset = 1;  // the next page
  EXPECT_NE(Paths(q), first);
  q.text = "1 - 0";  // the same terms, other signs
  q.offset = 0;
  Paths(q);
  EXPECT_EQ(embedder_.text_calls, 2);
  EXPECT_EQ(engine_->cache().hits(), 4u);

  Frame red;
  red.width = red.height = 16;
  red.rgb.resize(16 * 16 * 3, 0);
  for (size_t i = 0; i < red.rgb.size(); i += 3) red.rgb[i] = 255;
  const std::string png = dir_.str() + "/red.png";
  ASSERT_TRUE(WritePng(png, red).ok());
  std::ifstream in(png, std::ios::binary);
  Query picture;
  picture.image_bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  EXPECT_EQ(Paths(picture).at(0), "/lib/a/one.mp4");
  EXPECT_EQ(Paths(picture).at(0), "/lib/a/one.mp4");
  EXPECT_EQ(embedder_.image_calls, 1);

  // A failure is not cached; an engine of another generation starts empty.
  picture.image_bytes = "not a picture at all";
  EXPECT_FALSE(engine_->Search(picture).ok());
  EXPECT_FALSE(engine_->Search(picture).ok());
  QueryEngine other(&embedder_, "fp", catalog_.get(), generation_, index_.get(), SamplerOptions());
  EXPECT_EQ(other.cache().size(), 0u);
  EXPECT_EQ(engine_->cache().size(), 3u);
}

}  // namespace
}  // namespace vidx
