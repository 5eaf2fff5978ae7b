// The niceness an indexing thread sets reaches what it starts (a std::thread, an OpenMP team,
// which is how LibTorch runs inference), and no other thread.
#include "daemon/thread_priority.h"

#include <omp.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vidx {
namespace {

int NicenessOfThisThread() {
  StatusOr<int> n = ThreadNiceness(ThisThreadId());
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? *n : -100;
}

TEST(ThreadPriorityTest, ThreadsStartedByANicedThreadAreNiced) {
  const int before = NicenessOfThisThread();
  if (before >= 19) GTEST_SKIP() << "the test already runs at niceness 19";
    // This thread's own OpenMP team exists first, at its niceness.
#pragma omp parallel num_threads(2)
  { (void)omp_get_thread_num(); }

  std::vector<int> team;  // niceness of every member of the niced thread's OpenMP team
  std::set<pid_t> team_ids;
  int niced_self = -1, child = -1;
  std::thread indexing([&] {
    ASSERT_TRUE(LowerThisThreadPriority(19).ok());
    niced_self = NicenessOfThisThread();
    std::thread decoder([&] { child = NicenessOfThisThread(); });
    decoder.join();
    std::mutex mu;
#pragma omp parallel num_threads(2)
    {
      const int n = NicenessOfThisThread();
      std::lock_guard<std::mutex> lock(mu);
      team.push_back(n);
      team_ids.insert(ThisThreadId());
    }
  });
  indexing.join();
  EXPECT_EQ(niced_self, 19);
  EXPECT_EQ(child, 19);
  ASSERT_EQ(team.size(), 2u);
  EXPECT_EQ(team_ids.size(), 2u);  // a real team of two threads
  for (int n : team) EXPECT_EQ(n, 19);
  // The thread that started the indexing thread, and its own team, keep their priority.
  EXPECT_EQ(NicenessOfThisThread(), before);
  std::vector<int> own;
  std::mutex mu;
#pragma omp parallel num_threads(2)
  {
    const int n = NicenessOfThisThread();
    std::lock_guard<std::mutex> lock(mu);
    own.push_back(n);
  }
  for (int n : own) EXPECT_EQ(n, before);
}

TEST(ThreadPriorityTest, RefusesNicenessOutOfRange) {
  EXPECT_EQ(LowerThisThreadPriority(20).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LowerThisThreadPriority(-1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ThreadNiceness(-5).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vidx
