#include "search/index_loader.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "tests/temp_dir.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kDim = 16;

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("vidx_loader") {}
};

class IndexLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Catalog::Open(dir_.str());
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = std::move(c).value();
    auto g = catalog_->CreateGeneration("fp", kDim);
    ASSERT_TRUE(g.ok());
    gen_ = g->id;
    for (int i = 0; i < 40; ++i) CommitFile(i);
  }

  // File i with 5 random unit vectors (different on every call).
  void CommitFile(int i) {
    FileResult r;
    r.file.path = "/media/v" + std::to_string(i) + ".mp4";
    r.content_hash = "h" + std::to_string(i) + "_" + std::to_string(rng_());
    std::normal_distribution<float> normal;
    for (int s = 0; s < 5; ++s) {
      Segment seg;
      seg.start = s;
      seg.end = s + 1;
      float norm = 0;
      for (uint32_t j = 0; j < kDim; ++j) {
        seg.vector.push_back(normal(rng_));
        norm += seg.vector.back() * seg.vector.back();
      }
      for (float& v : seg.vector) v /= std::sqrt(norm);
      r.segments.push_back(seg);
    }
    ASSERT_TRUE(catalog_->CommitFile("fp", r).status().ok());
  }

  std::vector<uint64_t> CatalogIds() {
    std::vector<uint64_t> ids;
    EXPECT_TRUE(catalog_
                    ->ForEachVector(gen_, 0,
                                    [&](const VectorRecord& v) {
                                      ids.push_back(v.id);
                                      return Status::Ok();
                                    })
                    .ok());
    return ids;
  }

  OpenedIndex OpenOk(const std::string& factory) {
    auto opened = OpenIndexForGeneration(*catalog_, gen_, factory, dir_.str());
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    return opened.ok() ? std::move(opened).value() : OpenedIndex{};
  }

  // The index holds exactly the catalog's vectors and finds each one as its own best match.
  void ExpectAgrees(const VectorIndex& index) {
    std::vector<uint64_t> ids = CatalogIds();
    EXPECT_EQ(index.LiveIds(), ids);  // sorted, so duplicates would show
    EXPECT_EQ(index.size(), ids.size());
    for (size_t i = 0; i < ids.size(); i += 7) {
      auto v = catalog_->GetVector(gen_, ids[i]);
      ASSERT_TRUE(v.ok());
      auto res = index.Search(1, v->vector.data(), 1);
      ASSERT_TRUE(res.ok());
      EXPECT_EQ(res->ids[0], static_cast<int64_t>(ids[i]));
    }
  }

  std::string IndexFile() {
    for (const auto& e : fs::directory_iterator(SnapshotDir(dir_.str(), gen_))) {
      if (e.path().filename().string().rfind("index-", 0) == 0) return e.path().string();
    }
    return "";
  }

  TempDir dir_;
  std::mt19937 rng_{42};
  std::unique_ptr<Catalog> catalog_;
  uint64_t gen_ = 0;
};

TEST_F(IndexLoaderTest, MissingSnapshotIsBuiltFromTheCatalog) {
  OpenedIndex o = OpenOk("Flat");
  ASSERT_NE(o.index, nullptr);
  EXPECT_EQ(o.path, IndexOpenPath::kRebuilt);
  EXPECT_EQ(o.reason, "no snapshot");
  ExpectAgrees(*o.index);
  EXPECT_EQ(o.index->max_vector_id(), CatalogIds().back());
}

