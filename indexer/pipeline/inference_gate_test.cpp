// InferenceGate: a search in flight holds indexing back until it ends (plus the grace), a
// never-ending stream of searches does not stop indexing, and nothing waits without searches.
#include "indexer/pipeline/inference_gate.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace vidx {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

TEST(InferenceGateTest, NoSearchNoWait) {
  InferenceGate gate;
  double waited = 1;
  EXPECT_TRUE(gate.WaitTurn(&waited));
  EXPECT_LT(waited, 0.01);
  EXPECT_EQ(gate.yields(), 0);
  EXPECT_EQ(gate.searches_in_flight(), 0);
  { InferenceGate::SearchTicket none(nullptr); }  // a null gate is allowed and does nothing
}

TEST(InferenceGateTest, IndexingWaitsForTheSearchInFlight) {
  InferenceGateOptions o;
  o.grace_seconds = 0;
  o.max_wait_seconds = 30;
  InferenceGate gate(o);
  std::atomic<bool> search_done{false};
  std::atomic<bool> indexing_ran_after_search{false};
  auto ticket = std::make_unique<InferenceGate::SearchTicket>(&gate);
  EXPECT_EQ(gate.searches_in_flight(), 1);
  std::atomic<bool> clear{false};
  std::thread indexer([&] {
    clear = gate.WaitTurn();
    indexing_ran_after_search = search_done.load();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  search_done = true;
  ticket.reset();
  indexer.join();
  EXPECT_TRUE(indexing_ran_after_search);
  EXPECT_TRUE(clear);
  EXPECT_EQ(gate.yields(), 1);
  EXPECT_EQ(gate.searches_in_flight(), 0);
  // With no search left, the next chunk goes at once.
  double waited = 1;
  EXPECT_TRUE(gate.WaitTurn(&waited));
  EXPECT_LT(waited, 0.01);
}

TEST(InferenceGateTest, GraceKeepsIndexingBackBetweenSearches) {
  InferenceGateOptions o;
  o.grace_seconds = 0.3;
  o.max_wait_seconds = 30;
  InferenceGate gate(o);
  { InferenceGate::SearchTicket t(&gate); }
  const Clock::time_point t0 = Clock::now();
  EXPECT_TRUE(gate.WaitTurn());
  EXPECT_GE(SecondsSince(t0), 0.25);
  double waited = 1;
  EXPECT_TRUE(gate.WaitTurn(&waited));  // the grace is over
  EXPECT_LT(waited, 0.01);
}

TEST(InferenceGateTest, EndlessSearchesDoNotStarveIndexing) {
  InferenceGateOptions o;
  o.grace_seconds = 0.05;
  o.max_wait_seconds = 0.2;
  o.run_seconds = 0.3;
  InferenceGate gate(o);
  InferenceGate::SearchTicket endless(&gate);  // a search that never ends
  double first = 0, during = 1, after = 0;
  EXPECT_FALSE(gate.WaitTurn(&first));   // gave up: searches still running
  EXPECT_FALSE(gate.WaitTurn(&during));  // then indexing runs without waiting for a while
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_FALSE(gate.WaitTurn(&after));  // and is held back again
  EXPECT_GE(first, 0.2 * 0.9);
  EXPECT_LT(first, 2.0);
  EXPECT_LT(during, 0.15);
  EXPECT_GE(after, 0.2 * 0.9);
  EXPECT_LT(after, 2.0);
}

}  // namespace
}  // namespace vidx
