// A catalog written by an older vidx must keep opening. search/testdata/catalog_v1 is a small
// catalog written by format version 1 (see WriteFixture); these tests open copies of it.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "search/catalog.h"
#include "search/catalog_format.h"
#include "search/rocks_logger.h"
#include "tests/temp_dir.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

constexpr char kFixture[] = "search/testdata/catalog_v1";

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("vidx_catalog_migrate") {}
};

// The checkpoint whose hash the fixture caches: the writer stores it, the checks look it up.
FileIdentity FixtureCheckpoint() {
  FileIdentity model;
  model.path = "/models/clip.pt";
  model.size = 123;
  model.mtime_ns = 456;
  model.inode = 789;
  model.device = 2049;
  return model;
}

FileResult MakeFile(const std::string& path, const std::string& hash, int segments, float seed) {
  FileResult r;
  r.file.path = path;
  r.file.size = 1000 + segments;
  r.file.mtime_ns = 1700000000123456789;
  r.file.inode = 70 + segments;
  r.file.device = 2049;
  r.content_hash = hash;
  r.duration = 2.0 * segments;
  r.codec = "h264";
  for (int i = 0; i < segments; ++i) {
    Segment s;
    s.start = 2.0 * i;
    s.end = 2.0 * i + 2;
    s.vector = {seed + i, 1.f, 0.5f, -0.25f};
    r.segments.push_back(s);
  }
  return r;
}

FileResult MakeFailed(const std::string& path) {
  FileResult r = MakeFile(path, "cc", 0, 0);
  r.outcome = FileOutcome::kFailed;
  r.error = "cannot open " + path + ": Permission denied";
  r.codec.clear();
  return r;
}

// Writes the fixture with the code of the time. It was run once, from the repository root,
// with VIDX_WRITE_FIXTURE=1 while format version 1 was current (commit 9b04c10); the result
// is checked in. Kept to document what the fixture holds; today's code writes format 2.
void WriteFixture(const std::string& state_dir) {
  {
    auto opened = Catalog::Open(state_dir);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    Catalog& c = **opened;
    auto g1 = c.CreateGeneration("fp-one", 4);
    ASSERT_TRUE(g1.ok());
    ASSERT_TRUE(c.CommitFile("fp-one", MakeFile("/lib/a.mp4", "aa", 2, 0.f)).ok());
    ASSERT_TRUE(c.CommitFile("fp-one", MakeFile("/lib/b.mp4", "bb", 1, 3.f)).ok());
    ASSERT_TRUE(c.CommitFile("fp-one", MakeFailed("/lib/bad.mp4")).ok());
    ASSERT_TRUE(c.CommitFile("fp-one", MakeFile("/lib/gone.mp4", "dd", 1, 5.f)).ok());
    // Re-commit a: its first vectors (1, 2) go to the deletion log.
    ASSERT_TRUE(c.CommitFile("fp-one", MakeFile("/lib/a.mp4", "aa", 2, 7.f)).ok());
    ASSERT_TRUE(c.RemoveFile("/lib/gone.mp4").ok());
    FileIdentity renamed = MakeFile("/lib/b-renamed.mp4", "bb", 1, 0).file;
    ASSERT_TRUE(c.RenameFile("/lib/b.mp4", renamed).ok());
    ASSERT_TRUE(c.SetActive(g1->id).ok());
    ASSERT_TRUE(c.CreateGeneration("fp-two", 4).ok());
    ASSERT_TRUE(c.CommitFile("fp-two", MakeFile("/lib/a.mp4", "aa", 1, 9.f)).ok());
    ASSERT_TRUE(c.Store(FixtureCheckpoint(), std::string(64, 'e')).ok());
  }
  // Tidy: everything in one table file, an empty write-ahead log, no LOG file.
  rocksdb::Options options;
  options.info_log = MakeRocksLogger();
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, state_dir + "/catalog", &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  ASSERT_TRUE(db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr).ok());
  ASSERT_TRUE(db->Close().ok());
}

// A copy of the fixture's catalog under `state_dir`/catalog.
void CopyFixture(const std::string& state_dir) {
  ASSERT_TRUE(fs::is_directory(kFixture)) << kFixture << " missing (run from the repository root)";
  fs::copy(kFixture, state_dir + "/catalog", fs::copy_options::recursive);
}

std::map<std::string, FileRecord> Files(const Catalog& c, uint64_t gen) {
  std::map<std::string, FileRecord> out;
  EXPECT_TRUE(c.ForEachFile(gen, [&](const FileRecord& f) {
                 out[f.file.path] = f;
                 return Status::Ok();
               }).ok());
  return out;
}

