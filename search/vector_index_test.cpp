#include "search/vector_index.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "tests/temp_dir.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kDim = 32;

std::vector<float> RandomUnit(size_t n, uint32_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(n * d);
  for (size_t i = 0; i < n; ++i) {
    float norm = 0;
    for (uint32_t j = 0; j < d; ++j) {
      x[i * d + j] = normal(rng);
      norm += x[i * d + j] * x[i * d + j];
    }
    for (uint32_t j = 0; j < d; ++j) x[i * d + j] /= std::sqrt(norm);
  }
  return x;
}

std::vector<uint64_t> SpreadIds(size_t n) {  // non-contiguous, like a catalog after deletes
  std::vector<uint64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = 1000 + 3 * i;
  return ids;
}

// Top-k ids by inner product over the vectors whose id is not in `dead`.
std::vector<int64_t> BruteForce(const std::vector<float>& x, const std::vector<uint64_t>& ids,
                                const float* q, size_t k, const std::set<uint64_t>& dead = {}) {
  std::vector<std::pair<float, int64_t>> scored;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (dead.count(ids[i])) continue;
    float s = 0;
    for (uint32_t j = 0; j < kDim; ++j) s += x[i * kDim + j] * q[j];
    scored.emplace_back(s, static_cast<int64_t>(ids[i]));
  }
  std::sort(scored.begin(), scored.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<int64_t> out;
  for (size_t i = 0; i < k && i < scored.size(); ++i) out.push_back(scored[i].second);
  return out;
}

// Mean recall@k of `index` against brute force over 20 queries.
double Recall(const VectorIndex& index, const std::vector<float>& x,
              const std::vector<uint64_t>& ids, size_t k, const std::set<uint64_t>& dead = {},
              bool* exact = nullptr) {
  const size_t nq = 20;
  std::vector<float> q = RandomUnit(nq, kDim, 777);
  auto res = index.Search(nq, q.data(), k);
  EXPECT_TRUE(res.ok()) << res.status().message();
  if (!res.ok()) return 0;
  size_t hits = 0;
  bool same = true;
  for (size_t i = 0; i < nq; ++i) {
    std::vector<int64_t> truth = BruteForce(x, ids, &q[i * kDim], k, dead);
    std::vector<int64_t> got(res->ids.begin() + i * k, res->ids.begin() + (i + 1) * k);
    for (int64_t id : got) {
      EXPECT_EQ(dead.count(static_cast<uint64_t>(id)), 0u) << "tombstoned id " << id;
    }
    same = same && got == truth;
    std::set<int64_t> t(truth.begin(), truth.end());
    for (int64_t id : got) hits += t.count(id);
  }
  if (exact != nullptr) *exact = same;
  return static_cast<double>(hits) / static_cast<double>(nq * k);
}

std::unique_ptr<VectorIndex> BuildOk(const std::string& factory, const std::vector<float>& x,
                                     const std::vector<uint64_t>& ids, BuildInfo* info = nullptr,
                                     const VectorIndexOptions& options = {}) {
  auto index = VectorIndex::Build(factory, kDim, ids.size(), ids.data(), x.data(), options, info);
  EXPECT_TRUE(index.ok()) << index.status().message();
  return index.ok() ? std::move(index).value() : nullptr;
}

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("vidx_vindex") {}
};

TEST(VectorIndexTest, FlatIsExact) {
  auto x = RandomUnit(2000, kDim, 1);
  auto ids = SpreadIds(2000);
  BuildInfo info;
  auto index = BuildOk("Flat", x, ids, &info);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(info.effective_factory, "Flat");
  EXPECT_TRUE(info.note.empty());
  bool exact = false;
  EXPECT_EQ(Recall(*index, x, ids, 10, {}, &exact), 1.0);
  EXPECT_TRUE(exact);
  EXPECT_EQ(index->size(), 2000u);
  EXPECT_EQ(index->max_vector_id(), ids.back());
  // Scores are cosines of unit vectors: a stored vector finds itself with score 1.
  auto self = index->Search(1, &x[5 * kDim], 1);
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(self->ids[0], static_cast<int64_t>(ids[5]));
  EXPECT_NEAR(self->scores[0], 1.0f, 1e-5);
}

TEST(VectorIndexTest, Hnsw32HasHighRecall) {
  auto x = RandomUnit(2000, kDim, 2);
  auto ids = SpreadIds(2000);
  auto index = BuildOk("HNSW32", x, ids);
  ASSERT_NE(index, nullptr);
  EXPECT_GE(Recall(*index, x, ids, 10), 0.95);
}

