#include "daemon/settle_queue.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/temp_dir.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using Paths = std::vector<std::string>;

void Append(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << data;
  ASSERT_TRUE(out.good()) << path;
}

class SettleQueueTest : public ::testing::Test {
 protected:
  vidx::testing::TempDir tmp_{"vidx_settle"};
  std::string Path(const std::string& name) { return (tmp_.path() / name).string(); }
};

TEST_F(SettleQueueTest, EmptyQueue) {
  SettleQueue q(5);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_TRUE(std::isinf(q.NextDeadline()));
  EXPECT_TRUE(q.TakeReady(1e9).empty());
}

TEST_F(SettleQueueTest, UnchangedFileIsReadyAfterSettleTime) {
  const std::string f = Path("a.mp4");
  Append(f, "data");
  SettleQueue q(5);
  q.Touch(f, 100);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_DOUBLE_EQ(q.NextDeadline(), 105);
  EXPECT_TRUE(q.TakeReady(104.9).empty());
  EXPECT_EQ(q.TakeReady(105), Paths{f});
  EXPECT_EQ(q.size(), 0u);
  EXPECT_TRUE(q.TakeReady(200).empty());  // returned paths leave the queue
}

TEST_F(SettleQueueTest, TouchRestartsTheTimer) {
  const std::string f = Path("a.mp4");
  Append(f, "data");
  SettleQueue q(5);
  q.Touch(f, 100);
  q.Touch(f, 103);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_DOUBLE_EQ(q.NextDeadline(), 108);
  EXPECT_TRUE(q.TakeReady(107).empty());
  EXPECT_EQ(q.TakeReady(108), Paths{f});
}

// A copy in chunks, with fake time: the file becomes ready once, settle_seconds after the last
// chunk, whether or not each chunk came with an event.
TEST_F(SettleQueueTest, ChunkedWriteIsReadyOnceAfterTheLastChunk) {
  const std::string f = Path("copy.mkv");
  SettleQueue q(1.0);
  Append(f, "chunk1");
  q.Touch(f, 0.0);
  Append(f, "chunk2");  // no event for this one (coalesced or lost)
  EXPECT_TRUE(q.TakeReady(1.0).empty()) << "the size changed since the last observation";
  EXPECT_DOUBLE_EQ(q.NextDeadline(), 2.0);
  Append(f, "chunk3");
  q.Touch(f, 1.5);  // the last chunk's event
  EXPECT_TRUE(q.TakeReady(2.0).empty());
  EXPECT_TRUE(q.TakeReady(2.49).empty());
  EXPECT_EQ(q.TakeReady(2.5), Paths{f});
  EXPECT_TRUE(q.TakeReady(10).empty());
  EXPECT_EQ(q.size(), 0u);
}

TEST_F(SettleQueueTest, MtimeChangeWithSameSizeRestartsTheTimer) {
  const std::string f = Path("same_size.mp4");
  Append(f, "aaaa");
  SettleQueue q(1.0);
  q.Touch(f, 0);
  // Rewritten in place with the same size: only the mtime tells.
  fs::last_write_time(f, fs::last_write_time(f) + std::chrono::seconds(3));
  EXPECT_TRUE(q.TakeReady(1.0).empty());
  EXPECT_EQ(q.TakeReady(2.0), Paths{f});
}

TEST_F(SettleQueueTest, VanishedFileIsDropped) {
  const std::string f = Path("tmp.part");
  Append(f, "x");
  SettleQueue q(1.0);
  q.Touch(f, 0);
  fs::remove(f);
  EXPECT_TRUE(q.TakeReady(1.0).empty());
  EXPECT_EQ(q.size(), 0u);
  // Touched before it exists and never created: dropped at its deadline as well.
  q.Touch(Path("never"), 0);
  EXPECT_TRUE(q.TakeReady(1.0).empty());
  EXPECT_EQ(q.size(), 0u);
}

TEST_F(SettleQueueTest, FileThatAppearsAfterTouchWaitsAgain) {
  const std::string f = Path("late.mp4");
  SettleQueue q(1.0);
  q.Touch(f, 0);  // the event raced ahead of the file (e.g. moved in and out and in again)
  Append(f, "x");
  EXPECT_TRUE(q.TakeReady(1.0).empty());
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.TakeReady(2.0), Paths{f});
}

TEST_F(SettleQueueTest, ForgetRemovesThePathAndEverythingUnderIt) {
  fs::create_directories(tmp_.path() / "dir" / "sub");
  fs::create_directories(tmp_.path() / "dir2");
  const Paths files = {Path("dir/a"), Path("dir/sub/b"), Path("dir2/c"), Path("dir")};
  for (const std::string& f : files) {
    if (!fs::is_directory(f)) Append(f, "x");
  }
  SettleQueue q(1.0);
  for (const std::string& f : files) q.Touch(f, 0);
  q.Touch(Path("dir-sibling"), 0);
  EXPECT_EQ(q.size(), 5u);
  q.Forget(Path("dir"));
  EXPECT_EQ(q.size(), 2u);  // dir2/c and dir-sibling are not under dir/
  q.Forget(Path("nothing"));
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.TakeReady(1.0), Paths{Path("dir2/c")});  // dir-sibling never existed
}

TEST_F(SettleQueueTest, ReadyPathsComeInDeadlineOrder) {
  SettleQueue q(2.0);
  for (const char* name : {"z", "y", "x"}) Append(Path(name), "x");
  q.Touch(Path("z"), 0);
  q.Touch(Path("y"), 0.5);
  q.Touch(Path("x"), 1.0);
  EXPECT_DOUBLE_EQ(q.NextDeadline(), 2.0);
  EXPECT_EQ(q.TakeReady(2.5), (Paths{Path("z"), Path("y")}));
  EXPECT_DOUBLE_EQ(q.NextDeadline(), 3.0);
  EXPECT_EQ(q.TakeReady(3.0), Paths{Path("x")});
}

TEST_F(SettleQueueTest, ZeroSettleTime) {
  const std::string f = Path("now.mp4");
  Append(f, "x");
  SettleQueue q(0);
  q.Touch(f, 7);
  EXPECT_DOUBLE_EQ(q.NextDeadline(), 7);
  EXPECT_EQ(q.TakeReady(7), Paths{f});
}

}  // namespace
}  // namespace vidx
