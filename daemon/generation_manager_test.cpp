// GenerationManager with the bundled demo model (models/demo) over a real catalog: building,
// activating and abandoning generations, the rebuild of the active index, the routing of
// rename/removal receipts to both live indexes, and that searches are answered while each
// slow step of a flip or a rebuild is in progress.
#include "daemon/generation_manager.h"

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "search/index_loader.h"
#include "tests/temp_dir.h"

namespace vidx {
namespace {

Query RedQuery() {
  Query q;
  q.text = "red";
  q.k = 3;
  return q;
}

namespace fs = std::filesystem;

std::shared_ptr<const LoadedModel> LoadDemo(double fps) {
  Config c;
  c.model.path = "models/demo";
  c.model.threads = 1;
  c.sampling.fps = fps;
  StatusOr<std::shared_ptr<const LoadedModel>> m = LoadModelForConfig(c, nullptr);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : nullptr;
}

// What a search answered from inside a step hook.
struct Probe {
  bool answered = false;  // within the deadlock guard below
  Status status;
  std::string fingerprint;
  std::vector<std::string> paths;
};

class GenerationManagerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_a_ = new std::shared_ptr<const LoadedModel>(LoadDemo(0.5));
    model_b_ = new std::shared_ptr<const LoadedModel>(LoadDemo(1.0));  // another fingerprint
  }
  static void TearDownTestSuite() {
    delete model_a_;
    delete model_b_;
  }

  void SetUp() override {
    ASSERT_TRUE(*model_a_ && *model_b_);
    ASSERT_NE((*model_a_)->fingerprint(), (*model_b_)->fingerprint());
    StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(tmp_.str());
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = std::move(*c);
    manager_ = std::make_unique<GenerationManager>(catalog_.get(), &search_, tmp_.str());
    fs::create_directories(Lib());
  }

  std::string Lib() const { return (tmp_.path() / "lib").string(); }
  static const std::shared_ptr<const LoadedModel>& A() { return *model_a_; }
  static const std::shared_ptr<const LoadedModel>& B() { return *model_b_; }

  // Commits `path` with `segments` unit vectors into `into` (the model's dimension).
  void Commit(IndexService* into, const LoadedModel& model, const std::string& path, int segments) {
    const size_t dim = static_cast<size_t>(model.embedder().dim());
    FileResult r;
    r.file.path = path;
    r.file.size = 1000;
    r.file.mtime_ns = 42;
    r.file.inode = static_cast<uint64_t>(std::hash<std::string>()(path) & 0xffff);
    r.file.device = 1;
    r.content_hash = "hash-" + fs::path(path).filename().string();
    r.duration = 2.0 * segments;
    r.codec = "h264";
    for (int i = 0; i < segments; ++i) {
      Segment s;
      s.start = 2.0 * i;
      s.end = s.start + 2;
      s.vector.assign(dim, 0.f);
      s.vector[static_cast<size_t>(i) % dim] = 1.f;
      r.segments.push_back(std::move(s));
    }
    Status s = into->Commit(model.fingerprint(), r);
    ASSERT_TRUE(s.ok()) << s.message();
  }

  // Opens generation A (building, then active) holding `path`.
  void ActivateA(const std::string& path) {
    std::string note;
    ASSERT_TRUE(manager_->Open(A(), "Flat", &note).ok());
    ASSERT_NE(manager_->building(), nullptr);
    Commit(manager_->building(), *A(), path, 2);
    Status s = manager_->Activate();
    ASSERT_TRUE(s.ok()) << s.message();
  }

  // Runs a search on another thread and waits for it. A search that cannot finish while the
  // caller is inside a step (the step holds the search lock) is reported unanswered after the
  // guard; its future is kept so that it completes after the step instead of deadlocking.
  Probe SearchFromAnotherThread(int guard_seconds = 60) {
    pending_.push_back(std::async(std::launch::async, [this] {
      Query q;
      q.text = "a red square";
      q.k = 5;
      return search_.Search(q);
    }));
    Probe p;
    std::future<StatusOr<SearchResponse>>& f = pending_.back();
    if (f.wait_for(std::chrono::seconds(guard_seconds)) != std::future_status::ready) return p;
    p.answered = true;
    StatusOr<SearchResponse> r = f.get();
    p.status = r.status();
    if (r.ok()) {
      p.fingerprint = r->fingerprint;
      for (const FileHit& h : r->results) p.paths.push_back(h.path);
    }
    return p;
  }

  static std::shared_ptr<const LoadedModel>* model_a_;
  static std::shared_ptr<const LoadedModel>* model_b_;
  vidx::testing::TempDir tmp_{"vidx_generations"};
  std::unique_ptr<Catalog> catalog_;
  SearchService search_;
  std::vector<std::future<StatusOr<SearchResponse>>> pending_;
  std::unique_ptr<GenerationManager> manager_;
};

