#include "search/catalog_repair.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "search/catalog.h"
#include "search/catalog_format.h"
#include "tests/temp_dir.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
namespace fmt = catalog_format;

constexpr uint32_t kDim = 4;

FileResult MakeFile(const std::string& path, int segments) {
  FileResult r;
  r.file.path = path;
  r.file.size = 1000;
  r.content_hash = "hash-" + fs::path(path).stem().string();
  r.codec = "h264";
  for (int i = 0; i < segments; ++i) {
    Segment s;
    s.start = i;
    s.end = i + 1;
    s.vector = {1.f * i, 1.f, 2.f, 3.f};
    r.segments.push_back(s);
  }
  return r;
}

// Runs `fn` on the raw database (simulated loss of keys, as a salvage may leave).
void Raw(const std::string& state_dir, const std::function<void(rocksdb::DB*)>& fn) {
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), state_dir + "/catalog", &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  fn(db.get());
}

TEST(CatalogRepairTest, RestoresTheInvariantsAndNeverReusesIds) {
  testing::TempDir dir("vidx_repair");
  uint64_t gen = 0, max_id = 0;
  {
    auto c = Catalog::Open(dir.str());
    ASSERT_TRUE(c.ok());
    StatusOr<Generation> g = (*c)->CreateGeneration("fp", kDim);
    ASSERT_TRUE(g.ok());
    gen = g->id;
    for (const char* p : {"/m/a.mp4", "/m/b.mp4", "/m/c.mp4"}) {
      StatusOr<CommitReceipt> r = (*c)->CommitFile("fp", MakeFile(p, 3));
      ASSERT_TRUE(r.ok());
      max_id = std::max(max_id, r->added_ids.back());
    }
    ASSERT_TRUE((*c)->SetActive(gen).ok());
  }
  fs::create_directories(dir.path() / "index" / std::to_string(gen));
  std::ofstream(dir.path() / "index" / std::to_string(gen) / "index.faiss") << "x";
  Raw(dir.str(), [&](rocksdb::DB* db) {
    rocksdb::WriteOptions wo;
    // b lost one of its vectors; c lost its record (its vectors are orphans); the counters
    // and the active pointer are lost.
    ASSERT_TRUE(db->Delete(wo, fmt::VectorKey(gen, max_id - 4)).ok());
    ASSERT_TRUE(db->Delete(wo, fmt::FileKey(gen, "/m/c.mp4")).ok());
    ASSERT_TRUE(db->Delete(wo, fmt::kNextVectorKey).ok());
    ASSERT_TRUE(db->Delete(wo, fmt::kActiveKey).ok());
  });
  CatalogRepairReport report;
  Status s = RepairCatalog(dir.str(), &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.generations_kept, 1u);
  EXPECT_EQ(report.files_kept, 1u);  // a
  EXPECT_EQ(report.vectors_kept, 3u);
  EXPECT_EQ(report.files_dropped, 1u);    // b: partial
  EXPECT_EQ(report.vectors_dropped, 5u);  // b's two left, c's three orphans
  EXPECT_EQ(report.dropped_paths, std::vector<std::string>{"/m/b.mp4"});
  EXPECT_EQ(report.snapshots_removed, 1u);
  EXPECT_FALSE(fs::exists(dir.path() / "index" / std::to_string(gen)));

  auto c = Catalog::Open(dir.str());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::optional<Generation> active = (*c)->ActiveGeneration();
  ASSERT_TRUE(active.has_value()) << "the active pointer is restored";
  EXPECT_EQ(active->id, gen);
  EXPECT_EQ(active->files_indexed, 1u);
  EXPECT_EQ(active->vectors, 3u);
  EXPECT_FALSE((*c)->GetFile(gen, "/m/b.mp4").ok());
  // The next vector id is above every id ever stored.
  StatusOr<CommitReceipt> r = (*c)->CommitFile("fp", MakeFile("/m/b.mp4", 3));
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->added_ids.front(), max_id);
}

TEST(CatalogRepairTest, RefusesWhatItCannotRepair) {
  testing::TempDir dir("vidx_repair");
  CatalogRepairReport report;
  EXPECT_EQ(RepairCatalog(dir.str(), &report).code(), StatusCode::kNotFound);
  auto c = Catalog::Open(dir.str());
  ASSERT_TRUE(c.ok());
  Status s = RepairCatalog(dir.str(), &report);  // the catalog is open: locked
  EXPECT_EQ(s.code(), StatusCode::kBusy) << s.ToString();
}

TEST(CatalogRepairTest, ACorruptCatalogIsRefusedWithTheRepairCommand) {
  testing::TempDir dir("vidx_repair");
  ASSERT_TRUE(Catalog::Open(dir.str()).ok());
  std::ofstream(dir.path() / "catalog" / "CURRENT") << "MANIFEST-0";
  auto c = Catalog::Open(dir.str());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kCorruption);
  EXPECT_NE(c.status().message().find("catalog " + dir.str() + "/catalog is corrupt"),
            std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("vidx repair"), std::string::npos);
  CatalogRepairReport report;
  ASSERT_TRUE(RepairCatalog(dir.str(), &report).ok());
  EXPECT_TRUE(Catalog::Open(dir.str()).ok());
}

}  // namespace
}  // namespace vidx
