// Segment pooling: how a file's frame vectors become its segments. `clip_frames` consecutive
// sampled frames make one segment; its vector is the mean of the frames' normalised vectors,
// re-normalised; it starts at the first frame's time and ends at the last frame's time + 1/fps,
// capped at the video's duration (and never before its start). A last group may be shorter.
//
// Thread-safety: a pure function.
#ifndef VIDX_INDEXER_PIPELINE_SEGMENT_POOLING_H_
#define VIDX_INDEXER_PIPELINE_SEGMENT_POOLING_H_

#include <vector>

#include "indexer/pipeline/index_sink.h"

namespace vidx {

// Segments of a file from its frames' vectors (n x dim, each normalised) and times (n).
std::vector<Segment> PoolSegments(const std::vector<float>& vectors, int dim,
                                  const std::vector<double>& times, int clip_frames, double fps,
                                  double duration);

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_SEGMENT_POOLING_H_