std::shared_ptr<const LoadedModel>* GenerationManagerTest::model_a_ = nullptr;
std::shared_ptr<const LoadedModel>* GenerationManagerTest::model_b_ = nullptr;

TEST_F(GenerationManagerTest, NothingIndexedStartsABuildAndServesNothing) {
  std::string note;
  ASSERT_TRUE(manager_->Open(A(), "Flat", &note).ok());
  EXPECT_NE(note, "");
  ASSERT_NE(manager_->building(), nullptr);
  EXPECT_EQ(manager_->active(), nullptr);
  EXPECT_EQ(manager_->target(), manager_->building());
  StatusOr<SearchResponse> r = search_.Search(RedQuery());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), note);
}

TEST_F(GenerationManagerTest, ActivateServesTheBuiltGenerationAndReopensIt) {
  const std::string path = Lib() + "/a.mp4";
  ActivateA(path);
  ASSERT_NE(manager_->active(), nullptr);
  EXPECT_EQ(manager_->building(), nullptr);
  const uint64_t id = manager_->active()->generation().id;
  EXPECT_EQ(catalog_->ActiveGeneration()->id, id);
  EXPECT_TRUE(fs::exists(SnapshotDir(tmp_.str(), id)));
  ASSERT_EQ(search_.generation()->id, id);
  StatusOr<SearchResponse> r = search_.Search(RedQuery());
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->results.size(), 1u);
  EXPECT_EQ(r->results[0].path, path);

  // A second manager (the next start) opens the active generation from its snapshot.
  SearchService other;
  GenerationManager again(catalog_.get(), &other, tmp_.str());
  std::string note = "not cleared";
  ASSERT_TRUE(again.Open(A(), "Flat", &note).ok());
  EXPECT_EQ(note, "");
  ASSERT_NE(again.active(), nullptr);
  EXPECT_FALSE(again.active()->rebuilt_at_open());
  EXPECT_EQ(again.active()->index().size(), 2u);
}

// The probe itself: a step run inside SearchService::Replace (where the flip's snapshot and
// deletion used to run) holds every search back, and the probe reports it unanswered.
TEST_F(GenerationManagerTest, ProbeReportsASearchHeldBackByTheSearchLock) {
  ActivateA(Lib() + "/a.mp4");
  Probe inside;
  search_.Replace([&](std::string*) -> std::optional<Serving> {
    inside = SearchFromAnotherThread(/*guard_seconds=*/2);
    return Serving{A(), catalog_.get(), manager_->active()->generation(),
                   &manager_->active()->index()};
  });
  EXPECT_FALSE(inside.answered);
  ASSERT_EQ(pending_.size(), 1u);
  EXPECT_TRUE(pending_.back().get().ok());  // answered once Replace() returned
}

TEST_F(GenerationManagerTest, SearchesAreAnsweredDuringTheFlipsSlowSteps) {
  const std::string a = Lib() + "/a.mp4", b = Lib() + "/b.mp4";
  ActivateA(a);
  const uint64_t old_id = manager_->active()->generation().id;
  ASSERT_TRUE(manager_->StartBuilding(B(), "Flat").ok());
  Commit(manager_->building(), *B(), b, 3);
  const uint64_t new_id = manager_->building()->generation().id;

  std::map<GenerationStep, Probe> probes;
  manager_->set_step_hook([&](GenerationStep step) { probes[step] = SearchFromAnotherThread(); });
  Status s = manager_->Activate();
  ASSERT_TRUE(s.ok()) << s.message();

  // While the new generation's snapshot is written, the old one answers.
  ASSERT_EQ(probes.count(GenerationStep::kSnapshotBuilding), 1u);
  const Probe& during_snapshot = probes[GenerationStep::kSnapshotBuilding];
  ASSERT_TRUE(during_snapshot.answered) << "a search waited for the snapshot";
  ASSERT_TRUE(during_snapshot.status.ok()) << during_snapshot.status.message();
  EXPECT_EQ(during_snapshot.fingerprint, A()->fingerprint());
  EXPECT_EQ(during_snapshot.paths, std::vector<std::string>{a});
  // While the old generation is deleted, the new one answers.
  ASSERT_EQ(probes.count(GenerationStep::kDeleteRetired), 1u);
  const Probe& during_delete = probes[GenerationStep::kDeleteRetired];
  ASSERT_TRUE(during_delete.answered) << "a search waited for the old generation's deletion";
  ASSERT_TRUE(during_delete.status.ok()) << during_delete.status.message();
  EXPECT_EQ(during_delete.fingerprint, B()->fingerprint());
  EXPECT_EQ(during_delete.paths, std::vector<std::string>{b});

  // The old generation is gone with its snapshot; the new one is active and served.
  EXPECT_EQ(catalog_->GetGeneration(old_id).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(SnapshotDir(tmp_.str(), old_id)));
  EXPECT_EQ(catalog_->ActiveGeneration()->id, new_id);
  EXPECT_EQ(search_.generation()->id, new_id);
  EXPECT_EQ(manager_->active_model()->fingerprint(), B()->fingerprint());
}

