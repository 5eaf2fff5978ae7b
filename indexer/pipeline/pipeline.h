// IndexPipeline: one batch indexing run, assembled from its stages (see docs/architecture.md):
//   triage (triage.h: unchanged files skipped, renames moved in the catalog)
//   -> decode workers (decode_stage.h, frames from a FrameSource) -> bounded FrameQueue
//   -> embedding batched across files, per-file segments, one IndexSink::Commit per finished
//      file (embed_stage.h).
//
// Failures: a file that cannot be read or decoded is committed with outcome kFailed, its error
// and its FailureKind, and the run carries on; a file that vanished after being listed is
// counted as failed but not committed. A KnownFiles read or rename error, an embedder error or
// a sink error stops the run and Run() returns it (files committed before stay committed).
// Cancellation (PipelineOptions::cancel) returns kUnavailable and commits nothing of the files
// being decoded.
//
// Thread-safety: Run() is not reentrant; it calls the sink, KnownFiles and the progress
// callback from the thread that called Run(), and the FrameSource from the decode workers.
#ifndef VIDX_INDEXER_PIPELINE_PIPELINE_H_
#define VIDX_INDEXER_PIPELINE_PIPELINE_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/sampling_settings.h"
#include "common/status.h"
#include "indexer/model/embedder.h"
#include "indexer/pipeline/frame_source.h"
#include "indexer/pipeline/index_sink.h"
#include "indexer/pipeline/inference_gate.h"
#include "indexer/pipeline/known_files.h"
#include "indexer/pipeline/pipeline_counters.h"
#include "indexer/pipeline/segment_pooling.h"
#include "indexer/video/sampler.h"

namespace vidx {

struct PipelineOptions {
  // Frames as the model wants them (SamplerOptionsForModel); sampler.sampling.clip_frames
  // (>= 1) frames are pooled into one segment.
  SamplerOptions sampler;
  int batch_size = 64;        // frames per inference call, >= 1
  int decode_workers = 2;     // decode threads, >= 1
  size_t queue_frames = 256;  // bounded frame queue between decoders and inference
  // Not owned; may be null. Once it reads true, no file starts decoding, the files being
  // decoded are abandoned (nothing of them is committed) and Run() returns kUnavailable
  // "indexing cancelled"; files committed before stay committed.
  const std::atomic<bool>* cancel = nullptr;
  // Not owned; may be null. When set, searches in the same process go first: each batch is
  // embedded in calls of at most chunk_frames frames, each after InferenceGate::WaitTurn()
  // (the daemon sets both, from daemon.index_chunk_frames).
  InferenceGate* gate = nullptr;
  int chunk_frames = 8;  // >= 1; used with a gate only
};

class IndexPipeline {
 public:
  // None owned; all must outlive the pipeline. `embedder` must be the model that produced
  // `fingerprint`. `frames` (may be null) replaces the FFmpeg sampler built from
  // options.sampler (tests feed synthetic frames through it).
  IndexPipeline(const Embedder* embedder, std::string fingerprint, IndexSink* sink,
                KnownFiles* known, PipelineOptions options, const FrameSource* frames = nullptr);
  ~IndexPipeline();

  // Indexes `files` (absolute paths, e.g. from ExpandPaths). `counters` gets the totals
  // (also on error); `progress` may be null. kInvalidArgument when the options do not fit
  // the model (frame size, batch_size, decode_workers, clip_frames).
  Status Run(const std::vector<std::string>& files, PipelineCounters* counters,
             const PipelineProgress& progress = nullptr);

 private:
  const Embedder* embedder_;
  const std::string fingerprint_;
  IndexSink* sink_;
  KnownFiles* known_;
  const PipelineOptions options_;
  std::unique_ptr<FrameSource> own_frames_;
  const FrameSource* frames_;
};

// Sampler options that yield exactly what `embedder`'s image preprocessing makes of a picture,
// so frames go to EmbedPreparedImages: frames are converted at their displayed size and then
// resized and cropped by the model's own code (ResizeAndCrop in indexer/model/preprocess.h,
// what EmbedImages does to a query picture): shortest side and centre crop for CLIP, an exact
// resize ("squash", aspect ratio not kept) for SigLIP. A frame that preprocessing refuses
// (smaller than the crop) fails its file. kUnsupported for a non-square model input, an
// interpolation other than bicubic, or preprocessing whose output size depends on the
// picture's shape (no crop and no exact resize to the input size).
StatusOr<SamplerOptions> SamplerOptionsForModel(const Embedder& embedder,
                                                const SamplingSettings& sampling);

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_PIPELINE_H_