TEST(VectorIndexTest, IvfIsTrainedWhenThereAreEnoughVectors) {
  auto x = RandomUnit(2000, kDim, 3);
  auto ids = SpreadIds(2000);
  auto min = VectorIndex::MinTrainingVectors("IVF16,Flat", kDim);
  ASSERT_TRUE(min.ok());
  EXPECT_EQ(*min, 39u * 16);
  EXPECT_EQ(*VectorIndex::MinTrainingVectors("Flat", kDim), 0u);
  BuildInfo info;
  auto index = BuildOk("IVF16,Flat", x, ids, &info);  // nprobe 16 = every list: exact
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(info.effective_factory, "IVF16,Flat");
  bool exact = false;
  EXPECT_EQ(Recall(*index, x, ids, 10, {}, &exact), 1.0);
  EXPECT_TRUE(exact);
}

TEST(VectorIndexTest, IvfFallsBackToFlatWithTooFewVectors) {
  auto x = RandomUnit(700, kDim, 4);
  auto ids = SpreadIds(700);
  BuildInfo info;
  auto index = VectorIndex::Build("IVF16,Flat", kDim, 100, ids.data(), x.data(), {}, &info);
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(info.effective_factory, "Flat");
  EXPECT_NE(info.note.find("624"), std::string::npos) << info.note;
  EXPECT_EQ((*index)->factory(), "IVF16,Flat");
  EXPECT_FALSE((*index)->NeedsRebuild());
  ASSERT_TRUE((*index)->Add(600, ids.data() + 100, x.data() + 100 * kDim).ok());
  EXPECT_TRUE((*index)->NeedsRebuild());  // now it could be trained
}

TEST(VectorIndexTest, RejectsBadFactoriesAndDuplicateIds) {
  auto x = RandomUnit(10, kDim, 5);
  auto ids = SpreadIds(10);
  EXPECT_EQ(VectorIndex::Build("NoSuchIndex", kDim, 0, nullptr, nullptr).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VectorIndex::Build("Flat", 0, 0, nullptr, nullptr).status().code(),
            StatusCode::kInvalidArgument);
  auto index = BuildOk("IDMap2,Flat", x, ids);  // an explicit IDMap is accepted
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->Add(1, &ids[3], x.data()).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(index->size(), 10u);
  auto empty = VectorIndex::Build("HNSW32", kDim, 0, nullptr, nullptr);
  ASSERT_TRUE(empty.ok());
  auto res = (*empty)->Search(1, x.data(), 3);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->ids, (std::vector<int64_t>{-1, -1, -1}));
}

// Removes every 5th id and checks searches never return them.
void CheckRemoval(const std::string& factory, bool expect_tombstones) {
  SCOPED_TRACE(factory);
  auto x = RandomUnit(1500, kDim, 6);
  auto ids = SpreadIds(1500);
  auto index = BuildOk(factory, x, ids);
  ASSERT_NE(index, nullptr);
  std::vector<uint64_t> gone;
  for (size_t i = 0; i < ids.size(); i += 5) gone.push_back(ids[i]);
  gone.push_back(5);  // unknown ids are ignored
  size_t removed = 0;
  ASSERT_TRUE(index->Remove(gone.size(), gone.data(), &removed).ok());
  EXPECT_EQ(removed, 300u);
  ASSERT_TRUE(index->Remove(gone.size(), gone.data(), &removed).ok());
  EXPECT_EQ(removed, 0u);  // twice is harmless
  EXPECT_EQ(index->size(), 1200u);
  EXPECT_EQ(index->tombstones(), expect_tombstones ? 300u : 0u);
  EXPECT_EQ(index->NeedsRebuild(), expect_tombstones);  // 20% > 10% threshold
  std::set<uint64_t> dead(gone.begin(), gone.end());
  EXPECT_GE(Recall(*index, x, ids, 10, dead), expect_tombstones ? 0.9 : 1.0);
  std::vector<uint64_t> live = index->LiveIds();
  EXPECT_EQ(live.size(), 1200u);
  for (uint64_t id : live) EXPECT_EQ(dead.count(id), 0u);
}

TEST(VectorIndexTest, FlatRemovesForReal) { CheckRemoval("Flat", false); }
TEST(VectorIndexTest, IvfRemovesForReal) { CheckRemoval("IVF8,Flat", false); }
TEST(VectorIndexTest, HnswUsesTombstones) { CheckRemoval("HNSW32", true); }
// HNSW behind a transform: tombstones filtered by over-fetching instead of a selector.
TEST(VectorIndexTest, WrappedHnswOverFetches) { CheckRemoval("L2norm,HNSW32", true); }