TEST_F(GenerationManagerTest, SearchesAreAnsweredDuringARebuild) {
  const std::string a = Lib() + "/a.mp4";
  ActivateA(a);
  const IndexService* before = manager_->active();
  const uint64_t id = before->generation().id;
  Probe during;
  bool called = false;
  manager_->set_step_hook([&](GenerationStep step) {
    if (step != GenerationStep::kRebuildActive) return;
    called = true;
    // The snapshot is already gone: what is rebuilt comes from the catalog.
    EXPECT_FALSE(fs::exists(SnapshotDir(tmp_.str(), id)));
    during = SearchFromAnotherThread();
  });
  Status s = manager_->RebuildActive("Flat", /*discard_snapshot=*/true);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(called);
  ASSERT_TRUE(during.answered) << "a search waited for the rebuild";
  ASSERT_TRUE(during.status.ok()) << during.status.message();
  EXPECT_EQ(during.paths, std::vector<std::string>{a});
  ASSERT_NE(manager_->active(), nullptr);
  EXPECT_TRUE(manager_->active()->rebuilt_at_open());
  EXPECT_EQ(manager_->active()->index().size(), 2u);
  StatusOr<SearchResponse> r = search_.Search(RedQuery());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->results.size(), 1u);
}

TEST_F(GenerationManagerTest, RemovalsReachBothLiveIndexes) {
  const std::string gone = Lib() + "/gone.mp4";  // never on disk: vanished
  ActivateA(gone);
  ASSERT_TRUE(manager_->StartBuilding(B(), "Flat").ok());
  Commit(manager_->building(), *B(), gone, 3);
  ASSERT_EQ(manager_->active()->index().size(), 2u);
  ASSERT_EQ(manager_->building()->index().size(), 3u);
  int64_t removed = 0;
  Status s = manager_->RemoveVanished({Lib()}, &removed);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(manager_->active()->index().size(), 0u);
  EXPECT_EQ(manager_->building()->index().size(), 0u);
}

TEST_F(GenerationManagerTest, RenamesOntoAKnownPathReachBothLiveIndexes) {
  const std::string x = Lib() + "/x.mp4", y = Lib() + "/y.mp4";
  ActivateA(x);
  Commit(manager_->active(), *A(), y, 1);
  ASSERT_TRUE(manager_->StartBuilding(B(), "Flat").ok());
  Commit(manager_->building(), *B(), x, 2);
  Commit(manager_->building(), *B(), y, 1);
  ASSERT_EQ(manager_->active()->index().size(), 3u);
  ASSERT_EQ(manager_->building()->index().size(), 3u);
  // x replaces y in both generations: y's vectors leave both indexes.
  FileIdentity renamed;
  renamed.path = y;
  renamed.size = 1000;
  renamed.mtime_ns = 43;
  renamed.inode = 9;
  renamed.device = 1;
  Status s = manager_->Rename(x, renamed);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(manager_->active()->index().size(), 2u);
  EXPECT_EQ(manager_->building()->index().size(), 2u);
  StatusOr<std::optional<KnownFile>> k = manager_->Find(y);  // the target: building
  ASSERT_TRUE(k.ok());
  ASSERT_TRUE(k->has_value());
  EXPECT_EQ((*k)->file.inode, 9u);
}

TEST_F(GenerationManagerTest, AbandonedBuildIsDeletedWithItsSnapshot) {
  ActivateA(Lib() + "/a.mp4");
  ASSERT_TRUE(manager_->StartBuilding(B(), "Flat").ok());
  Commit(manager_->building(), *B(), Lib() + "/b.mp4", 1);
  const uint64_t id = manager_->building()->generation().id;
  ASSERT_TRUE(manager_->Snapshot().ok());
  ASSERT_TRUE(fs::exists(SnapshotDir(tmp_.str(), id)));
  ASSERT_TRUE(manager_->AbandonBuilding().ok());
  EXPECT_EQ(manager_->building(), nullptr);
  EXPECT_EQ(catalog_->GetGeneration(id).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(SnapshotDir(tmp_.str(), id)));
  EXPECT_EQ(manager_->target(), manager_->active());
}

TEST_F(GenerationManagerTest, OpenDeletesAbandonedBuildsOfOtherFingerprints) {
  ActivateA(Lib() + "/a.mp4");
  ASSERT_TRUE(manager_->StartBuilding(B(), "Flat").ok());
  const uint64_t id = manager_->building()->generation().id;
  manager_.reset();  // a stop mid-reindex, then a start with model A again
  GenerationManager again(catalog_.get(), &search_, tmp_.str());
  std::string note;
  ASSERT_TRUE(again.Open(A(), "Flat", &note).ok());
  EXPECT_EQ(again.building(), nullptr);
  EXPECT_EQ(catalog_->GetGeneration(id).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vidx
