// EmbedStage: the consumer side of an indexing run. It takes the decode stage's frames in
// queue order, embeds them in batches of batch_size that span files (Embedder::
// EmbedPreparedImages), assembles each file's vectors into segments (PoolSegments) and
// commits each finished file to the IndexSink, one Commit per file, as soon as its end marker
// arrived and all its frames are embedded.
//
// A frame marked `similar` (sampling.skip_similar) is not embedded: the file's last kept frame
// stands for it, so that frame's segment reaches to it (segment_pooling.h).
//
// What is committed:
//  * a file whose sampling ended OK with at least one frame: kIndexed with its segments;
//  * a file whose content could not be read, whose sampling failed, or that gave no frame:
//    kFailed with the error sentence and FailureKindOf(error); its frames are dropped.
// An embedder or sink error is returned and the run must stop (nothing more is committed).
//
// With an InferenceGate (the daemon), a batch is embedded in calls of at most chunk_frames
// frames, each after InferenceGate::WaitTurn(), so searches go first; one frame when the gate
// gave up waiting for searches still running (inference_gate.h).
//
// Thread-safety: single-threaded (the pipeline's consumer thread).
#ifndef VIDX_INDEXER_PIPELINE_EMBED_STAGE_H_
#define VIDX_INDEXER_PIPELINE_EMBED_STAGE_H_

#include <functional>
#include <string>
#include <vector>

#include "common/sampling_settings.h"
#include "common/status.h"
#include "indexer/model/embedder.h"
#include "indexer/pipeline/frame_queue.h"
#include "indexer/pipeline/index_sink.h"
#include "indexer/pipeline/inference_gate.h"
#include "indexer/pipeline/pipeline_counters.h"
#include "indexer/pipeline/triage.h"

namespace vidx {

// kUnreadable for kIoError (the file could not be opened or read), kUndecodable otherwise.
FailureKind FailureKindOf(const Status& error);

class EmbedStage {
 public:
  // None owned; all must outlive the stage. `files` are the run's pending files (QueueItem::
  // file indexes them); `on_progress` (may be null) runs after each commit and inference
  // call; `gate` may be null (whole batches, no yielding to searches); chunk_frames >= 1.
  EmbedStage(const Embedder* embedder, std::string fingerprint, IndexSink* sink,
             const SamplingSettings& sampling, int batch_size,
             const std::vector<PendingFile>* files, PipelineCounters* counters,
             std::function<void()> on_progress, InferenceGate* gate = nullptr,
             int chunk_frames = 1);

  // Commits, as failed, every pending file whose content could not be read.
  Status CommitUnreadable();
  // Takes one queue item: a frame joins the batch (embedded when the batch is full); an end
  // marker finishes its file. kInternal for a frame not of the embedder's input size, or a
  // similar frame with no kept frame before it.
  Status Add(QueueItem&& item);
  // Embeds the partial batch when a finished file still waits for frames in it (the
  // pipeline calls this when no other item is ready, so a file does not wait for others).
  Status FlushIfWaiting();
  // Embeds the partial batch and commits every file it completes.
  Status Flush();

 private:
  struct FileState {
    std::vector<float> vectors;  // frames_embedded x dim
    std::vector<double> times;
    // Per kept frame, in the order received: the time of the last sampled frame it stands for
    // and how many frames it stands for (itself and the similar ones after it).
    std::vector<double> last_times;
    std::vector<int> counts;
    size_t frames_received = 0;  // kept frames
    bool ended = false;
    bool committed = false;
    Status status;
    VideoInfo info;
  };
  Status Commit(size_t file);

  const Embedder* const embedder_;
  const std::string fingerprint_;
  IndexSink* const sink_;
  const SamplingSettings sampling_;
  const size_t batch_size_;
  const std::vector<PendingFile>* const files_;
  PipelineCounters* const c_;
  const std::function<void()> on_progress_;
  InferenceGate* const gate_;
  const size_t chunk_frames_;
  const size_t dim_;
  const size_t frame_bytes_;

  std::vector<FileState> state_;
  std::vector<uint8_t> pixels_;  // the batch, frame after frame
  std::vector<size_t> batch_files_;
  std::vector<double> batch_times_;
  std::vector<size_t> waiting_;  // ended files whose frames are not all embedded yet
};

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_EMBED_STAGE_H_
