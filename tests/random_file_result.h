// RandomFileResult: a FileResult of `segments` one-second segments [s, s+1), each with a
// random unit vector of `dim` floats drawn from `rng`, for tests and benchmarks that fill a
// catalog without a model. The caller sets the file facts (path, size, mtime, hash).
#ifndef VIDX_TESTS_RANDOM_FILE_RESULT_H_
#define VIDX_TESTS_RANDOM_FILE_RESULT_H_

#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "indexer/pipeline/index_sink.h"

namespace vidx::testing {

inline FileResult RandomFileResult(int segments, int dim, std::mt19937* rng) {
  std::normal_distribution<float> normal;
  FileResult r;
  r.duration = segments;
  r.codec = "h264";
  for (int s = 0; s < segments; ++s) {
    Segment seg{static_cast<double>(s), s + 1.0, std::vector<float>(static_cast<size_t>(dim))};
    double norm = 0;
    for (float& x : seg.vector) {
      x = normal(*rng);
      norm += x * x;
    }
    for (float& x : seg.vector) x = static_cast<float>(x / std::sqrt(norm));
    r.segments.push_back(std::move(seg));
  }
  return r;
}

}  // namespace vidx::testing

#endif  // VIDX_TESTS_RANDOM_FILE_RESULT_H_
