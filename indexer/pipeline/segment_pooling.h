// Segment pooling: how a file's frame vectors become its segments. `clip_frames` consecutive
// embedded frames make one segment; its vector is the mean of the frames' normalised vectors,
// re-normalised; it starts at the first frame's time and ends at the last frame's time + 1/fps,
// capped at the video's duration (and never before its start). A last group may be shorter.
//
// With sampling.skip_similar on, an embedded frame also stands for the similar frames sampled
// after it that were not embedded (indexer/pipeline/similar_frames.h): it then ends where the
// last of them was sampled, and weighs in the mean as many frames as it stands for.
//
// Thread-safety: pure functions.
#ifndef VIDX_INDEXER_PIPELINE_SEGMENT_POOLING_H_
#define VIDX_INDEXER_PIPELINE_SEGMENT_POOLING_H_

#include <vector>

#include "indexer/pipeline/index_sink.h"

namespace vidx {

// Segments of a file from its frames' vectors (n x dim, each normalised) and times (n), each
// frame standing for itself alone.
std::vector<Segment> PoolSegments(const std::vector<float>& vectors, int dim,
                                  const std::vector<double>& times, int clip_frames, double fps,
                                  double duration);

// As above, where frame i stands for `counts[i]` (>= 1) sampled frames, from times[i] to
// last_times[i] (>= times[i]). REQUIRES: times, last_times and counts have n elements.
std::vector<Segment> PoolSegments(const std::vector<float>& vectors, int dim,
                                  const std::vector<double>& times,
                                  const std::vector<double>& last_times,
                                  const std::vector<int>& counts, int clip_frames, double fps,
                                  double duration);

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_SEGMENT_POOLING_H_
