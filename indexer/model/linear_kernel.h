// LinearKernel: the one function through which every Linear layer of the model families (CLIP,
// SigLIP) multiplies, in float or in int8. `model.precision: int8` quantizes the layers once,
// after a complete float32 strict load (QuantizeLinearLayers); everything that is not a Linear
// layer (patch convolution, LayerNorm, attention products, activations) stays float32.
//
// The int8 scheme (DescribePrecision, part of the fingerprint through Describe()):
//   weights      int8, symmetric, one scale per output channel (max |w| / 127), stored once as
//                the K x N matrix of one oneDNN matmul primitive per layer;
//   activations  quantized at every call (uint8, affine, from the min and max of the call's
//                whole input, widened to hold 0; QuantizeActivationsInto); the primitive
//                multiplies u8 x s8 into int32, scales it to float32 by (activation scale x
//                channel scale), then adds the float32 bias (a post-op of the primitive).
// The call's scale and zero point are runtime arguments of the primitive, so one primitive
// serves every call and nothing is created per call. (LibTorch's quantized::linear_dynamic,
// used before, created a quantization reorder and a bias rescaling for every new activation
// scale: a query's text tower at int8 took 3x its fp32 time; docs/benchmarks.md.)
// One activation range per call means one per batch: an int8 embedding depends slightly on the
// other inputs of its batch (model.batch_size is not part of the fingerprint). The effect is
// of the order of the int8-vs-fp32 error itself (clip_encoder_test bounds it at cosine 0.999).
// A range per sample keeps embeddings batch-independent but calls the kernel once per sample,
// and the kernel's fixed cost per call took the ViT-B/32 image tower's gain from about 2x to
// about 1.1x here (docs/benchmarks.md), so it is not done.
// The primitive is oneDNN's (Debian libdnnl-dev, the library LibTorch's own int8 path uses);
// qnnpack measured 3-4x slower than float32 here (docs/benchmarks.md) and is not used.
//
// Internal to indexer/model (includes LibTorch).
// Thread-safety: Int8LinearWeights is immutable after Pack; Apply may run from several threads
// at once (each thread keeps its own scratchpad). QuantizeLinearLayers must not run
// concurrently with a forward of the same model.
#ifndef VIDX_INDEXER_MODEL_LINEAR_KERNEL_H_
#define VIDX_INDEXER_MODEL_LINEAR_KERNEL_H_

#include <torch/torch.h>

#include <memory>
#include <string>

#include "common/status.h"

namespace vidx {

// One Linear layer's weights in the int8 form above.
class Int8LinearWeights {
 public:
  // weight: (out, in) float32 on the CPU; bias: (out) float32 or undefined.
  // Throws c10::Error (callers are inside QuantizeLinearLayers' catch).
  static Int8LinearWeights Pack(const torch::Tensor& weight, const torch::Tensor& bias);
  // x: (..., in) float32 -> (..., out) float32. Throws dnnl::error or c10::Error.
  torch::Tensor Apply(const torch::Tensor& x) const;

 private:
  struct Impl;  // the weights and the oneDNN primitive (linear_kernel.cpp)
  std::shared_ptr<const Impl> impl_;
};

// The activation step of the scheme: q[i] = clamp(round_half_even(x[i] * (1/scale)) +
// zero_point, 0, 255), with the inverse scale and the product in float: the values
// at::quantize_per_tensor(x, scale, zero_point, kQUInt8) gives, in one vectorized pass on the
// intra-op threads (ATen's own loop, without fbgemm, runs one element at a time on one thread).
// x: contiguous float32 on the CPU; q: contiguous uint8 with x's element count; zero_point in
// 0..255. Throws c10::Error otherwise.
void QuantizeActivationsInto(const torch::Tensor& x, double scale, int64_t zero_point,
                             torch::Tensor& q);

// x W^T + b: in float when `int8` is null, else through `int8` (which was packed from weight and
// bias).
torch::Tensor LinearKernel(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias, const Int8LinearWeights* int8);

// A module that owns Linear weights and can switch them to int8. QuantizeInt8 is called once,
// after loading; from then on the module's forward multiplies in int8.
class Int8Quantizable {
 public:
  virtual ~Int8Quantizable() = default;
  virtual void QuantizeInt8() = 0;
};

// Calls QuantizeInt8 on every Int8Quantizable module of `model` (itself included); returns how
// many in `*layers` (may be null). The model must be float32, on the CPU and completely loaded;
// its float weights stay as loaded.
// Errors: kUnsupported (naming model.precision) in a build without oneDNN (a model-only build
// may lack it), kInternal for a LibTorch or oneDNN failure.
Status QuantizeLinearLayers(torch::nn::Module& model, int* layers);

// "precision=P" for Describe(); for int8 followed by the scheme above, so that another scheme is
// another fingerprint. fp32, fp16 and bf16 read as they always have.
std::string DescribePrecision(const std::string& precision);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_LINEAR_KERNEL_H_