void CheckRoundTrip(const std::string& factory) {
  SCOPED_TRACE(factory);
  TempDir dir;
  auto x = RandomUnit(800, kDim, 7);
  auto ids = SpreadIds(800);
  auto index = BuildOk(factory, x, ids);
  ASSERT_NE(index, nullptr);
  std::vector<uint64_t> gone = {ids[1], ids[2], ids[700]};
  ASSERT_TRUE(index->Remove(gone.size(), gone.data()).ok());
  index->MarkDeletionsApplied(17);
  ASSERT_TRUE(index->Save(dir.str(), 4).ok());
  ASSERT_TRUE(index->Save(dir.str(), 4).ok());  // replacing a snapshot leaves one set of files
  size_t files = std::distance(fs::directory_iterator(dir.str()), fs::directory_iterator());
  EXPECT_EQ(files, 3u);
  SnapshotMeta meta;
  auto loaded = VectorIndex::Load(dir.str(), {}, &meta);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(meta.generation, 4u);
  EXPECT_EQ(meta.factory, factory);
  EXPECT_EQ(meta.dimension, kDim);
  EXPECT_EQ(meta.max_vector_id, ids.back());
  EXPECT_EQ(meta.deletion_seq, 17u);
  EXPECT_EQ(meta.count, 797u);
  EXPECT_EQ((*loaded)->LiveIds(), index->LiveIds());
  EXPECT_EQ((*loaded)->tombstones(), index->tombstones());
  auto q = RandomUnit(5, kDim, 8);
  auto a = index->Search(5, q.data(), 10);
  auto b = (*loaded)->Search(5, q.data(), 10);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->ids, b->ids);
  // New ids keep going after a reload; old ones are refused.
  EXPECT_EQ((*loaded)->Add(1, &ids[3], x.data()).code(), StatusCode::kFailedPrecondition);
}

TEST(VectorIndexTest, SnapshotRoundTripFlat) { CheckRoundTrip("Flat"); }
TEST(VectorIndexTest, SnapshotRoundTripHnsw) { CheckRoundTrip("HNSW32"); }
TEST(VectorIndexTest, SnapshotRoundTripIvf) { CheckRoundTrip("IVF8,Flat"); }  // native ids

std::string FindFile(const std::string& dir, const std::string& prefix) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) return e.path().string();
  }
  return "";
}

TEST(VectorIndexTest, CorruptSnapshotsAreRefused) {
  auto x = RandomUnit(50, kDim, 9);
  auto ids = SpreadIds(50);
  auto index = BuildOk("Flat", x, ids);
  ASSERT_NE(index, nullptr);
  TempDir missing;
  EXPECT_EQ(VectorIndex::Load(missing.str()).status().code(), StatusCode::kNotFound);

  auto damage = [&](const std::string& prefix, bool truncate) {
    TempDir dir;
    EXPECT_TRUE(index->Save(dir.str(), 1).ok());
    std::string path = FindFile(dir.str(), prefix);
    if (truncate) {
      fs::resize_file(path, fs::file_size(path) / 2);
    } else {
      std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(static_cast<std::streamoff>(fs::file_size(path) / 2));
      char c = 0;
      f.get(c);
      f.seekp(static_cast<std::streamoff>(fs::file_size(path) / 2));
      f.put(static_cast<char>(c ^ 0x10));
    }
    auto r = VectorIndex::Load(dir.str());
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().message();
    return r.status().message();
  };
  EXPECT_NE(damage("index-", false).find("index-"), std::string::npos);
  EXPECT_NE(damage("index-", true).find("index-"), std::string::npos);
  EXPECT_NE(damage("meta", false).find("meta"), std::string::npos);
  EXPECT_NE(damage("meta", true).find("meta"), std::string::npos);
}

// A snapshot written by format version 1 must keep loading. The fixture in
// search/testdata/snapshot_v1 (about 300 bytes) was written by this code with
// VIDX_WRITE_FIXTURES=1; it is checked in so that a format change cannot go unnoticed.
TEST(VectorIndexTest, LoadsCheckedInVersion1Snapshot) {
  const std::string dir = "search/testdata/snapshot_v1";
  std::vector<float> x = RandomUnit(4, 4, 11);
  std::vector<uint64_t> ids = {3, 5, 8, 13};
  if (std::getenv("VIDX_WRITE_FIXTURES") != nullptr) {
    auto built = VectorIndex::Build("Flat", 4, 4, ids.data(), x.data());
    ASSERT_TRUE(built.ok());
    ASSERT_TRUE((*built)->Remove(1, &ids[1]).ok());
    (*built)->MarkDeletionsApplied(2);
    fs::remove_all(dir);
    ASSERT_TRUE((*built)->Save(dir, 7).ok());
  }
  SnapshotMeta meta;
  auto loaded = VectorIndex::Load(dir, {}, &meta);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message() << " (run from the repository root)";
  EXPECT_EQ(meta.generation, 7u);
  EXPECT_EQ(meta.max_vector_id, 13u);
  EXPECT_EQ(meta.deletion_seq, 2u);
  EXPECT_EQ((*loaded)->LiveIds(), (std::vector<uint64_t>{3, 8, 13}));
  auto res = (*loaded)->Search(1, &x[2 * 4], 1);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->ids[0], 8);
  EXPECT_NEAR(res->scores[0], 1.0f, 1e-5);
}

}  // namespace
}  // namespace vidx
