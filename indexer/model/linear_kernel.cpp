#include "indexer/model/linear_kernel.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <vector>

namespace vidx {
namespace {

// Looked up once each; an OperatorHandle stays valid while LibTorch is loaded.
const c10::OperatorHandle& PrepackOp() {
  static const c10::OperatorHandle op =
      c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_prepack", "");
  return op;
}

const c10::OperatorHandle& DynamicOp() {
  static const c10::OperatorHandle op =
      c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_dynamic", "");
  return op;
}

}  // namespace

Int8LinearWeights Int8LinearWeights::Pack(const torch::Tensor& weight, const torch::Tensor& bias) {
  torch::NoGradGuard no_grad;
  const torch::Tensor w = weight.detach().to(torch::kFloat32).contiguous();
  // Symmetric per output channel; an all-zero row gets a tiny scale instead of a zero one.
  const torch::Tensor scales = (w.abs().amax(1) / 127.0).clamp_min(1e-12).to(torch::kDouble);
  const torch::Tensor zero_points = torch::zeros({w.size(0)}, torch::kLong);
  const torch::Tensor q = at::quantize_per_channel(w, scales, zero_points, 0, at::kQInt8);
  std::vector<c10::IValue> stack;
  stack.emplace_back(q);
  if (bias.defined()) {
    stack.emplace_back(bias.detach().to(torch::kFloat32).contiguous());
  } else {
    stack.emplace_back(c10::IValue());
  }
  PrepackOp().callBoxed(&stack);
  Int8LinearWeights out;
  out.packed_ = std::move(stack.at(0));
  return out;
}

torch::Tensor Int8LinearWeights::Apply(const torch::Tensor& x) const {
  std::vector<c10::IValue> stack;
  stack.emplace_back(x.contiguous());
  stack.emplace_back(packed_);
  stack.emplace_back(false);  // reduce_range: the full 8 bits (oneDNN needs no headroom)
  DynamicOp().callBoxed(&stack);
  return stack.at(0).toTensor();
}

torch::Tensor LinearKernel(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias, const Int8LinearWeights* int8) {
  if (int8 != nullptr) return int8->Apply(x);
  return torch::linear(x, weight, bias);
}

Status QuantizeLinearLayers(torch::nn::Module& model, int* layers) {
  int count = 0;
  try {
    bool has_onednn = false;
    for (at::QEngine e : at::globalContext().supportedQEngines()) {
      has_onednn = has_onednn || e == at::QEngine::ONEDNN;
    }
    if (!has_onednn) {
      return Status::Unsupported(
          "model.precision int8 needs LibTorch's onednn quantized engine, which this LibTorch "
          "lacks");
    }
    at::globalContext().setQEngine(at::QEngine::ONEDNN);
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
         "kernel=quantized::linear_dynamic;engine=onednn}";
  }
  return d;
}

}  // namespace vidx
