// Scheduler with a fake clock: settling, fresh before background, removals, rescans, back-off,
// snapshots and when a building generation may be activated.
#include "daemon/scheduler.h"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/temp_dir.h"

namespace vidx {
namespace {

using Paths = std::vector<std::string>;

SchedulerOptions Options() {
  SchedulerOptions o;
  o.settle_seconds = 5;
  o.rescan_interval = 100;
  o.snapshot_interval = 60;
  o.max_backoff = 8;
  return o;
}

bool AdmitAll(const std::string&) { return true; }

class SchedulerTest : public ::testing::Test {
 protected:
  std::string File(const std::string& name) {
    const std::string p = (tmp_.path() / name).string();
    std::ofstream(p) << "video";
    return p;
  }
  // Lists nothing at `now` (the first scan is due at construction).
  void EmptyScan(Scheduler* s, double now) {
    ASSERT_TRUE(s->ScanDue(now));
    s->ScanListed({}, now);
    s->CleanupDone();
  }

  vidx::testing::TempDir tmp_{"vidx_scheduler"};
};

TEST_F(SchedulerTest, FirstScanIsDueAtOnceThenEveryRescanInterval) {
  Scheduler s(Options(), 1000);
  EXPECT_TRUE(s.ScanDue(1000));
  EXPECT_DOUBLE_EQ(s.WaitSeconds(1000), 0);
  s.ScanListed({"/lib/a.mp4"}, 1000);
  EXPECT_FALSE(s.ScanDue(1000));
  EXPECT_TRUE(s.CleanupPending());
  EXPECT_FALSE(s.ScanDue(1099.9));
  EXPECT_TRUE(s.ScanDue(1100));
}

TEST_F(SchedulerTest, OverflowRequestsAScan) {
  Scheduler s(Options(), 0);
  EmptyScan(&s, 0);
  EXPECT_FALSE(s.ScanDue(1));
  EXPECT_FALSE(s.HasWork(1));
  s.RequestScan();
  EXPECT_TRUE(s.ScanDue(1));
  EXPECT_DOUBLE_EQ(s.WaitSeconds(1), 0);
}

TEST_F(SchedulerTest, ChangedFileSettlesBeforeItIsFresh) {
  Scheduler s(Options(), 0);
  EmptyScan(&s, 0);
  const std::string f = File("a.mp4");
  s.FileChanged(f, 10);
  EXPECT_EQ(s.queued(), 1u);
  EXPECT_DOUBLE_EQ(s.WaitSeconds(10), 1);  // capped at 1 s; the deadline is at 15
  EXPECT_DOUBLE_EQ(s.WaitSeconds(14.5), 0.5);
  s.PromoteSettled(14.9, AdmitAll);
  EXPECT_TRUE(s.NextChunk(8).files.empty());
  s.FileChanged(f, 14.9);  // another event restarts the timer
  s.PromoteSettled(15, AdmitAll);
  EXPECT_TRUE(s.NextChunk(8).files.empty());
  s.PromoteSettled(19.9, AdmitAll);
  const Chunk c = s.NextChunk(8);
  EXPECT_EQ(c.files, Paths{f});
  EXPECT_FALSE(c.background);
  EXPECT_EQ(s.queued(), 0u);
}

TEST_F(SchedulerTest, AdmitFilterDropsSettledFiles) {
  Scheduler s(Options(), 0);
  EmptyScan(&s, 0);
  const std::string keep = File("keep.mp4"), drop = File("drop.mp4");
  s.FileChanged(keep, 0);
  s.FileChanged(drop, 0);
  s.PromoteSettled(5, [&](const std::string& p) { return p == keep; });
  EXPECT_EQ(s.NextChunk(8).files, Paths{keep});
  EXPECT_TRUE(s.NextChunk(8).files.empty());
}

TEST_F(SchedulerTest, FreshFilesGoBeforeBackgroundWork) {
  Scheduler s(Options(), 0);
  s.ScanListed({"/lib/b1.mp4", "/lib/b2.mp4", "/lib/b3.mp4"}, 0);
  Chunk c = s.NextChunk(2);
  EXPECT_EQ(c.files, (Paths{"/lib/b1.mp4", "/lib/b2.mp4"}));
  EXPECT_TRUE(c.background);
  const std::string f = File("new.mp4");
  s.FileChanged(f, 1);
  s.PromoteSettled(6, AdmitAll);
  c = s.NextChunk(2);
  EXPECT_EQ(c.files, Paths{f});
  EXPECT_FALSE(c.background);
  c = s.NextChunk(2);
  EXPECT_EQ(c.files, Paths{"/lib/b3.mp4"});
  EXPECT_TRUE(c.background);
}

TEST_F(SchedulerTest, FailedChunkIsRequeuedInItsQueue) {
  Scheduler s(Options(), 0);
  s.ScanListed({"/lib/a.mp4", "/lib/b.mp4"}, 0);
  const Chunk c = s.NextChunk(1);
  s.Requeue(c);
  EXPECT_EQ(s.NextChunk(8).files, (Paths{"/lib/b.mp4", "/lib/a.mp4"}));
}

TEST_F(SchedulerTest, RemovalIsDueAfterSettleTimeAndDropsQueuedWork) {
  Scheduler s(Options(), 0);
  s.ScanListed({"/lib/gone.mp4", "/lib/kept.mp4"}, 0);
  s.CleanupDone();
  s.FileRemoved("/lib/gone.mp4", 10);
  EXPECT_EQ(s.NextChunk(8).files, Paths{"/lib/kept.mp4"});
  EXPECT_TRUE(s.DueRemovals(14.9).empty());
  EXPECT_FALSE(s.HasWork(14.9));
  EXPECT_DOUBLE_EQ(s.WaitSeconds(14.5), 0.5);
  EXPECT_EQ(s.DueRemovals(15), Paths{"/lib/gone.mp4"});
  // Not applied (a failure): still due.
  EXPECT_EQ(s.DueRemovals(16), Paths{"/lib/gone.mp4"});
  s.RemovalsApplied(16);
  EXPECT_TRUE(s.DueRemovals(100).empty());
}

TEST_F(SchedulerTest, RemovedDirectoryForgetsWhatSettlesUnderIt) {
  Scheduler s(Options(), 0);
  EmptyScan(&s, 0);
  const std::string f = File("a.mp4");
  s.FileChanged(f, 0);
  s.FileRemoved(tmp_.str(), 1);
  s.PromoteSettled(10, AdmitAll);
  EXPECT_TRUE(s.NextChunk(8).files.empty());
  EXPECT_EQ(s.queued(), 0u);
}

TEST_F(SchedulerTest, BackOffDoublesToTheMaximumAndResetsOnSuccess) {
  Scheduler s(Options(), 0);
  EXPECT_FALSE(s.Succeeded());  // nothing to resume from
  EXPECT_DOUBLE_EQ(s.Failed(100), 1);
  EXPECT_TRUE(s.Paused(100.5));
  EXPECT_FALSE(s.Paused(101));
  EXPECT_DOUBLE_EQ(s.Failed(101), 2);
  EXPECT_DOUBLE_EQ(s.Failed(103), 4);
  EXPECT_DOUBLE_EQ(s.Failed(107), 8);
  EXPECT_DOUBLE_EQ(s.Failed(115), 8);  // max_backoff
  EXPECT_TRUE(s.Paused(122.9));
  // While paused with work queued, the wait ends when the back-off does.
  EXPECT_DOUBLE_EQ(s.WaitSeconds(122.5), 0.5);
  EXPECT_TRUE(s.Succeeded());
  EXPECT_FALSE(s.Succeeded());
  EXPECT_DOUBLE_EQ(s.Failed(200), 1);
}

TEST_F(SchedulerTest, SnapshotWhenIdleOrAfterTheInterval) {
  Scheduler s(Options(), 0);
  EXPECT_FALSE(s.SnapshotDue(1, true));  // nothing changed
  s.Changed();
  EXPECT_TRUE(s.SnapshotDue(1, false));  // the queues are empty
  s.Snapshotted(1);
  s.ScanListed({"/lib/a.mp4"}, 1);
  s.Changed();
  EXPECT_FALSE(s.SnapshotDue(60.9, false));  // busy, interval not over
  EXPECT_TRUE(s.SnapshotDue(60.9, true));
  EXPECT_TRUE(s.SnapshotDue(61, false));
}

TEST_F(SchedulerTest, BuildActivatesOnlyAfterItsOwnScanIsDone) {
  Scheduler s(Options(), 0);
  s.ScanListed({"/lib/old.mp4"}, 0);  // a scan before the build does not count
  s.BuildStarted();
  EXPECT_TRUE(s.ScanDue(1));
  EXPECT_FALSE(s.BuildScanListed());
  EXPECT_EQ(s.NextChunk(8).files, Paths{"/lib/old.mp4"});
  s.CleanupDone();
  EXPECT_FALSE(s.ReadyToActivate());

  s.ScanListed({"/lib/a.mp4", "/lib/b.mp4"}, 1);
  EXPECT_TRUE(s.BuildScanListed());
  EXPECT_FALSE(s.ReadyToActivate());  // queued work
  // A file that arrives during the reindex goes first, and is waited for.
  const std::string f = File("new.mp4");
  s.FileChanged(f, 1);
  EXPECT_EQ(s.NextChunk(1).files, Paths{"/lib/a.mp4"});
  s.PromoteSettled(6, AdmitAll);
  EXPECT_EQ(s.NextChunk(1).files, Paths{f});
  EXPECT_EQ(s.NextChunk(1).files, Paths{"/lib/b.mp4"});
  EXPECT_FALSE(s.ReadyToActivate());  // the scan's vanished files are not removed yet
  s.CleanupDone();
  EXPECT_TRUE(s.ReadyToActivate());
  // Something settling holds the flip back.
  s.FileChanged(f, 7);
  EXPECT_FALSE(s.ReadyToActivate());
  s.PromoteSettled(12, AdmitAll);
  EXPECT_EQ(s.NextChunk(8).files, Paths{f});
  EXPECT_TRUE(s.ReadyToActivate());
  s.BuildEnded();
  EXPECT_FALSE(s.ReadyToActivate());
}

TEST_F(SchedulerTest, RestartedBuildNeedsAScanOfItsOwn) {
  Scheduler s(Options(), 0);
  s.BuildStarted();
  s.ScanListed({}, 0);
  s.CleanupDone();
  EXPECT_TRUE(s.ReadyToActivate());
  s.BuildEnded();  // abandoned: the configuration changed again
  s.BuildStarted();
  EXPECT_FALSE(s.ReadyToActivate());
  EXPECT_TRUE(s.ScanDue(1));
}

TEST_F(SchedulerTest, ReconfigureRestartsSettlingAndRescanTimer) {
  Scheduler s(Options(), 0);
  EmptyScan(&s, 0);
  const std::string f = File("a.mp4");
  s.FileChanged(f, 0);
  SchedulerOptions o = Options();
  s.Reconfigure(o, 1);  // nothing changed
  EXPECT_EQ(s.queued(), 1u);
  EXPECT_FALSE(s.ScanDue(1));
  o.settle_seconds = 2;
  s.Reconfigure(o, 1);
  EXPECT_EQ(s.queued(), 0u);  // dropped; the scan finds it again
  EXPECT_TRUE(s.ScanDue(1));
  s.ScanListed({}, 1);
  o.rescan_interval = 50;
  s.Reconfigure(o, 2);
  EXPECT_TRUE(s.ScanDue(2));
}

}  // namespace
}  // namespace vidx
