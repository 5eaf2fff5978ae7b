// FrameQueue: the bounded queue between the decode workers and the embedding stage. Items are
// the frames of pending file `file` and, after its last frame, one end marker carrying how
// sampling ended. Many producers, one consumer.
//
// Thread-safety: every method may be called from any thread.
#ifndef VIDX_INDEXER_PIPELINE_FRAME_QUEUE_H_
#define VIDX_INDEXER_PIPELINE_FRAME_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

#include "common/status.h"
#include "indexer/video/sampler.h"

namespace vidx {

struct QueueItem {
  size_t file = 0;  // index into the run's pending files
  bool end = false;
  // When !end: a frame that shows nothing new (sampling.skip_similar). It is not embedded; the
  // file's last kept frame stands for it. Its `frame` holds the time only, no pixels.
  bool similar = false;
  Frame frame;     // when !end
  Status status;   // when end: how sampling ended
  VideoInfo info;  // when end
};

class FrameQueue {
 public:
  // At most `capacity` (>= 1) frames are held; end markers are never refused for space.
  explicit FrameQueue(size_t capacity);

  // Blocks while full. False when cancelled. Adds the seconds spent blocked to `*waited`.
  bool Push(QueueItem&& item, double* waited);
  // Blocks while empty and open. False when cancelled, or closed and drained.
  bool Pop(QueueItem* item);
  bool Empty() const;
  // No more items will be pushed (the consumer drains what is left).
  void Close();
  // Every blocked and future Push and Pop fails at once.
  void Cancel();

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<QueueItem> items_;  // guarded by mu_
  bool closed_ = false;          // guarded by mu_
  bool cancelled_ = false;       // guarded by mu_
};

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_FRAME_QUEUE_H_
