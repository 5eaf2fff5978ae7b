#include "search/catalog.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include <gtest/gtest.h>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include "search/catalog_format.h"
#include "tests/temp_dir.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kDim = 4;

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("vidx_catalog") {}
};

FileResult MakeFile(const std::string& path, const std::string& hash, int segments,
                    float seed = 0.f) {
  FileResult r;
  r.file.path = path;
  r.file.size = 1000;
  r.file.mtime_ns = 42;
  r.file.inode = 7;
  r.file.device = 1;
  r.content_hash = hash;
  r.duration = 2.0 * segments;
  r.codec = "h264";
  for (int i = 0; i < segments; ++i) {
    Segment s;
    s.start = 2.0 * i;
    s.end = 2.0 * i + 2;
    s.vector = {seed + i, 1.f, 2.f, 3.f};
    r.segments.push_back(s);
  }
  return r;
}

std::unique_ptr<Catalog> OpenOk(const std::string& dir, const CatalogOptions& o = {}) {
  auto c = Catalog::Open(dir, o);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : nullptr;
}

std::vector<std::pair<uint64_t, std::vector<uint64_t>>> Deletions(const Catalog& c, uint64_t gen,
                                                                  uint64_t after) {
  std::vector<std::pair<uint64_t, std::vector<uint64_t>>> out;
  EXPECT_TRUE(c.ForEachDeletion(gen, after, [&](uint64_t seq, const std::vector<uint64_t>& ids) {
                 out.emplace_back(seq, ids);
                 return Status::Ok();
               }).ok());
  return out;
}

TEST(CatalogTest, FormatVersionIsStampedAndNewerVersionsAreRefused) {
  TempDir dir;
  { ASSERT_NE(OpenOk(dir.str()), nullptr); }
  std::string db_path = dir.str() + "/catalog";
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), db_path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string v;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "meta/format", &v).ok());
    EXPECT_EQ(v, "2");
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "meta/format", "3").ok());
  }
  auto refused = Catalog::Open(dir.str());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(db_path), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("version 3"), std::string::npos);
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), db_path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "meta/format", "one").ok());
  }
  auto garbled = Catalog::Open(dir.str());
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.status().code(), StatusCode::kCorruption);
}

