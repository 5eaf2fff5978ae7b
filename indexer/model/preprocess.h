// Image preprocessing as CLIPImageProcessor does it, without LibTorch.
//
// uint8 RGB (H, W, 3) -> float (3, Sh, Sw): resize (shortest side to `shortest_edge`, the long
// side int(shortest_edge * long / short), or an exact height x width), centre crop
// (top = (h - Sh) / 2, left = (w - Sw) / 2), times rescale_factor, then (x - mean) / std.
//
// The resize reimplements Pillow's uint8 resampling (Image.resize with BICUBIC, which is what
// transformers calls): separable, horizontal pass then vertical, cubic kernel a = -0.5 widened by
// the scale factor when downscaling (antialiasing), coefficients normalised then rounded to
// 22-bit fixed point, each pass rounded and clamped to uint8. On the parity fixtures the result
// equals Pillow 9.4 bit for bit (the test asserts it); if a Pillow version differs, the cost is
// +-1 grey level on some pixels. An image already of the output size is not resampled (Pillow
// returns a copy in that case too).
//
// The same resize and crop prepare indexed video frames (SamplerOptionsForModel in
// indexer/pipeline/pipeline.h hands the sampler's full-size frames to the ImagePreprocessSpec
// overload of ResizeAndCrop) and query pictures (PreprocessImages), so that one picture gives
// the same pixels either way. Torch-free: part of vidx_model_base.
//
// Thread-safety: pure functions.
#ifndef VIDX_INDEXER_MODEL_PREPROCESS_H_
#define VIDX_INDEXER_MODEL_PREPROCESS_H_

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "indexer/model/clip_config.h"
#include "indexer/model/embedder.h"

namespace vidx {

// Pillow-compatible bicubic resize of an interleaved uint8 image with `channels` channels.
// REQUIRES: src holds h*w*channels bytes; all sizes > 0.
std::vector<uint8_t> ResizeBicubicU8(const uint8_t* src, int h, int w, int channels, int out_h,
                                     int out_w);

// Resize + centre crop of one RGB image to the config's output size (uint8, HWC).
// Errors: kInvalidArgument for an empty image or one smaller than the crop after resizing.
Status ResizeAndCrop(const PreprocessConfig& p, const uint8_t* rgb, int h, int w,
                     std::vector<uint8_t>* out);

// The same for an Embedder's image_input(): resize as `spec.resize` says, then, when
// spec.center_crop, the centre spec.height x spec.width. Errors as above.
Status ResizeAndCrop(const ImagePreprocessSpec& spec, const uint8_t* rgb, int h, int w,
                     std::vector<uint8_t>* out);

// Full preprocessing of `n` RGB images of h x w (contiguous NHWC) into `out` (N, 3, Sh, Sw)
// float32, appended. Errors as ResizeAndCrop.
Status PreprocessImages(const PreprocessConfig& p, const uint8_t* rgb, int n, int h, int w,
                        std::vector<float>* out);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_PREPROCESS_H_
