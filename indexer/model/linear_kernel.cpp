#include "indexer/model/linear_kernel.h"

#if VIDX_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace vidx {

#if VIDX_HAVE_DNNL
// The matmul primitive of one layer: src u8 (M x K, M given at each call), weights s8 (K x N),
// dst f32, the per-output-channel scale and the source zero point given at each call
// (DNNL_RUNTIME_*), so one primitive serves every call. LibTorch's quantized::linear_dynamic on
// oneDNN bakes each call's activation scale into a new quantization reorder (and rescales the
// bias with it), creating primitives at every call: at a query's few rows that creation cost
// more than the product. Here the activations are quantized by ATen and the bias is added after
// the product, so nothing depends on the call's scale but the scale vector.
struct Int8LinearWeights::Impl {
  int64_t in = 0, out = 0;
  torch::Tensor weight;  // (in, out) int8, row-major: the K x N weights
  torch::Tensor scales;  // (out) float32: max |w| / 127 per output channel
  torch::Tensor bias;    // (out) float32, or undefined
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul matmul;
};

namespace {

const dnnl::engine& CpuEngine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

}  // namespace
#endif

namespace {

// QuantizeActivationsInto's loop over in[0..n). Cloned for AVX-512, AVX2 and the baseline, chosen
// at load time by the CPU (GCC's target_clones): at the baseline's 16-byte vectors the narrowing
// to bytes costs more than reading the floats.
// __restrict: a uint8_t store may alias anything, which would otherwise keep the loop scalar.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
void QuantizeRange(const float* __restrict in, int64_t n, float inv_scale, float zero_point,
                   uint8_t* __restrict out) {
  // ATen rounds x times the float inverse scale (float product, then nearbyint: half to even).
  // Adding and removing 1.5 * 2^23 rounds a float half to even in the default rounding mode for
  // |v| < 2^22; past that the clamp decides anyway (|v| > 2^22 is far outside 0..255).
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  for (int64_t i = 0; i < n; ++i) {
    const float product = in[i] * inv_scale;  // rounded to float: no fused multiply-add
    float v = (product + kRound) - kRound;    // (this file builds with -ffp-contract=off)
    v = std::min(std::max(v + zero_point, 0.0f), 255.0f);
    out[i] = static_cast<uint8_t>(static_cast<int32_t>(v));
  }
}

}  // namespace

void QuantizeActivationsInto(const torch::Tensor& x, double scale, int64_t zero_point,
                             torch::Tensor& q) {
  TORCH_CHECK(x.scalar_type() == torch::kFloat32 && x.is_contiguous() && x.device().is_cpu(),
              "QuantizeActivationsInto: x must be contiguous float32 on the CPU");
  TORCH_CHECK(q.scalar_type() == torch::kByte && q.is_contiguous() && q.numel() == x.numel(),
              "QuantizeActivationsInto: q must be contiguous uint8 of x's size");
  TORCH_CHECK(zero_point >= 0 && zero_point <= 255, "QuantizeActivationsInto: zero point ",
              zero_point, " outside 0..255");
  const float inv_scale = 1.0f / static_cast<float>(scale);
  const float zp = static_cast<float>(zero_point);
  const float* src = x.data_ptr<float>();
  uint8_t* dst = q.data_ptr<uint8_t>();
  at::parallel_for(0, x.numel(), /*grain_size=*/1 << 15, [=](int64_t begin, int64_t end) {
    QuantizeRange(src + begin, end - begin, inv_scale, zp, dst + begin);
  });
}

#if VIDX_HAVE_DNNL
Int8LinearWeights Int8LinearWeights::Pack(const torch::Tensor& weight, const torch::Tensor& bias) {
  torch::NoGradGuard no_grad;
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const torch::Tensor w = weight.detach().to(torch::kFloat32).contiguous();
  auto impl = std::make_shared<Impl>();
  impl->out = w.size(0);
  impl->in = w.size(1);
  // Symmetric per output channel; an all-zero row gets a tiny scale instead of a zero one.
  const torch::Tensor scales = (w.abs().amax(1) / 127.0).clamp_min(1e-12);
  impl->weight =
      (w / scales.unsqueeze(1)).round().clamp(-127, 127).to(torch::kChar).t().contiguous();
  impl->scales = scales.contiguous();
  if (bias.defined()) impl->bias = bias.detach().to(torch::kFloat32).contiguous();

  const dnnl::memory::dim k = impl->in, n = impl->out, any_m = DNNL_RUNTIME_DIM_VAL;
  const dnnl::memory::desc src({any_m, k}, dt::u8, tag::ab);
  const dnnl::memory::desc wei({k, n}, dt::s8, tag::ab);
  const dnnl::memory::desc dst({any_m, n}, dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  attr.set_output_scales(/*mask: per column of dst*/ 1 << 1, {DNNL_RUNTIME_F32_VAL});
  attr.set_zero_points(DNNL_ARG_SRC, /*mask: one value*/ 0, {DNNL_RUNTIME_S32_VAL});
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // so calls may run concurrently
  if (impl->bias.defined()) {
    // The bias, added to the scaled product inside the primitive (oneDNN applies the output
    // scales before post-ops): the same sum as adding it after, without another pass over dst.
    dnnl::post_ops ops;
    ops.append_binary(dnnl::algorithm::binary_add, dnnl::memory::desc({1, n}, dt::f32, tag::ab));
    attr.set_post_ops(ops);
  }
  impl->pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wei, dst), attr, CpuEngine());
  impl->matmul = dnnl::matmul(impl->pd);
  Int8LinearWeights result;
  result.impl_ = std::move(impl);
  return result;
}

