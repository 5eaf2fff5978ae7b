#include "indexer/model/preprocess.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace vidx {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's fixed point for 8-bit images
// Sums are int32 as in Pillow: the weights of one output sample add up to 1 << kPrecisionBits
// and the bicubic kernel's negative lobes are small, so 255 times the positive weights stays
// far below 2^31. Integer sums are exact in any order, which lets the loops below run in the
// order that suits the cache without changing a single output value.
constexpr int32_t kRoundingHalf = int32_t{1} << (kPrecisionBits - 1);

double CubicKernel(double x) {  // Pillow's bicubic, a = -0.5
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Per output index: first input index, tap count and fixed-point weights (ksize per row).
struct Coeffs {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

Coeffs PrecomputeCoeffs(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 2.0 * filterscale;
  Coeffs c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = CubicKernel((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? k[x] / ww : k[x];
      c.weights[static_cast<size_t>(xx) * c.ksize + x] = static_cast<int32_t>(
          v < 0 ? -0.5 + v * (1 << kPrecisionBits) : 0.5 + v * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

uint8_t Clip8(int32_t v) {
  if (v >= (int32_t{1} << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return static_cast<uint8_t>(v >> kPrecisionBits);
}

}  // namespace

std::vector<uint8_t> ResizeBicubicU8(const uint8_t* src, int h, int w, int channels, int out_h,
                                     int out_w) {
  const size_t cn = static_cast<size_t>(channels);
  std::vector<uint8_t> cur;
  const uint8_t* in = src;
  if (out_w != w) {  // horizontal pass
    const Coeffs c = PrecomputeCoeffs(w, out_w);
    std::vector<uint8_t> tmp(static_cast<size_t>(h) * out_w * cn);
    for (int y = 0; y < h; ++y) {
      const uint8_t* row = in + static_cast<size_t>(y) * w * cn;
      uint8_t* dst = tmp.data() + static_cast<size_t>(y) * out_w * cn;
      for (int xx = 0; xx < out_w; ++xx) {
        const int32_t* k = &c.weights[static_cast<size_t>(xx) * c.ksize];
        const uint8_t* p = row + static_cast<size_t>(c.first[xx]) * cn;
        const int n = c.count[xx];
        if (cn == 3) {  // the common case, all three channels in one sweep over the taps
          int32_t s0 = kRoundingHalf, s1 = kRoundingHalf, s2 = kRoundingHalf;
          for (int x = 0; x < n; ++x) {
            const int32_t kx = k[x];
            s0 += p[3 * x] * kx;
            s1 += p[3 * x + 1] * kx;
            s2 += p[3 * x + 2] * kx;
          }
          dst[3 * xx] = Clip8(s0);
          dst[3 * xx + 1] = Clip8(s1);
          dst[3 * xx + 2] = Clip8(s2);
        } else {
          for (size_t ch = 0; ch < cn; ++ch) {
            int32_t ss = kRoundingHalf;
            for (int x = 0; x < n; ++x) ss += p[x * cn + ch] * k[x];
            dst[xx * cn + ch] = Clip8(ss);
          }
        }
      }
    }
    cur.swap(tmp);
    in = cur.data();
    w = out_w;
  }
  if (out_h != h) {  // vertical pass
    const Coeffs c = PrecomputeCoeffs(h, out_h);
    std::vector<uint8_t> tmp(static_cast<size_t>(out_h) * w * cn);
    const size_t stride = static_cast<size_t>(w) * cn;
    std::vector<int32_t> acc(stride);  // one output row, accumulated tap by tap
    for (int yy = 0; yy < out_h; ++yy) {
      const int32_t* k = &c.weights[static_cast<size_t>(yy) * c.ksize];
      std::fill(acc.begin(), acc.end(), kRoundingHalf);
      for (int y = 0; y < c.count[yy]; ++y) {
        const uint8_t* r = in + static_cast<size_t>(c.first[yy] + y) * stride;
        const int32_t ky = k[y];
        for (size_t i = 0; i < stride; ++i) acc[i] += r[i] * ky;
      }
      uint8_t* dst = tmp.data() + yy * stride;
      for (size_t i = 0; i < stride; ++i) dst[i] = Clip8(acc[i]);
    }
    cur.swap(tmp);
    in = cur.data();
  }
  if (in == src) cur.assign(src, src + static_cast<size_t>(h) * w * cn);
  return cur;
}

namespace {

// The geometry both entry points share: one resize and one crop for indexed frames and query
// pictures alike.
struct Geometry {
  bool resize = false;
  int shortest_edge = 0;  // when resize_height == 0
  int resize_height = 0;  // exact resize when > 0
  int resize_width = 0;
  bool crop = false;
  int crop_height = 0;
  int crop_width = 0;
};

Status ResizeAndCropTo(const Geometry& g, const uint8_t* rgb, int h, int w,
                       std::vector<uint8_t>* out) {
  if (h <= 0 || w <= 0 || rgb == nullptr) {
    return Status::InvalidArgument("image is empty (" + std::to_string(h) + "x" +
                                   std::to_string(w) + ")");
  }
  int rh = h, rw = w;
  if (g.resize) {
    if (g.resize_height > 0) {
      rh = g.resize_height;
      rw = g.resize_width;
    } else {
      // transformers get_resize_output_image_size(default_to_square=False).
      const int short_side = std::min(h, w), long_side = std::max(h, w);
      const int new_short = g.shortest_edge;
      const int new_long =
          static_cast<int>(static_cast<int64_t>(new_short) * long_side / short_side);
      rh = h <= w ? new_short : new_long;
      rw = h <= w ? new_long : new_short;
    }
  }
  if (rh <= 0 || rw <= 0) {
    return Status::InvalidArgument("image of " + std::to_string(h) + "x" + std::to_string(w) +
                                   " resizes to nothing");
  }
  std::vector<uint8_t> resized =
      (rh == h && rw == w) ? std::vector<uint8_t>(rgb, rgb + static_cast<size_t>(h) * w * 3)
                           : ResizeBicubicU8(rgb, h, w, 3, rh, rw);
  if (!g.crop) {
    *out = std::move(resized);
    return Status::Ok();
  }
  const int ch = g.crop_height, cw = g.crop_width;
  if (rh < ch || rw < cw) {
    return Status::InvalidArgument("image of " + std::to_string(rh) + "x" + std::to_string(rw) +
                                   " after resizing is smaller than the crop " +
                                   std::to_string(ch) + "x" + std::to_string(cw));
  }
  const int top = (rh - ch) / 2, left = (rw - cw) / 2;
  out->resize(static_cast<size_t>(ch) * cw * 3);
  for (int y = 0; y < ch; ++y) {
    const uint8_t* src = resized.data() + (static_cast<size_t>(y + top) * rw + left) * 3;
    std::copy(src, src + static_cast<size_t>(cw) * 3,
              out->data() + static_cast<size_t>(y) * cw * 3);
  }
  return Status::Ok();
}

}  // namespace

Status ResizeAndCrop(const PreprocessConfig& p, const uint8_t* rgb, int h, int w,
                     std::vector<uint8_t>* out) {
  Geometry g;
  g.resize = p.do_resize;
  g.shortest_edge = p.shortest_edge;
  g.resize_height = p.resize_height;
  g.resize_width = p.resize_width;
  g.crop = p.do_center_crop;
  g.crop_height = p.crop_height;
  g.crop_width = p.crop_width;
  return ResizeAndCropTo(g, rgb, h, w, out);
}

Status ResizeAndCrop(const ImagePreprocessSpec& spec, const uint8_t* rgb, int h, int w,
                     std::vector<uint8_t>* out) {
  Geometry g;
  g.resize = spec.resize != ImagePreprocessSpec::Resize::kNone;
  if (spec.resize == ImagePreprocessSpec::Resize::kExact) {
    g.resize_height = spec.resize_height;
    g.resize_width = spec.resize_width;
  } else {
    g.shortest_edge = spec.shortest_edge;
  }
  g.crop = spec.center_crop;
  g.crop_height = spec.height;
  g.crop_width = spec.width;
  return ResizeAndCropTo(g, rgb, h, w, out);
}

Status PreprocessImages(const PreprocessConfig& p, const uint8_t* rgb, int n, int h, int w,
                        std::vector<float>* out) {
  const int oh = p.output_height(), ow = p.output_width();
  const size_t plane = static_cast<size_t>(oh) * ow;
  std::vector<uint8_t> img;
  for (int i = 0; i < n; ++i) {
    VIDX_RETURN_IF_ERROR(ResizeAndCrop(p, rgb + static_cast<size_t>(i) * h * w * 3, h, w, &img));
    if (img.size() != plane * 3) {
      return Status::InvalidArgument("preprocessed image has the wrong size");
    }
    const size_t base = out->size();
    out->resize(base + plane * 3);
    float* dst = out->data() + base;
    for (int c = 0; c < 3; ++c) {
      // Same operation order as transformers: x * rescale_factor, then (x - mean) / std.
      const double scale = p.do_rescale ? p.rescale_factor : 1.0;
      const double mean = p.do_normalize ? p.image_mean[c] : 0.0;
      const double inv_std = p.do_normalize ? 1.0 / p.image_std[c] : 1.0;
      for (size_t j = 0; j < plane; ++j) {
        const double v = static_cast<double>(img[j * 3 + c]) * scale;
        dst[c * plane + j] = static_cast<float>((v - mean) * inv_std);
      }
    }
  }
  return Status::Ok();
}

}  // namespace vidx
