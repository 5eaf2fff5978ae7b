#include "indexer/model/linear_kernel.h"

#if VIDX_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

#include <algorithm>
#include <cmath>
#include <stdexcept>
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
  const torch::Tensor xq = at::quantize_per_tensor(x2, scale, zero_point, at::kQUInt8);
  const torch::Tensor out_scales = (p.scales * scale).contiguous();
  int32_t zp = static_cast<int32_t>(zero_point);
  torch::Tensor y = torch::empty({m, p.out}, x2.options());

  const dnnl::engine& engine = CpuEngine();
  dnnl::memory src({{m, p.in}, dt::u8, tag::ab}, engine, xq.data_ptr());
  dnnl::memory wei({{p.in, p.out}, dt::s8, tag::ab}, engine, p.weight.data_ptr());
  dnnl::memory dst({{m, p.out}, dt::f32, tag::ab}, engine, y.data_ptr());
  dnnl::memory sc({{p.out}, dt::f32, tag::a}, engine, out_scales.data_ptr());
  dnnl::memory zpm({{1}, dt::s32, tag::a}, engine, &zp);
  const dnnl::memory::desc scratch_md = p.pd.scratchpad_desc();
  std::vector<uint8_t> scratch(scratch_md.get_size());
  dnnl::memory scratch_mem(scratch_md, engine, scratch.empty() ? nullptr : scratch.data());
  dnnl::stream stream(engine);
  p.matmul.execute(stream, {{DNNL_ARG_SRC, src},
                            {DNNL_ARG_WEIGHTS, wei},
                            {DNNL_ARG_DST, dst},
                            {DNNL_ARG_ATTR_OUTPUT_SCALES, sc},
                            {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zpm},
                            {DNNL_ARG_SCRATCHPAD, scratch_mem}});
  stream.wait();
  if (p.bias.defined()) y.add_(p.bias);
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
