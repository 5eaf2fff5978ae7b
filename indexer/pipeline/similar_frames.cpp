#include "indexer/pipeline/similar_frames.h"

#include <cmath>
#include <cstddef>
#include <utility>

namespace vidx {

std::vector<float> GreyCopy(const Frame& frame) {
  const int w = frame.width, h = frame.height;
  if (w <= 0 || h <= 0 || frame.rgb.size() < static_cast<size_t>(w) * static_cast<size_t>(h) * 3) {
    return {};
  }
  // Box bounds of output column/row i: [i*n/side, max((i+1)*n/side, that+1)).
  auto first = [](int i, int n) { return static_cast<int>(static_cast<long>(i) * n / kGreySide); };
  auto end = [&](int i, int n) {
    const int e = static_cast<int>(static_cast<long>(i + 1) * n / kGreySide);
    return e > first(i, n) ? e : first(i, n) + 1;
  };
  std::vector<float> out(static_cast<size_t>(kGreySide) * kGreySide);
  for (int oy = 0; oy < kGreySide; ++oy) {
    const int y0 = first(oy, h), y1 = end(oy, h);
    for (int ox = 0; ox < kGreySide; ++ox) {
      const int x0 = first(ox, w), x1 = end(ox, w);
      long sum = 0;
      for (int y = y0; y < y1; ++y) {
        const uint8_t* p = frame.rgb.data() + (static_cast<size_t>(y) * w + x0) * 3;
        for (int x = x0; x < x1; ++x, p += 3) sum += 77 * p[0] + 150 * p[1] + 29 * p[2];
      }
      const long pixels = static_cast<long>(y1 - y0) * (x1 - x0);
      out[static_cast<size_t>(oy) * kGreySide + ox] =
          static_cast<float>(static_cast<double>(sum) / (256.0 * static_cast<double>(pixels)));
    }
  }
  return out;
}

double MeanAbsDifference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || a.size() != b.size()) return 255;
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += std::fabs(static_cast<double>(a[i]) - b[i]);
  return sum / static_cast<double>(a.size());
}

bool SimilarFrameFilter::Skip(const Frame& frame) {
  if (threshold_ <= 0) return false;
  std::vector<float> grey = GreyCopy(frame);
  if (!kept_.empty() && MeanAbsDifference(grey, kept_) <= threshold_) return true;
  kept_ = std::move(grey);
  return false;
}

}  // namespace vidx
