// SimilarFrameFilter: decides, before the model runs, which sampled frames of a file show
// nothing new (sampling.skip_similar, common/sampling_settings.h). Each frame is reduced to a
// kGreySide x kGreySide grey copy (BT.601 luma, box average over the frame, whatever its
// size); a frame whose copy differs from the copy of the last frame *kept* for the file by at
// most the threshold (mean absolute difference, grey levels 0..255) is skipped. Comparing
// with the last kept frame rather than the previous one means a slow drift is caught once it
// adds up to the threshold. The first frame of a file is always kept.
//
// The pipeline's decode workers keep one filter per file being decoded; the embed stage then
// extends the kept frame's segment over the skipped ones (segment_pooling.h).
//
// Thread-safety: a filter is used by one thread at a time; the free functions are pure.
#ifndef VIDX_INDEXER_PIPELINE_SIMILAR_FRAMES_H_
#define VIDX_INDEXER_PIPELINE_SIMILAR_FRAMES_H_

#include <vector>

#include "indexer/video/sampler.h"

namespace vidx {

constexpr int kGreySide = 32;

// The kGreySide x kGreySide grey copy of `frame` (packed RGB24, width x height), row-major,
// grey levels 0..255. A frame smaller than kGreySide repeats its pixels. Empty for an empty
// frame.
std::vector<float> GreyCopy(const Frame& frame);

// Mean absolute difference of two grey copies of equal size (255 when the sizes differ or
// either is empty, so such frames never count as similar).
double MeanAbsDifference(const std::vector<float>& a, const std::vector<float>& b);

class SimilarFrameFilter {
 public:
  // `threshold` in grey levels; 0 (off) keeps every frame.
  explicit SimilarFrameFilter(double threshold) : threshold_(threshold) {}

  // True when `frame` is to be skipped: it differs from the last kept frame by at most the
  // threshold. Otherwise it becomes the last kept frame and false is returned.
  bool Skip(const Frame& frame);

 private:
  const double threshold_;
  std::vector<float> kept_;  // grey copy of the last kept frame; empty before the first
};

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_SIMILAR_FRAMES_H_