TEST(CatalogTest, CommitStoresFileAndVectorsAndReplacesOnRecommit) {
  TempDir dir;
  auto c = OpenOk(dir.str());
  auto gen = c->CreateGeneration("fpA", kDim);
  ASSERT_TRUE(gen.ok());
  auto first = c->CommitFile("fpA", MakeFile("/m/a.mp4", "hashA", 3));
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->added_ids, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(first->removed_ids.empty());
  auto rec = c->GetFile(gen->id, "/m/a.mp4");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->status, FileStatus::kIndexed);
  EXPECT_EQ(rec->content_hash, "hashA");
  EXPECT_EQ(rec->codec, "h264");
  EXPECT_EQ(rec->file.inode, 7u);
  EXPECT_EQ(rec->attempts, 1u);
  EXPECT_EQ(rec->vector_ids, first->added_ids);
  auto v2 = c->GetVector(gen->id, 2);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->path, "/m/a.mp4");
  EXPECT_DOUBLE_EQ(v2->start, 2.0);
  EXPECT_DOUBLE_EQ(v2->end, 4.0);
  EXPECT_EQ(v2->vector, (std::vector<float>{1.f, 1.f, 2.f, 3.f}));

  // Re-committing the path replaces its vectors and logs the old ids as deleted.
  auto second = c->CommitFile("fpA", MakeFile("/m/a.mp4", "hashA2", 2, 10.f));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->added_ids, (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(second->removed_ids, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_GT(second->deletion_seq, 0u);
  EXPECT_EQ(c->GetVector(gen->id, 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c->GetFile(gen->id, "/m/a.mp4")->attempts, 2u);
  EXPECT_TRUE(c->FilesByContentHash(gen->id, "hashA")->empty());
  EXPECT_EQ(c->FilesByContentHash(gen->id, "hashA2")->size(), 1u);
  auto dels = Deletions(*c, gen->id, 0);
  ASSERT_EQ(dels.size(), 1u);
  EXPECT_EQ(dels[0].second, (std::vector<uint64_t>{1, 2, 3}));
  auto g = c->GetGeneration(gen->id);
  EXPECT_EQ(g->files_indexed, 1u);
  EXPECT_EQ(g->vectors, 2u);

  // A failure replaces the record too, and counts as failed.
  FileResult failed = MakeFile("/m/a.mp4", "hashA2", 0);
  failed.outcome = FileOutcome::kFailed;
  failed.error = "cannot decode";
  ASSERT_TRUE(c->CommitFile("fpA", failed).status().ok());
  g = c->GetGeneration(gen->id);
  EXPECT_EQ(g->files_indexed, 0u);
  EXPECT_EQ(g->files_failed, 1u);
  EXPECT_EQ(g->vectors, 0u);
  EXPECT_EQ(c->GetFile(gen->id, "/m/a.mp4")->error, "cannot decode");

  // Ids are never reused, also after reopening.
  c.reset();
  c = OpenOk(dir.str());
  auto third = c->CommitFile("fpA", MakeFile("/m/b.mp4", "hashB", 1));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->added_ids, (std::vector<uint64_t>{6}));
  EXPECT_EQ(c->GetGeneration(gen->id)->vectors, 1u);
}

TEST(CatalogTest, InvalidVectorsWriteNothing) {
  TempDir dir;
  auto c = OpenOk(dir.str());
  auto gen = c->CreateGeneration("fpA", kDim);
  ASSERT_TRUE(gen.ok());
  FileResult bad = MakeFile("/m/a.mp4", "h", 3);
  bad.segments[2].vector.pop_back();
  EXPECT_EQ(c->CommitFile("fpA", bad).status().code(), StatusCode::kInvalidArgument);
  bad = MakeFile("/m/a.mp4", "h", 3);
  bad.segments[1].vector[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(c->CommitFile("fpA", bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c->CommitFile("fpUnknown", MakeFile("/m/a.mp4", "h", 1)).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(c->GetFile(gen->id, "/m/a.mp4").status().code(), StatusCode::kNotFound);
  size_t vectors = 0;
  ASSERT_TRUE(c->ForEachVector(gen->id, 0, [&](const VectorRecord&) {
                 ++vectors;
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(vectors, 0u);
}

// A file system whose WAL appends fail while `fail` is set: a commit then fails inside
// RocksDB, after the catalog built its batch.
class FailingWalFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FailingWalFs(std::atomic<bool>* fail)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), fail_(fail) {}
  const char* Name() const override { return "FailingWalFs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(f, o, r, dbg);
    if (s.ok() && f.size() > 4 && f.compare(f.size() - 4, 4, ".log") == 0) {
      *r = std::make_unique<File>(std::move(*r), fail_);
    }
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile>&& t, std::atomic<bool>* fail)
        : FSWritableFileOwnerWrapper(std::move(t)), fail_(fail) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (*fail_) return rocksdb::IOStatus::IOError("injected WAL failure");
      return FSWritableFileOwnerWrapper::Append(d, o, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (*fail_) return rocksdb::IOStatus::IOError("injected WAL failure");
      return FSWritableFileOwnerWrapper::Append(d, o, info, dbg);
    }

   private:
    std::atomic<bool>* fail_;
  };
  std::atomic<bool>* fail_;
};

TEST(CatalogTest, FailedWriteLeavesNothingBehind) {
  TempDir dir;
  std::atomic<bool> fail{false};
  std::unique_ptr<rocksdb::Env> env =
      rocksdb::NewCompositeEnv(std::make_shared<FailingWalFs>(&fail));
  uint64_t gen_id = 0;
  {
    CatalogOptions o;
    o.env = env.get();
    auto c = OpenOk(dir.str(), o);
    auto gen = c->CreateGeneration("fpA", kDim);
    ASSERT_TRUE(gen.ok());
    gen_id = gen->id;
    ASSERT_TRUE(c->CommitFile("fpA", MakeFile("/m/a.mp4", "hashA", 2)).status().ok());
    fail = true;
    bool hook_called = false;
    // Replacing a.mp4 would delete 2 vectors, add 3 and log a deletion: all or nothing.
    auto r = c->CommitFile("fpA", MakeFile("/m/a.mp4", "hashA2", 3),
                           [&](const CommitReceipt&) { hook_called = true; });
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kIoError);
    EXPECT_FALSE(hook_called);
    fail = false;
  }
  auto c = OpenOk(dir.str());
  auto rec = c->GetFile(gen_id, "/m/a.mp4");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->content_hash, "hashA");
  EXPECT_EQ(rec->vector_ids, (std::vector<uint64_t>{1, 2}));
  std::vector<uint64_t> ids;
  ASSERT_TRUE(c->ForEachVector(gen_id, 0, [&](const VectorRecord& v) {
                 ids.push_back(v.id);
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(Deletions(*c, gen_id, 0).empty());
  EXPECT_EQ(c->GetGeneration(gen_id)->vectors, 2u);
  EXPECT_EQ(c->LastDeletionSeq(), 0u);
}

TEST(CatalogTest, RenameKeepsVectorIdsAndVectors) {
  TempDir dir;
  auto c = OpenOk(dir.str());
  auto gen = c->CreateGeneration("fpA", kDim);
  ASSERT_TRUE(gen.ok());
  ASSERT_TRUE(c->CommitFile("fpA", MakeFile("/m/a.mp4", "hashA", 2, 5.f)).status().ok());
  ASSERT_TRUE(c->CommitFile("fpA", MakeFile("/m/dest.mp4", "hashD", 1)).status().ok());  // id 3
  auto found = c->FilesByContentHash(gen->id, "hashA");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].file.path, "/m/a.mp4");

  FileIdentity moved = (*found)[0].file;
  moved.path = "/m/dest.mp4";  // moved over an indexed file
  moved.inode = 99;
  auto receipts = c->RenameFile("/m/a.mp4", moved);
  ASSERT_TRUE(receipts.ok()) << receipts.status().message();
  ASSERT_EQ(receipts->size(), 1u);
  EXPECT_TRUE((*receipts)[0].added_ids.empty());
  EXPECT_EQ((*receipts)[0].removed_ids, (std::vector<uint64_t>{3}));

  EXPECT_EQ(c->GetFile(gen->id, "/m/a.mp4").status().code(), StatusCode::kNotFound);
  auto rec = c->GetFile(gen->id, "/m/dest.mp4");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->vector_ids, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(rec->content_hash, "hashA");
  EXPECT_EQ(rec->file.inode, 99u);
  auto v = c->GetVector(gen->id, 2);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->path, "/m/dest.mp4");
  EXPECT_EQ(v->vector, (std::vector<float>{6.f, 1.f, 2.f, 3.f}));
  EXPECT_EQ(c->GetVector(gen->id, 3).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(c->FilesByContentHash(gen->id, "hashD")->empty());
  EXPECT_EQ(c->FilesByContentHash(gen->id, "hashA")->at(0).file.path, "/m/dest.mp4");
  auto g = c->GetGeneration(gen->id);
  EXPECT_EQ(g->files_indexed, 1u);
  EXPECT_EQ(g->vectors, 2u);
  EXPECT_EQ(c->RenameFile("/m/nowhere.mp4", moved).status().code(), StatusCode::kNotFound);
}

TEST(CatalogTest, RemovalsAreLoggedAndTrimmable) {
  TempDir dir;
  auto c = OpenOk(dir.str());
  auto gen = c->CreateGeneration("fpA", kDim);
  ASSERT_TRUE(gen.ok());
  ASSERT_TRUE(c->CommitFile("fpA", MakeFile("/m/a.mp4", "a", 2)).status().ok());  // 1, 2
  ASSERT_TRUE(c->CommitFile("fpA", MakeFile("/m/b.mp4", "b", 1)).status().ok());  // 3
  auto r1 = c->RemoveFile("/m/a.mp4");
  ASSERT_TRUE(r1.ok());
  ASSERT_EQ(r1->size(), 1u);
  const uint64_t seq_a = (*r1)[0].deletion_seq;
  auto r2 = c->RemoveFile("/m/b.mp4");
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(c->RemoveFile("/m/b.mp4")->empty());  // already gone
  auto all = Deletions(*c, gen->id, 0);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].second, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(all[1].second, (std::vector<uint64_t>{3}));
  EXPECT_EQ(Deletions(*c, gen->id, seq_a).size(), 1u);
  EXPECT_EQ(c->LastDeletionSeq(), (*r2)[0].deletion_seq);
  ASSERT_TRUE(c->TrimDeletionLog(gen->id, seq_a).ok());
  all = Deletions(*c, gen->id, 0);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].second, (std::vector<uint64_t>{3}));
  auto g = c->GetGeneration(gen->id);
  EXPECT_EQ(g->files_indexed, 0u);
  EXPECT_EQ(g->vectors, 0u);
}

