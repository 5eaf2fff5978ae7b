// FrameConverter: decoded AVFrame -> upright, square-pixel, packed RGB24 vidx::Frame.
//
// Geometry, in this order: sample aspect ratio (the width is stretched or narrowed to
// width*SAR; the height is kept), then rotation (clockwise, a multiple of 90°), then, when
// output_size > 0, the shortest side is scaled to resize_shortest (0 = output_size; bicubic)
// and the centre output_size x output_size square is kept. With output_size == 0 and
// output_width > 0 the displayed picture is scaled to output_width pixels wide, the height in
// proportion rounded to an even number (2 .. kMaxScaledHeight); no crop. With both 0 the
// displayed size is kept. Scaling happens once, in swscale, before the (lossless) rotation and
// crop.
//
// Thread-safety: not thread-safe (caches a SwsContext); use one converter per thread.
#ifndef VIDX_INDEXER_VIDEO_FRAME_CONVERT_H_
#define VIDX_INDEXER_VIDEO_FRAME_CONVERT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/video/ffmpeg_ptr.h"
#include "indexer/video/sampler.h"

namespace vidx {

// Clockwise rotation in degrees (0, 90, 180 or 270) a player applies to `stream`, read from
// its display matrix; 0 when there is none or it is not a multiple of 90°.
int StreamRotation(const AVStream* stream);

// Width and height as displayed, after `sar` (num/den; 0/x or x/0 = square) and `rotation`.
void DisplaySize(int width, int height, AVRational sar, int rotation, int* display_width,
                 int* display_height);

class FrameConverter {
 public:
  // The tallest picture output_width mode makes (a hostile aspect ratio cannot ask for more).
  static constexpr int kMaxScaledHeight = 8192;

  // `rotation`: clockwise degrees (multiple of 90); `output_size`, `resize_shortest` and
  // `output_width` as in SamplerOptions (REQUIRES: resize_shortest is 0 or >= output_size).
  FrameConverter(int rotation, int output_size, AVRational fallback_sar, int resize_shortest = 0,
                 int output_width = 0);

  // Fills out->width/height/rgb from `frame` (out->t and out->target are left alone).
  // Fails (kCorruption/kInternal) on frames swscale cannot handle.
  Status Convert(const AVFrame& frame, Frame* out);

 private:
  int rotation_;
  int output_size_;
  int resize_shortest_;
  int output_width_;
  AVRational fallback_sar_;
  ffmpeg::SwsPtr sws_;
  std::vector<uint8_t> scaled_;  // scaled, not yet rotated/cropped RGB24 (padded rows)
};

}  // namespace vidx

#endif  // VIDX_INDEXER_VIDEO_FRAME_CONVERT_H_