// Every record of the fixture, as written.
void ExpectFixtureContents(const Catalog& c) {
  std::vector<Generation> gens = c.ListGenerations();
  ASSERT_EQ(gens.size(), 2u);
  EXPECT_EQ(gens[0].fingerprint, "fp-one");
  EXPECT_EQ(gens[0].state, GenerationState::kActive);
  EXPECT_EQ(gens[0].files_indexed, 2u);
  EXPECT_EQ(gens[0].files_failed, 1u);
  EXPECT_EQ(gens[0].vectors, 3u);
  EXPECT_EQ(gens[1].fingerprint, "fp-two");
  EXPECT_EQ(gens[1].state, GenerationState::kBuilding);
  ASSERT_TRUE(c.ActiveGeneration().has_value());
  EXPECT_EQ(c.ActiveGeneration()->id, gens[0].id);

  std::map<std::string, FileRecord> files = Files(c, gens[0].id);
  ASSERT_EQ(files.size(), 3u);
  const FileRecord& a = files["/lib/a.mp4"];
  EXPECT_EQ(a.status, FileStatus::kIndexed);
  EXPECT_EQ(a.failure, FailureKind::kNone);
  EXPECT_EQ(a.attempts, 2u);
  EXPECT_EQ(a.content_hash, "aa");
  EXPECT_EQ(a.codec, "h264");
  EXPECT_EQ(a.file.mtime_ns, 1700000000123456789);
  EXPECT_EQ(a.vector_ids, (std::vector<uint64_t>{5, 6}));
  const FileRecord& b = files["/lib/b-renamed.mp4"];
  EXPECT_EQ(b.status, FileStatus::kIndexed);
  EXPECT_EQ(b.failure, FailureKind::kNone);
  EXPECT_EQ(b.vector_ids, (std::vector<uint64_t>{3}));
  const FileRecord& bad = files["/lib/bad.mp4"];
  EXPECT_EQ(bad.status, FileStatus::kFailed);
  EXPECT_EQ(bad.error, "cannot open /lib/bad.mp4: Permission denied");
  EXPECT_EQ(bad.failure, FailureKind::kUnknown);  // format 1 did not record the kind
  EXPECT_TRUE(bad.vector_ids.empty());

  auto v = c.GetVector(gens[0].id, 3);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->path, "/lib/b-renamed.mp4");
  EXPECT_EQ(v->vector, (std::vector<float>{3.f, 1.f, 0.5f, -0.25f}));
  auto v6 = c.GetVector(gens[0].id, 6);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->start, 2.0);
  EXPECT_EQ(c.GetVector(gens[0].id, 1).status().code(), StatusCode::kNotFound);
  auto by_hash = c.FilesByContentHash(gens[0].id, "bb");
  ASSERT_TRUE(by_hash.ok());
  ASSERT_EQ(by_hash->size(), 1u);
  EXPECT_EQ((*by_hash)[0].file.path, "/lib/b-renamed.mp4");

  std::vector<std::pair<uint64_t, std::vector<uint64_t>>> dels;
  ASSERT_TRUE(c.ForEachDeletion(gens[0].id, 0, [&](uint64_t seq, const std::vector<uint64_t>& ids) {
                 dels.emplace_back(seq, ids);
                 return Status::Ok();
               }).ok());
  ASSERT_EQ(dels.size(), 2u);
  EXPECT_EQ(dels[0].second, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(dels[1].second, (std::vector<uint64_t>{4}));
  EXPECT_EQ(c.LastDeletionSeq(), 2u);

  std::map<std::string, FileRecord> files2 = Files(c, gens[1].id);
  ASSERT_EQ(files2.size(), 1u);
  EXPECT_EQ(files2["/lib/a.mp4"].vector_ids, (std::vector<uint64_t>{7}));

  // HashCache::Lookup is not const.
  EXPECT_EQ(const_cast<Catalog&>(c).Lookup(FixtureCheckpoint()), std::string(64, 'e'));
}

TEST(CatalogMigrateTest, WritesFixtureOnRequest) {
  if (std::getenv("VIDX_WRITE_FIXTURE") == nullptr) GTEST_SKIP() << "VIDX_WRITE_FIXTURE unset";
  if (catalog_format::kFormatVersion != 1) {
    GTEST_SKIP() << kFixture << " holds format 1: only format-1 code can write it";
  }
  TempDir dir;
  WriteFixture(dir.str());
  if (HasFatalFailure()) return;
  fs::remove_all(kFixture);
  fs::copy(dir.str() + "/catalog", kFixture, fs::copy_options::recursive);
  // Not needed to open it; RocksDB recreates them.
  fs::remove(fs::path(kFixture) / "LOCK");
}

// Names, sizes and modification times of the files under `dir`.
std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> Listing(const std::string& dir) {
  std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    out[e.path().filename().string()] = {e.file_size(), e.last_write_time()};
  }
  return out;
}