TEST(CatalogTest, GenerationsFlipAndDelete) {
  TempDir dir;
  uint64_t a = 0, b = 0;
  {
    auto c = OpenOk(dir.str());
    EXPECT_FALSE(c->ActiveGeneration().has_value());
    auto ga = c->CreateGeneration("fpA", kDim);
    ASSERT_TRUE(ga.ok());
    a = ga->id;
    EXPECT_EQ(c->CreateGeneration("fpA", kDim).status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(c->CreateGeneration("fpZ", 0).status().code(), StatusCode::kInvalidArgument);
    ASSERT_TRUE(c->SetActive(a).ok());
    ASSERT_TRUE(c->CommitFile("fpA", MakeFile("/m/a.mp4", "a", 2)).status().ok());
    auto gb = c->CreateGeneration("fpB", 8);
    ASSERT_TRUE(gb.ok());
    b = gb->id;
    EXPECT_EQ(gb->state, GenerationState::kBuilding);
    EXPECT_EQ(c->FindGeneration("fpB")->id, b);
    EXPECT_EQ(c->ActiveGeneration()->id, a);
    ASSERT_TRUE(c->SetActive(b).ok());
  }
  auto c = OpenOk(dir.str());
  ASSERT_TRUE(c->ActiveGeneration().has_value());
  EXPECT_EQ(c->ActiveGeneration()->id, b);
  EXPECT_EQ(c->GetGeneration(a)->state, GenerationState::kRetired);
  EXPECT_EQ(c->GetGeneration(b)->state, GenerationState::kActive);
  EXPECT_EQ(c->GetGeneration(b)->dimension, 8u);
  // A retired generation takes no writes and cannot come back.
  EXPECT_EQ(c->CommitFile("fpA", MakeFile("/m/x.mp4", "x", 1)).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(c->SetActive(a).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(c->DeleteGeneration(b).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(c->DeleteGeneration(a).ok());
  EXPECT_EQ(c->GetGeneration(a).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c->GetFile(a, "/m/a.mp4").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c->GetVector(a, 1).status().code(), StatusCode::kNotFound);
  ASSERT_EQ(c->ListGenerations().size(), 1u);
  // Compaction reclaims the space only: the other generation keeps everything.
  FileResult kept = MakeFile("/m/b.mp4", "b", 1);
  kept.segments[0].vector.assign(8, 0.125f);
  ASSERT_TRUE(c->CommitFile("fpB", kept).ok());
  ASSERT_TRUE(c->CompactGeneration(a).ok());
  EXPECT_TRUE(c->GetFile(b, "/m/b.mp4").ok());
  EXPECT_EQ(c->GetGeneration(b)->vectors, 1u);
  EXPECT_EQ(c->GetGeneration(a).status().code(), StatusCode::kNotFound);
  // The fingerprint of a deleted generation may start again, under a new id.
  auto again = c->CreateGeneration("fpA", kDim);
  ASSERT_TRUE(again.ok());
  EXPECT_GT(again->id, b);
}

TEST(CatalogTest, SecondOpenerFallsBackToReadOnly) {
  TempDir dir;
  auto c = OpenOk(dir.str());
  ASSERT_TRUE(c->CreateGeneration("fpA", kDim).ok());
  auto locked = Catalog::Open(dir.str());
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.status().code(), StatusCode::kBusy) << locked.status().message();
  CatalogOptions o;
  o.read_only_if_locked = true;
  auto ro = OpenOk(dir.str(), o);
  ASSERT_NE(ro, nullptr);
  EXPECT_TRUE(ro->read_only());
  EXPECT_EQ(ro->FindGeneration("fpA")->dimension, kDim);
  EXPECT_EQ(ro->CommitFile("fpA", MakeFile("/m/a.mp4", "a", 1)).status().code(),
            StatusCode::kFailedPrecondition);
}

// Another process's lock on catalog/LOCK (what RocksDB takes, with fcntl) is recognised
// without reading RocksDB's message: kBusy, or read-only when the fallback is asked for.
TEST(CatalogTest, LockOfAnotherProcessIsBusyOrReadOnly) {
  TempDir dir;
  { ASSERT_NE(OpenOk(dir.str()), nullptr); }
  const std::string lock_file = dir.str() + "/catalog/LOCK";
  int ready[2], done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(done[1]);
    ::close(ready[0]);
    const int fd = ::open(lock_file.c_str(), O_RDWR);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const char ok = (fd >= 0 && ::fcntl(fd, F_SETLK, &fl) == 0) ? 'y' : 'n';
    (void)!::write(ready[1], &ok, 1);
    char c;
    (void)!::read(done[0], &c, 1);  // until the parent closes its end
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(done[0]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  EXPECT_EQ(ok, 'y');
  {
    auto busy = Catalog::Open(dir.str());
    ASSERT_FALSE(busy.ok());
    EXPECT_EQ(busy.status().code(), StatusCode::kBusy) << busy.status().message();
    CatalogOptions o;
    o.read_only_if_locked = true;
    auto ro = OpenOk(dir.str(), o);
    ASSERT_NE(ro, nullptr);
    EXPECT_TRUE(ro->read_only());
  }
  ::close(done[1]);
  ::close(ready[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  auto free_again = OpenOk(dir.str());
  ASSERT_NE(free_again, nullptr);
  EXPECT_FALSE(free_again->read_only());
}

// Overwrites the value of `key` in the (closed) catalog under `dir`.
void PutRaw(const std::string& dir, const std::string& key, const std::string& value) {
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir + "/catalog", &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
}

TEST(CatalogTest, GetVectorsTellsRemovedFromBroken) {
  TempDir dir;
  uint64_t gen = 0;
  {
    auto c = OpenOk(dir.str());
    gen = c->CreateGeneration("fpA", kDim)->id;
    ASSERT_TRUE(c->CommitFile("fpA", MakeFile("/m/a.mp4", "a", 2)).ok());       // 1, 2
    ASSERT_TRUE(c->CommitFile("fpA", MakeFile("/m/b.mp4", "b", 1, 9.f)).ok());  // 3
    ASSERT_TRUE(c->RemoveFile("/m/a.mp4").ok());
    auto got = c->GetVectors(gen, {3, 1, 2, 99});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ(got->size(), 4u);
    ASSERT_TRUE((*got)[0].has_value());
    EXPECT_EQ((*got)[0]->id, 3u);
    EXPECT_EQ((*got)[0]->path, "/m/b.mp4");
    EXPECT_EQ((*got)[0]->vector, (std::vector<float>{9.f, 1.f, 2.f, 3.f}));
    EXPECT_FALSE((*got)[1].has_value());
    EXPECT_FALSE((*got)[2].has_value());
    EXPECT_FALSE((*got)[3].has_value());
    auto none = c->GetVectors(gen, {});
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
  }
  PutRaw(dir.str(), catalog_format::VectorKey(gen, 3), "garbage");
  auto c = OpenOk(dir.str());
  auto broken = c->GetVectors(gen, {1, 3});
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kCorruption) << broken.status().message();
}

TEST(CatalogTest, HashCacheSharesTheDatabase) {
  TempDir dir;
  auto c = OpenOk(dir.str());
  FileIdentity id{"/models/w.safetensors", 10, 20, 30, 40};
  const std::string sha(64, 'e');
  EXPECT_FALSE(c->Lookup(id).has_value());
  ASSERT_TRUE(c->Store(id, sha).ok());
  EXPECT_EQ(c->Lookup(id), sha);
  id.size += 1;
  EXPECT_FALSE(c->Lookup(id).has_value());
}

}  // namespace
}  // namespace vidx