torch::Tensor Int8LinearWeights::Apply(const torch::Tensor& x) const {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const Impl& p = *impl_;
  const torch::Tensor x2 = x.reshape({-1, p.in}).to(torch::kFloat32).contiguous();
  const int64_t m = x2.size(0);
  std::vector<int64_t> out_shape(x.sizes().begin(), x.sizes().end());
  out_shape.back() = p.out;
  if (m == 0) return torch::zeros(out_shape, x.options().dtype(torch::kFloat32));
  // The call's range, widened to hold 0 (so that 0 is exact), onto 0..255.
  const auto minmax = at::aminmax(x2);
  const double lo = std::min(0.0, std::get<0>(minmax).item<double>());
  const double hi = std::max(0.0, std::get<1>(minmax).item<double>());
  const double scale = std::max((hi - lo) / 255.0, 1e-12);
  const int64_t zero_point = std::clamp<int64_t>(std::llround(-lo / scale), 0, 255);
  torch::Tensor xq = torch::empty(x2.sizes(), x2.options().dtype(torch::kByte));
  QuantizeActivationsInto(x2, scale, zero_point, xq);
  const torch::Tensor out_scales = (p.scales * scale).contiguous();
  int32_t zp = static_cast<int32_t>(zero_point);
  torch::Tensor y = torch::empty({m, p.out}, x2.options());

  const dnnl::engine& engine = CpuEngine();
  dnnl::memory src({{m, p.in}, dt::u8, tag::ab}, engine, xq.data_ptr());
  dnnl::memory wei({{p.in, p.out}, dt::s8, tag::ab}, engine, p.weight.data_ptr());
  dnnl::memory dst({{m, p.out}, dt::f32, tag::ab}, engine, y.data_ptr());
  dnnl::memory sc({{p.out}, dt::f32, tag::a}, engine, out_scales.data_ptr());
  dnnl::memory zpm({{1}, dt::s32, tag::a}, engine, &zp);
  // Each thread keeps its scratchpad between calls (zero-filling a fresh one per call showed in
  // profiles); it only grows, to the largest layer's need.
  const dnnl::memory::desc scratch_md = p.pd.scratchpad_desc();
  thread_local std::vector<uint8_t> scratch;
  if (scratch.size() < scratch_md.get_size()) scratch.resize(scratch_md.get_size());
  dnnl::memory scratch_mem(scratch_md, engine, scratch.empty() ? nullptr : scratch.data());
  dnnl::stream stream(engine);
  std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, src},
                                                {DNNL_ARG_WEIGHTS, wei},
                                                {DNNL_ARG_DST, dst},
                                                {DNNL_ARG_ATTR_OUTPUT_SCALES, sc},
                                                {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zpm},
                                                {DNNL_ARG_SCRATCHPAD, scratch_mem}};
  if (p.bias.defined()) {
    args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1,
                 dnnl::memory({{1, p.out}, dt::f32, tag::ab}, engine, p.bias.data_ptr()));
  }
  p.matmul.execute(stream, args);
  stream.wait();
  return y.reshape(out_shape);
}
#else
// A model-only build without oneDNN: QuantizeLinearLayers refuses int8, so these never run.
struct Int8LinearWeights::Impl {};

Int8LinearWeights Int8LinearWeights::Pack(const torch::Tensor&, const torch::Tensor&) {
  throw std::runtime_error("int8 Linear layers need oneDNN, which this build lacks");
}

torch::Tensor Int8LinearWeights::Apply(const torch::Tensor&) const {
  throw std::runtime_error("int8 Linear layers need oneDNN, which this build lacks");
}
#endif

torch::Tensor LinearKernel(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias, const Int8LinearWeights* int8) {
  if (int8 != nullptr) return int8->Apply(x);
  return torch::linear(x, weight, bias);
}

Status QuantizeLinearLayers(torch::nn::Module& model, int* layers) {
#if !VIDX_HAVE_DNNL
  (void)model;
  (void)layers;
  return Status::Unsupported(
      "model.precision int8 needs oneDNN, which this model-only build was configured without; "
      "use fp32, or build with oneDNN (Debian libdnnl-dev)");
#endif
  int count = 0;
  try {
    for (const std::shared_ptr<torch::nn::Module>& m : model.modules(/*include_self=*/true)) {
      if (auto* q = dynamic_cast<Int8Quantizable*>(m.get())) {
        q->QuantizeInt8();
        ++count;
      }
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("quantizing the Linear layers to int8 failed: ") +
                            e.what());
  }
  if (layers != nullptr) *layers = count;
  return Status::Ok();
}

std::string DescribePrecision(const std::string& precision) {
  std::string d = "precision=" + precision;
  if (precision == "int8") {
    d += ";int8{weights=s8,symmetric,per-output-channel;activations=u8,dynamic,per-call;"
         "kernel=onednn-matmul-u8s8s32,scale-then-bias}";
  }
  return d;
}

}  // namespace vidx
