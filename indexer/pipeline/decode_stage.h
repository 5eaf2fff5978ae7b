// DecodeStage: the decode workers of an indexing run. Worker threads take the pending files
// in order (skipping those that already failed to be read), sample each through the
// FrameSource and push its frames, then its end marker, into the FrameQueue. When the last
// worker finishes, the queue is closed.
//
// With `skip_similar` > 0, each worker compares every frame with the last frame it kept of the
// same file (SimilarFrameFilter, similar_frames.h) and pushes a frame that shows nothing new
// as a QueueItem marked `similar`, without its pixels, so the model never sees it.
//
// Cancellation: once `cancel` reads true, no file starts decoding and a file being decoded
// stops at its next frame (its end marker carries kUnavailable); the consumer is expected to
// commit nothing of it.
//
// Thread-safety: Start/Join from the owning thread only. The destructor cancels the queue
// and joins, so the workers never outlive what they reference.
#ifndef VIDX_INDEXER_PIPELINE_DECODE_STAGE_H_
#define VIDX_INDEXER_PIPELINE_DECODE_STAGE_H_

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "indexer/pipeline/frame_queue.h"
#include "indexer/pipeline/frame_source.h"
#include "indexer/pipeline/triage.h"

namespace vidx {

class DecodeStage {
 public:
  // None owned; all must outlive the stage. `cancel` may be null. `workers` >= 1.
  // `skip_similar`: sampling.skip_similar (0 = every frame is passed on).
  DecodeStage(const FrameSource* source, const std::vector<PendingFile>* files, FrameQueue* queue,
              int workers, const std::atomic<bool>* cancel, double skip_similar = 0);
  ~DecodeStage();
  DecodeStage(const DecodeStage&) = delete;
  DecodeStage& operator=(const DecodeStage&) = delete;

  void Start();
  // Waits for every worker. Returns the seconds they spent decoding, summed, without the
  // time they waited on a full queue.
  double Join();

 private:
  void Work();
  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(); }

  const FrameSource* const source_;
  const std::vector<PendingFile>* const files_;
  FrameQueue* const queue_;
  const int workers_;
  const std::atomic<bool>* const cancel_;
  const double skip_similar_;
  std::atomic<size_t> next_{0};
  std::atomic<int> running_{0};
  std::mutex mu_;
  double busy_seconds_ = 0;  // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_DECODE_STAGE_H_