// A read-only open reads an old catalog as it is and writes nothing (the copy is made
// read-only; tests may run as root, so the listing is compared as well).
TEST(CatalogMigrateTest, ReadOnlyOpenOfOldCatalogWritesNothing) {
  TempDir dir;
  CopyFixture(dir.str());
  const std::string db = dir.str() + "/catalog";
  for (const auto& e : fs::directory_iterator(db)) {
    fs::permissions(e.path(),
                    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  }
  fs::permissions(db, fs::perms::owner_read | fs::perms::owner_exec);
  const auto before = Listing(db);
  {
    CatalogOptions o;
    o.read_only = true;
    auto c = Catalog::Open(dir.str(), o);
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ((*c)->format_version(), 1);
    ExpectFixtureContents(**c);
  }
  EXPECT_EQ(Listing(db), before);
  fs::permissions(db, fs::perms::owner_all);
}

std::string StoredVersion(const std::string& state_dir) {
  rocksdb::Options options;
  options.info_log = MakeRocksLogger();
  rocksdb::DB* raw = nullptr;
  EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(options, state_dir + "/catalog", &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string v;
  if (db) {
    EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), "meta/format", &v).ok());
  }
  return v;
}

// A writable open migrates: every record reads back, the version key says 2, and the
// migrated catalog reads the same after a reopen.
TEST(CatalogMigrateTest, WritableOpenMigratesVersion1) {
  TempDir dir;
  CopyFixture(dir.str());
  ASSERT_EQ(StoredVersion(dir.str()), "1");
  {
    auto c = Catalog::Open(dir.str());
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ((*c)->format_version(), catalog_format::kFormatVersion);
    ExpectFixtureContents(**c);
  }
  EXPECT_EQ(StoredVersion(dir.str()), std::to_string(catalog_format::kFormatVersion));
  auto again = Catalog::Open(dir.str());
  ASSERT_TRUE(again.ok()) << again.status().message();
  ExpectFixtureContents(**again);
}

// After the migration the catalog takes writes: ids continue above the old ones, and a
// retried failure records its real kind.
TEST(CatalogMigrateTest, MigratedCatalogTakesWrites) {
  TempDir dir;
  CopyFixture(dir.str());
  {
    auto opened = Catalog::Open(dir.str());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    Catalog& c = **opened;
    auto receipt = c.CommitFile("fp-one", MakeFile("/lib/new.mp4", "ee", 1, 2.f));
    ASSERT_TRUE(receipt.ok()) << receipt.status().message();
    EXPECT_EQ(receipt->added_ids, (std::vector<uint64_t>{8}));
    FileResult retried = MakeFailed("/lib/bad.mp4");
    retried.failure = FailureKind::kUndecodable;
    ASSERT_TRUE(c.CommitFile("fp-one", retried).ok());
    FileResult unreadable = MakeFailed("/lib/locked.mp4");
    unreadable.failure = FailureKind::kUnreadable;
    ASSERT_TRUE(c.CommitFile("fp-one", unreadable).ok());
    ASSERT_TRUE(c.RemoveFile("/lib/b-renamed.mp4").ok());
  }
  auto reopened = Catalog::Open(dir.str());
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  Catalog& c = **reopened;
  const uint64_t gen = c.FindGeneration("fp-one")->id;
  std::map<std::string, FileRecord> files = Files(c, gen);
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files["/lib/bad.mp4"].failure, FailureKind::kUndecodable);
  EXPECT_EQ(files["/lib/bad.mp4"].attempts, 2u);
  EXPECT_EQ(files["/lib/locked.mp4"].failure, FailureKind::kUnreadable);
  EXPECT_EQ(files["/lib/new.mp4"].failure, FailureKind::kNone);
  EXPECT_EQ(files["/lib/a.mp4"].vector_ids, (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(files.count("/lib/b-renamed.mp4"), 0u);
  EXPECT_EQ(c.GetVector(gen, 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c.GetVector(gen, 8)->path, "/lib/new.mp4");
  EXPECT_EQ(c.LastDeletionSeq(), 3u);
  EXPECT_EQ(c.GetGeneration(gen)->files_failed, 2u);
}

// A version above what this code knows is refused, writable or read-only, and left alone.
TEST(CatalogMigrateTest, NewerVersionIsStillRefused) {
  TempDir dir;
  CopyFixture(dir.str());
  {
    rocksdb::Options options;
    options.info_log = MakeRocksLogger();
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.str() + "/catalog", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    const std::string newer = std::to_string(catalog_format::kFormatVersion + 1);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "meta/format", newer).ok());
  }
  auto rw = Catalog::Open(dir.str());
  ASSERT_FALSE(rw.ok());
  EXPECT_EQ(rw.status().code(), StatusCode::kFailedPrecondition) << rw.status().message();
  CatalogOptions o;
  o.read_only = true;
  auto ro = Catalog::Open(dir.str(), o);
  ASSERT_FALSE(ro.ok());
  EXPECT_EQ(ro.status().code(), StatusCode::kFailedPrecondition) << ro.status().message();
  EXPECT_EQ(StoredVersion(dir.str()), std::to_string(catalog_format::kFormatVersion + 1));
}

}  // namespace
}  // namespace vidx
