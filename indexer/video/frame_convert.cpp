#include "indexer/video/frame_convert.h"

#include <algorithm>
#include <cmath>
#include <cstring>

extern "C" {
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

namespace vidx {

namespace {

constexpr int kMaxSide = 1 << 15;  // never ask swscale for more than this per side

// swscale wants the non-"j" pixel formats plus an explicit full-range flag.
AVPixelFormat NormalisePixelFormat(AVPixelFormat f, bool* full_range) {
  switch (f) {
    case AV_PIX_FMT_YUVJ420P:
      *full_range = true;
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      *full_range = true;
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      *full_range = true;
      return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
      *full_range = true;
      return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P:
      *full_range = true;
      return AV_PIX_FMT_YUV411P;
    default:
      return f;
  }
}

int SwsColorspace(AVColorSpace cs) {
  switch (cs) {
    case AVCOL_SPC_BT709:
      return SWS_CS_ITU709;
    case AVCOL_SPC_FCC:
      return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M:
      return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return SWS_CS_BT2020;
    default:
      return SWS_CS_DEFAULT;  // BT.601
  }
}

int ClampSide(double v) {
  if (!(v >= 1)) return 1;
  if (v > kMaxSide) return kMaxSide;
  return static_cast<int>(std::lround(v));
}

}  // namespace

int StreamRotation(const AVStream* stream) {
  size_t size = 0;
  const uint8_t* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (matrix == nullptr || size < 9 * sizeof(int32_t)) return 0;
  // av_display_rotation_get() is counter-clockwise; players rotate clockwise by its negation.
  const double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (!std::isfinite(ccw)) return 0;
  double cw = std::fmod(-ccw, 360.0);
  if (cw < 0) cw += 360.0;
  const double quarter = std::round(cw / 90.0);
  if (std::fabs(cw - quarter * 90.0) > 1.0) return 0;  // odd angles: shown unrotated
  return (static_cast<int>(quarter) % 4) * 90;
}

void DisplaySize(int width, int height, AVRational sar, int rotation, int* display_width,
                 int* display_height) {
  double w = width;
  if (sar.num > 0 && sar.den > 0 && sar.num != sar.den) w = width * av_q2d(sar);
  int dw = ClampSide(w);
  int dh = ClampSide(height);
  if (rotation == 90 || rotation == 270) std::swap(dw, dh);
  *display_width = dw;
  *display_height = dh;
}

FrameConverter::FrameConverter(int rotation, int output_size, AVRational fallback_sar,
                               int resize_shortest, int output_width)
    : rotation_(rotation),
      output_size_(output_size),
      resize_shortest_(std::max(resize_shortest, output_size)),
      output_width_(std::max(output_width, 0)),
      fallback_sar_(fallback_sar) {}

Status FrameConverter::Convert(const AVFrame& frame, Frame* out) {
  if (frame.width <= 0 || frame.height <= 0 || frame.format < 0) {
    return Status::Corruption("decoded frame has no picture");
  }
  AVRational sar = frame.sample_aspect_ratio;
  if (sar.num <= 0 || sar.den <= 0) sar = fallback_sar_;

  // Displayed (rotated) size, then the size after scaling, then the final crop.
  int disp_w = 0, disp_h = 0;
  DisplaySize(frame.width, frame.height, sar, rotation_, &disp_w, &disp_h);
  int rot_w = disp_w, rot_h = disp_h;  // scaled size in displayed orientation
  int out_w = disp_w, out_h = disp_h;
  if (output_size_ > 0) {
    const double scale = static_cast<double>(resize_shortest_) / std::min(disp_w, disp_h);
    rot_w = std::max(resize_shortest_, ClampSide(disp_w * scale));
    rot_h = std::max(resize_shortest_, ClampSide(disp_h * scale));
    out_w = out_h = output_size_;
  } else if (output_width_ > 0) {
    rot_w = out_w = ClampSide(output_width_);
    const double h = static_cast<double>(disp_h) * rot_w / disp_w;
    const int even = 2 * static_cast<int>(std::lround(std::min<double>(h, kMaxScaledHeight) / 2));
    rot_h = out_h = std::max(2, even);
  }
  const bool swapped = rotation_ == 90 || rotation_ == 270;
  const int sc_w = swapped ? rot_h : rot_w;  // scaled size in stored orientation
  const int sc_h = swapped ? rot_w : rot_h;

  bool full_range = frame.color_range == AVCOL_RANGE_JPEG;
  const AVPixelFormat src_fmt =
      NormalisePixelFormat(static_cast<AVPixelFormat>(frame.format), &full_range);
  SwsContext* cached = sws_getCachedContext(
      sws_.release(), frame.width, frame.height, src_fmt, sc_w, sc_h, AV_PIX_FMT_RGB24,
      SWS_BICUBIC | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
  sws_.reset(cached);
  if (!sws_) {
    return Status::Unsupported(
        std::string("cannot convert pixel format ") +
        (av_get_pix_fmt_name(src_fmt) ? av_get_pix_fmt_name(src_fmt) : "unknown"));
  }
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(src_fmt);
  if (desc != nullptr && (desc->flags & AV_PIX_FMT_FLAG_RGB) == 0) {
    // Ignored by swscale for formats where it makes no sense; the return value is not useful.
    sws_setColorspaceDetails(sws_.get(), sws_getCoefficients(SwsColorspace(frame.colorspace)),
                             full_range ? 1 : 0, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16,
                             1 << 16);
  }

  const int stride = ((sc_w * 3) + 63) & ~63;
  scaled_.resize(static_cast<size_t>(stride) * sc_h + 64);
  uint8_t* dst[4] = {scaled_.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {stride, 0, 0, 0};
  const int rows =
      sws_scale(sws_.get(), frame.data, frame.linesize, 0, frame.height, dst, dst_stride);
  if (rows <= 0) return Status::Internal("swscale failed to convert a frame");

  // Rotate (clockwise) and crop the centre in one pass. (px, py) are displayed coordinates.
  out->width = out_w;
  out->height = out_h;
  out->rgb.assign(static_cast<size_t>(out_w) * out_h * 3, 0);
  const int x0 = (rot_w - out_w) / 2;
  const int y0 = (rot_h - out_h) / 2;
  for (int y = 0; y < out_h; ++y) {
    uint8_t* row = out->rgb.data() + static_cast<size_t>(y) * out_w * 3;
    const int py = y + y0;
    if (rotation_ == 0) {
      std::memcpy(row, scaled_.data() + static_cast<size_t>(py) * stride + x0 * 3,
                  static_cast<size_t>(out_w) * 3);
      continue;
    }
    for (int x = 0; x < out_w; ++x) {
      const int px = x + x0;
      int sx = px, sy = py;
      if (rotation_ == 90) {
        sx = py;
        sy = sc_h - 1 - px;
      } else if (rotation_ == 180) {
        sx = sc_w - 1 - px;
        sy = sc_h - 1 - py;
      } else {  // 270
        sx = sc_w - 1 - py;
        sy = px;
      }
      std::memcpy(row + x * 3, scaled_.data() + static_cast<size_t>(sy) * stride + sx * 3, 3);
    }
  }
  return Status::Ok();
}

}  // namespace vidx
