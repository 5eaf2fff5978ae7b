// InferenceGate: searches before indexing when both run the model in one process (the
// daemon). A search holds a SearchTicket while it runs; the indexing pipeline embeds its
// batch in small chunks (PipelineOptions::chunk_frames) and calls WaitTurn() before each, which
// holds it back while a search is in flight. So a search waits at most for the chunk already
// running, never for a whole batch, and no new indexing inference competes with it for the cores or
// for the BLAS library (OpenBLAS runs one multithreaded matrix product at a time per process: a
// search's product waits for the indexer's product in flight, whatever their priorities).
//
// Starvation: WaitTurn() waits for at most max_wait_seconds, so a steady stream of searches
// slows indexing but never stops it: when WaitTurn() gives up waiting, it lets indexing run
// for run_seconds without waiting, one frame per call (the least a search still running can be
// made to wait behind), before it holds indexing back again.
// Indexing goes on at full chunks as soon as no search is in flight or about to be (see
// grace_seconds).
//
// Thread-safety: every method may be called from any thread at once. A SearchTicket must not
// outlive its gate.
#ifndef VIDX_INDEXER_PIPELINE_INFERENCE_GATE_H_
#define VIDX_INDEXER_PIPELINE_INFERENCE_GATE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace vidx {

struct InferenceGateOptions {
  // After the last search in flight ends, indexing stays held this much longer, so a client
  // that sends searches one after another does not find a new chunk started between two.
  double grace_seconds = 0.05;
  // The most one WaitTurn() waits.
  double max_wait_seconds = 2.0;
  // After WaitTurn() gave up waiting: how long it answers at once, so that indexing gets at
  // least run_seconds / (max_wait_seconds + run_seconds) of the time under endless searches.
  double run_seconds = 0.5;
};

class InferenceGate {
 public:
  explicit InferenceGate(InferenceGateOptions options = {});
  InferenceGate(const InferenceGate&) = delete;
  InferenceGate& operator=(const InferenceGate&) = delete;

  // A search in flight from construction to destruction (RAII). A null gate: no effect.
  class SearchTicket {
   public:
    explicit SearchTicket(InferenceGate* gate);
    ~SearchTicket();
    SearchTicket(const SearchTicket&) = delete;
    SearchTicket& operator=(const SearchTicket&) = delete;

   private:
    InferenceGate* const gate_;
  };

  // Called by the indexer before each inference chunk: returns true at once when no search is
  // in flight and none ended within grace_seconds, or as soon as that becomes true; false
  // after max_wait_seconds of waiting in vain, and then false at once for run_seconds while
  // searches go on. `waited` (may be null) gets the seconds waited.
  bool WaitTurn(double* waited = nullptr);

  const InferenceGateOptions& options() const { return options_; }
  int searches_in_flight() const;
  // WaitTurn() calls that had to wait, since construction.
  int64_t yields() const;

 private:
  using Clock = std::chrono::steady_clock;
  void Enter();
  void Leave();

  const InferenceGateOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int searches_ = 0;
  bool any_ended_ = false;
  Clock::time_point last_end_;
  Clock::time_point run_until_;  // WaitTurn() gave up: no waiting before this
  int64_t yields_ = 0;
};

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_INFERENCE_GATE_H_
