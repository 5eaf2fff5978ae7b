// PipelineCounters: what one IndexPipeline::Run did, updated as it goes and handed to the
// progress callback. Shared by the pipeline's stages (triage, decode, embed).
//
// Thread-safety: a plain value; the pipeline updates it from the thread that called Run().
#ifndef VIDX_INDEXER_PIPELINE_PIPELINE_COUNTERS_H_
#define VIDX_INDEXER_PIPELINE_PIPELINE_COUNTERS_H_

#include <chrono>
#include <cstdint>
#include <functional>

namespace vidx {

// The clock the stages time themselves with for the counters' *_seconds fields.
using PipelineClock = std::chrono::steady_clock;
inline double SecondsSince(PipelineClock::time_point t0) {
  return std::chrono::duration<double>(PipelineClock::now() - t0).count();
}

struct PipelineCounters {
  int64_t files_total = 0;      // files handed to Run()
  int64_t files_embedded = 0;   // committed with vectors
  int64_t files_unchanged = 0;  // skipped: same size, mtime, inode
  int64_t files_renamed = 0;    // moved in the catalog, not re-embedded
  // Committed as failed (unreadable or undecodable), plus files that vanished between being
  // listed and being looked at (nothing is recorded for those).
  int64_t files_failed = 0;
  int64_t frames = 0;          // frames embedded
  int64_t frames_skipped = 0;  // sampled but not embedded: nothing new (sampling.skip_similar)
  int64_t segments = 0;
  double video_seconds = 0;   // duration of the embedded files
  double decode_seconds = 0;  // summed over decode workers (excluding queue waits)
  double infer_seconds = 0;
  double search_wait_seconds = 0;  // inference held back for searches (inference_gate.h)
  double write_seconds = 0;        // sink commits and renames
  double wall_seconds = 0;
};

// Called after every finished file and every inference batch.
using PipelineProgress = std::function<void(const PipelineCounters&)>;

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_PIPELINE_COUNTERS_H_