class ReplayTest : public IndexLoaderTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(ReplayTest, ReplaysNewerVectorsAndDeletionsExactly) {
  const std::string factory = GetParam();
  {
    OpenedIndex o = OpenOk(factory);
    ASSERT_NE(o.index, nullptr);
    ASSERT_TRUE(o.index->Save(SnapshotDir(dir_.str(), gen_), gen_).ok());
  }
  for (int i = 40; i < 45; ++i) CommitFile(i);              // +25 vectors
  CommitFile(3);                                            // replaces 5 vectors
  ASSERT_TRUE(catalog_->RemoveFile("/media/v7.mp4").ok());  // removes 5
  FileIdentity moved;
  moved.path = "/media/renamed.mp4";
  ASSERT_TRUE(catalog_->RenameFile("/media/v9.mp4", moved).ok());  // no index change
  OpenedIndex o = OpenOk(factory);
  ASSERT_NE(o.index, nullptr);
  EXPECT_EQ(o.path, IndexOpenPath::kLoadedSnapshot) << o.reason;
  EXPECT_EQ(o.replayed_vectors, 30u);
  EXPECT_EQ(o.replayed_deletions, 10u);
  ExpectAgrees(*o.index);
  EXPECT_EQ(o.index->deletion_seq(), catalog_->LastDeletionSeq());
  // A second snapshot plus replay of nothing is stable.
  ASSERT_TRUE(o.index->Save(SnapshotDir(dir_.str(), gen_), gen_).ok());
  OpenedIndex again = OpenOk(factory);
  EXPECT_EQ(again.path, IndexOpenPath::kLoadedSnapshot);
  EXPECT_EQ(again.replayed_vectors, 0u);
  EXPECT_EQ(again.replayed_deletions, 0u);
  ExpectAgrees(*again.index);
}

INSTANTIATE_TEST_SUITE_P(Factories, ReplayTest, ::testing::Values("Flat", "HNSW32"));

TEST_F(IndexLoaderTest, CorruptSnapshotIsRebuilt) {
  for (bool truncate : {false, true}) {
    SCOPED_TRACE(truncate ? "truncated" : "flipped byte");
    {
      OpenedIndex o = OpenOk("Flat");
      ASSERT_TRUE(o.index->Save(SnapshotDir(dir_.str(), gen_), gen_).ok());
    }
    CommitFile(50 + truncate);
    std::string file = IndexFile();
    ASSERT_FALSE(file.empty());
    if (truncate) {
      fs::resize_file(file, fs::file_size(file) - 1);
    } else {
      std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(100);
      f.put('\x7f');
    }
    OpenedIndex o = OpenOk("Flat");
    ASSERT_NE(o.index, nullptr);
    EXPECT_EQ(o.path, IndexOpenPath::kRebuilt);
    EXPECT_NE(o.reason.find("corrupt"), std::string::npos) << o.reason;
    ExpectAgrees(*o.index);
  }
}

TEST_F(IndexLoaderTest, ChangedFactoryRebuildsFromStoredVectors) {
  {
    OpenedIndex o = OpenOk("Flat");
    ASSERT_TRUE(o.index->Save(SnapshotDir(dir_.str(), gen_), gen_).ok());
  }
  OpenedIndex o = OpenOk("HNSW32");
  ASSERT_NE(o.index, nullptr);
  EXPECT_EQ(o.path, IndexOpenPath::kRebuilt);
  EXPECT_NE(o.reason.find("'Flat' to 'HNSW32'"), std::string::npos) << o.reason;
  EXPECT_EQ(o.index->effective_factory(), "HNSW32");
  ExpectAgrees(*o.index);
}

TEST_F(IndexLoaderTest, IvfFallsBackToFlatThenTrainsWhenItCan) {
  OpenedIndex o = OpenOk("IVF4,Flat");  // 200 vectors >= 39 * 4
  ASSERT_NE(o.index, nullptr);
  EXPECT_EQ(o.index->effective_factory(), "IVF4,Flat");
  ExpectAgrees(*o.index);
  OpenedIndex small = OpenOk("IVF8,Flat");  // 200 < 312: Flat for now
  EXPECT_EQ(small.index->effective_factory(), "Flat");
  EXPECT_FALSE(small.build.note.empty());
  ExpectAgrees(*small.index);
  ASSERT_TRUE(small.index->Save(SnapshotDir(dir_.str(), gen_), gen_).ok());
  for (int i = 100; i < 125; ++i) CommitFile(i);  // 325 vectors now
  OpenedIndex trained = OpenOk("IVF8,Flat");
  EXPECT_EQ(trained.path, IndexOpenPath::kRebuilt);
  EXPECT_EQ(trained.index->effective_factory(), "IVF8,Flat");
  ExpectAgrees(*trained.index);
}

TEST_F(IndexLoaderTest, UnknownGenerationIsAnError) {
  auto opened = OpenIndexForGeneration(*catalog_, 99, "Flat", dir_.str());
  EXPECT_EQ(opened.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vidx
