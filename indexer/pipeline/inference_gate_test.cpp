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
  InferenceGate gate(o);
  std::atomic<bool> stop{false};
  // Searches back to back, always one in flight.
  auto search_loop = [&] {
    while (!stop) {
      InferenceGate::SearchTicket t(&gate);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  std::thread a(search_loop), b(search_loop);
  int chunks = 0;
  const Clock::time_point t0 = Clock::now();
  while (chunks < 5) {
    double waited = 0;
    EXPECT_FALSE(gate.WaitTurn(&waited));  // gave up: searches still running
    EXPECT_LT(waited, 2.0);
    ++chunks;
  }
  const double elapsed = SecondsSince(t0);
  stop = true;
  a.join();
  b.join();
  EXPECT_EQ(chunks, 5);
  EXPECT_GE(elapsed, 5 * 0.2 * 0.9);  // each chunk waited its full max_wait
  EXPECT_LT(elapsed, 10.0);
}

}  // namespace
}  // namespace vidx
