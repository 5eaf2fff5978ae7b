#include "indexer/pipeline/segment_pooling.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace vidx {

std::vector<Segment> PoolSegments(const std::vector<float>& vectors, int dim,
                                  const std::vector<double>& times, int clip_frames, double fps,
                                  double duration) {
  return PoolSegments(vectors, dim, times, times, std::vector<int>(times.size(), 1), clip_frames,
                      fps, duration);
}

std::vector<Segment> PoolSegments(const std::vector<float>& vectors, int dim,
                                  const std::vector<double>& times,
                                  const std::vector<double>& last_times,
                                  const std::vector<int>& counts, int clip_frames, double fps,
                                  double duration) {
  std::vector<Segment> segments;
  const size_t n = times.size();
  const size_t group = static_cast<size_t>(std::max(clip_frames, 1));
  for (size_t first = 0; first < n; first += group) {
    const size_t last = std::min(first + group, n) - 1;
    Segment s;
    s.vector.assign(static_cast<size_t>(dim), 0.0f);
    for (size_t f = first; f <= last; ++f) {
      const float* v = vectors.data() + f * static_cast<size_t>(dim);
      const float w = static_cast<float>(std::max(counts[f], 1));
      for (int d = 0; d < dim; ++d) s.vector[static_cast<size_t>(d)] += w * v[d];
    }
    double norm = 0;
    for (float x : s.vector) norm += static_cast<double>(x) * x;
    norm = std::sqrt(norm);
    if (norm > 0) {
      for (float& x : s.vector) x = static_cast<float>(x / norm);
    }
    s.start = times[first];
    double end = std::max(last_times[last], times[last]) + (fps > 0 ? 1.0 / fps : 0.0);
    if (duration > 0) end = std::min(end, duration);
    s.end = std::max(end, s.start);
    segments.push_back(std::move(s));
  }
  return segments;
}

}  // namespace vidx
