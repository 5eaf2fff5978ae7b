// The int8 Linear kernel: its activation quantization gives ATen's values exactly (the int8
// fingerprint names that scheme), and one layer's output equals the scheme computed by hand,
// bias included.
#include "indexer/model/linear_kernel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace vidx {
namespace {

// ATen's reference for the same step.
torch::Tensor AtenQuantize(const torch::Tensor& x, double scale, int64_t zero_point) {
  return at::quantize_per_tensor(x, scale, zero_point, at::kQUInt8).int_repr();
}

// The scale and zero point the scheme derives from a call's input (its min and max, widened to
// hold 0, onto 0..255), written out here as the reference.
struct CallRange {
  double scale;
  int64_t zero_point;
};

CallRange RangeOf(const torch::Tensor& x) {
  const double lo = std::min(0.0, x.min().item<double>());
  const double hi = std::max(0.0, x.max().item<double>());
  const double scale = (hi - lo) / 255.0;
  return {scale, std::llround(-lo / scale)};
}

void ExpectSameAsAten(const torch::Tensor& x, double scale, int64_t zero_point,
                      const std::string& what) {
  torch::Tensor q = torch::empty(x.sizes(), x.options().dtype(torch::kByte));
  QuantizeActivationsInto(x, scale, zero_point, q);
  const torch::Tensor want = AtenQuantize(x, scale, zero_point);
  const int64_t differing = q.ne(want).sum().item<int64_t>();
  EXPECT_EQ(differing, 0) << what << ": " << differing << " of " << x.numel()
                          << " values differ from at::quantize_per_tensor";
}

TEST(QuantizeActivationsTest, EqualsAtenOnRandomInputsOfManySizes) {
  torch::manual_seed(7);
  // Sizes below, at and far above the parallel grain, and not multiples of a vector width.
  for (int64_t n : {1, 7, 1000, 32768, 32769, 250007}) {
    const torch::Tensor x = torch::randn({n}) * 3.0;
    const CallRange r = RangeOf(x);
    ExpectSameAsAten(x, r.scale, r.zero_point, "n=" + std::to_string(n));
  }
}

TEST(QuantizeActivationsTest, EqualsAtenOnTiesAndOutOfRange) {
  // Values at k + 0.5 steps round half to even; values past either end clamp to 0 and 255.
  const double scale = 0.25;
  const int64_t zp = 100;
  const torch::Tensor steps = torch::arange(-140, 180, torch::kFloat32) + 0.5;
  ExpectSameAsAten(steps * scale, scale, zp, "ties");
  const torch::Tensor far = torch::tensor({-1e9f, -1e3f, -26.f, 40.f, 1e3f, 1e9f, 0.f});
  ExpectSameAsAten(far, scale, zp, "out of range");
  for (int64_t z : {0, 255}) ExpectSameAsAten(steps * scale, scale, z, "zp " + std::to_string(z));
}

TEST(QuantizeActivationsTest, RefusesWrongTypes) {
  const torch::Tensor x = torch::zeros({4});
  torch::Tensor small = torch::empty({3}, torch::kByte);
  EXPECT_THROW(QuantizeActivationsInto(x, 1.0, 0, small), c10::Error);
  torch::Tensor q = torch::empty({4}, torch::kByte);
  EXPECT_THROW(QuantizeActivationsInto(x.to(torch::kDouble), 1.0, 0, q), c10::Error);
  EXPECT_THROW(QuantizeActivationsInto(x, 1.0, 256, q), c10::Error);
}

// One layer through the kernel against the scheme of linear_kernel.h done by hand in double:
// weights per channel symmetric, activations per call affine, product scaled, then the bias.
TEST(Int8LinearWeightsTest, ApplyIsTheSchemeWithItsBias) {
  torch::manual_seed(11);
  const torch::Tensor w = torch::randn({24, 40}) * 0.2;
  const torch::Tensor b = torch::randn({24}) * 5.0;  // large: a dropped bias cannot hide
  const torch::Tensor x = torch::randn({2, 9, 40}) + 0.3;
  Int8LinearWeights packed;
  try {
    packed = Int8LinearWeights::Pack(w, b);
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << "no int8 kernel in this build: " << e.what();
  }
  const torch::Tensor y = packed.Apply(x);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({2, 9, 24}));

  const torch::Tensor wscale = (w.abs().amax(1) / 127.0).clamp_min(1e-12);
  const torch::Tensor wq = (w / wscale.unsqueeze(1)).round().clamp(-127, 127);
  const CallRange r = RangeOf(x);
  const torch::Tensor xq = AtenQuantize(x.reshape({-1, 40}).contiguous(), r.scale, r.zero_point);
  const torch::Tensor acc =
      (xq.to(torch::kDouble) - r.zero_point).matmul(wq.to(torch::kDouble).t());
  const torch::Tensor want =
      (acc * r.scale * wscale.to(torch::kDouble) + b.to(torch::kDouble)).reshape({2, 9, 24});
  const double err = (y.to(torch::kDouble) - want).abs().max().item<double>();
  EXPECT_LT(err, 1e-4) << "int8 layer differs from its scheme by " << err;
  // And it is still the float layer, approximately.
  const double fp_err = (y - torch::linear(x, w, b)).abs().max().item<double>();
  EXPECT_LT(fp_err, 0.1) << fp_err;

  // Without a bias: the same product.
  const torch::Tensor y0 = Int8LinearWeights::Pack(w, torch::Tensor()).Apply(x);
  const double err0 =
      (y0.to(torch::kDouble) - (want - b.to(torch::kDouble))).abs().max().item<double>();
  EXPECT_LT(err0, 1e-4) << err0;
}

}  // namespace
}  // namespace vidx
