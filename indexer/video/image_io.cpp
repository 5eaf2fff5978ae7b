#include "indexer/video/image_io.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/fd_holder.h"
#include "indexer/video/ffmpeg_ptr.h"
#include "indexer/video/frame_convert.h"
#include "indexer/video/media_input.h"

namespace vidx {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

Status WriteFileAtomically(const std::string& path, const uint8_t* data, size_t size) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(tmp.c_str(), "wb"));
  if (!f) return Status::IoError(path + ": cannot create: " + std::strerror(errno));
  const bool written = std::fwrite(data, 1, size, f.get()) == size;
  const bool flushed = std::fflush(f.get()) == 0;
  const int closed = std::fclose(f.release());
  if (!written || !flushed || closed != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return Status::IoError(path + ": cannot write: " + std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return Status::IoError(path + ": cannot rename into place: " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace

Status WritePng(const std::string& path, const Frame& frame) {
  ffmpeg::ConfigureLogging();
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.rgb.size() != static_cast<size_t>(frame.width) * frame.height * 3) {
    return Status::InvalidArgument(path + ": frame to write is empty or its size does not match");
  }
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (codec == nullptr) return Status::Unsupported(path + ": FFmpeg has no PNG encoder");
  ffmpeg::CodecContextPtr enc(avcodec_alloc_context3(codec));
  ffmpeg::FramePtr pic(av_frame_alloc());
  ffmpeg::PacketPtr pkt(av_packet_alloc());
  if (!enc || !pic || !pkt) return Status::ResourceExhausted(path + ": out of memory");
  enc->width = frame.width;
  enc->height = frame.height;
  enc->pix_fmt = AV_PIX_FMT_RGB24;
  enc->time_base = AVRational{1, 1};
  int rc = avcodec_open2(enc.get(), codec, nullptr);
  if (rc < 0)
    return Status::Internal(path + ": cannot open the PNG encoder: " + ffmpeg::ErrorString(rc));

  pic->width = frame.width;
  pic->height = frame.height;
  pic->format = AV_PIX_FMT_RGB24;
  rc = av_frame_get_buffer(pic.get(), 0);
  if (rc < 0) return Status::ResourceExhausted(path + ": out of memory");
  const size_t row = static_cast<size_t>(frame.width) * 3;
  for (int y = 0; y < frame.height; ++y) {
    std::memcpy(pic->data[0] + static_cast<ptrdiff_t>(y) * pic->linesize[0],
                frame.rgb.data() + row * y, row);
  }
  rc = avcodec_send_frame(enc.get(), pic.get());
  if (rc >= 0) rc = avcodec_send_frame(enc.get(), nullptr);
  if (rc < 0) return Status::Internal(path + ": PNG encoding failed: " + ffmpeg::ErrorString(rc));
  std::vector<uint8_t> bytes;
  while ((rc = avcodec_receive_packet(enc.get(), pkt.get())) >= 0) {
    bytes.insert(bytes.end(), pkt->data, pkt->data + pkt->size);
    av_packet_unref(pkt.get());
  }
  if (rc != AVERROR_EOF || bytes.empty()) {
    return Status::Internal(path + ": PNG encoding failed: " + ffmpeg::ErrorString(rc));
  }
  return WriteFileAtomically(path, bytes.data(), bytes.size());
}

StatusOr<std::string> EncodeJpeg(const Frame& frame, int quality) {
  ffmpeg::ConfigureLogging();
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.rgb.size() != static_cast<size_t>(frame.width) * frame.height * 3) {
    return Status::InvalidArgument("frame to encode as JPEG is empty or its size does not match");
  }
  const std::string what =
      "JPEG of a " + std::to_string(frame.width) + "x" + std::to_string(frame.height) + " frame";
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (codec == nullptr) return Status::Unsupported("FFmpeg has no mjpeg encoder for the " + what);
  ffmpeg::CodecContextPtr enc(avcodec_alloc_context3(codec));
  ffmpeg::FramePtr pic(av_frame_alloc());
  ffmpeg::PacketPtr pkt(av_packet_alloc());
  if (!enc || !pic || !pkt) return Status::ResourceExhausted("out of memory for the " + what);
  const int q = std::min(100, std::max(1, quality));
  const int qscale = static_cast<int>(std::lround(31 - (q - 1) * 29.0 / 99.0));
  enc->width = frame.width;
  enc->height = frame.height;
  enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
  enc->color_range = AVCOL_RANGE_JPEG;
  enc->time_base = AVRational{1, 25};
  enc->flags |= AV_CODEC_FLAG_QSCALE;
  enc->global_quality = FF_QP2LAMBDA * qscale;
  enc->thread_count = 1;
  int rc = avcodec_open2(enc.get(), codec, nullptr);
  if (rc < 0) {
    return Status::Internal("cannot open the mjpeg encoder for the " + what + ": " +
                            ffmpeg::ErrorString(rc));
  }

  pic->width = frame.width;
  pic->height = frame.height;
  pic->format = AV_PIX_FMT_YUVJ420P;
  pic->color_range = AVCOL_RANGE_JPEG;
  pic->quality = enc->global_quality;
  rc = av_frame_get_buffer(pic.get(), 0);
  if (rc < 0) return Status::ResourceExhausted("out of memory for the " + what);
  // swscale's vector code reads past the end of a source row, so the pixels go into a padded
  // AVFrame first; then RGB -> full-range BT.601 YCbCr 4:2:0, as JPEG files carry it.
  ffmpeg::FramePtr rgb(av_frame_alloc());
  if (!rgb) return Status::ResourceExhausted("out of memory for the " + what);
  rgb->width = frame.width;
  rgb->height = frame.height;
  rgb->format = AV_PIX_FMT_RGB24;
  if (av_frame_get_buffer(rgb.get(), 0) < 0) {
    return Status::ResourceExhausted("out of memory for the " + what);
  }
  const size_t row = static_cast<size_t>(frame.width) * 3;
  for (int y = 0; y < frame.height; ++y) {
    std::memcpy(rgb->data[0] + static_cast<ptrdiff_t>(y) * rgb->linesize[0],
                frame.rgb.data() + row * y, row);
  }
  ffmpeg::SwsPtr sws(sws_getContext(frame.width, frame.height, AV_PIX_FMT_RGB24, frame.width,
                                    frame.height, AV_PIX_FMT_YUVJ420P,
                                    SWS_BICUBIC | SWS_ACCURATE_RND, nullptr, nullptr, nullptr));
  if (!sws) return Status::Internal("cannot set up the colour conversion for the " + what);
  if (sws_scale(sws.get(), rgb->data, rgb->linesize, 0, frame.height, pic->data, pic->linesize) <=
      0) {
    return Status::Internal("colour conversion failed for the " + what);
  }
  rc = avcodec_send_frame(enc.get(), pic.get());
  if (rc >= 0) rc = avcodec_send_frame(enc.get(), nullptr);
  if (rc < 0)
    return Status::Internal("encoding the " + what + " failed: " + ffmpeg::ErrorString(rc));
  std::string bytes;
  while ((rc = avcodec_receive_packet(enc.get(), pkt.get())) >= 0) {
    bytes.append(reinterpret_cast<const char*>(pkt->data), static_cast<size_t>(pkt->size));
    av_packet_unref(pkt.get());
  }
  if (rc != AVERROR_EOF || bytes.empty()) {
    return Status::Internal("encoding the " + what + " failed: " + ffmpeg::ErrorString(rc));
  }
  return bytes;
}

StatusOr<Frame> LoadImageRgb(const std::string& path, int max_dimension, double max_seconds) {
  MediaInputOptions opts;
  opts.kind = MediaKind::kImage;
  opts.max_dimension = max_dimension;
  opts.max_seconds = max_seconds;
  auto opened = MediaInput::Open(path, opts);
  if (!opened.ok()) return opened.status();
  const MediaInput& in = *opened.value();
  auto dec = in.OpenDecoder(1);
  if (!dec.ok()) return dec.status();
  AVCodecContext* ctx = dec.value().get();

  ffmpeg::PacketPtr pkt(av_packet_alloc());
  ffmpeg::FramePtr pic(av_frame_alloc());
  if (!pkt || !pic) return Status::ResourceExhausted(path + ": out of memory");
  int rc = 0;
  bool sent = false;
  while (!sent) {
    rc = av_read_frame(in.format(), pkt.get());
    if (rc < 0) break;
    if (pkt->stream_index == in.stream_index()) {
      rc = avcodec_send_packet(ctx, pkt.get());
      sent = rc >= 0;
    }
    av_packet_unref(pkt.get());
    if (rc < 0) break;
  }
  if (!sent)
    return in.Error(StatusCode::kCorruption, "cannot read the image",
                    rc < 0 ? rc : AVERROR_INVALIDDATA);
  avcodec_send_packet(ctx, nullptr);
  rc = avcodec_receive_frame(ctx, pic.get());
  if (rc < 0) return in.Error(StatusCode::kCorruption, "cannot decode the image", rc);
  if (pic->width > max_dimension || pic->height > max_dimension) {
    return Status::ResourceExhausted(path + ": picture is larger than the limit of " +
                                     std::to_string(max_dimension) + " pixels a side");
  }
  pic->sample_aspect_ratio = AVRational{0, 1};  // pixels as stored: an image keeps its size
  FrameConverter conv(/*rotation=*/0, /*output_size=*/0, AVRational{1, 1});
  Frame out;
  Status s = conv.Convert(*pic, &out);
  if (!s.ok()) return s.WithContext(path);
  return out;
}

StatusOr<Frame> DecodeImageBytes(const std::string& bytes, int max_dimension, double max_seconds) {
  const std::string what = "the picture";
  if (bytes.empty()) return Status::InvalidArgument(what + " is empty");
  FdHolder fd(::memfd_create("vidx-picture", MFD_CLOEXEC));
  if (fd.get() < 0) {
    return Status::IoError(what + ": cannot make a memory file: " + std::strerror(errno));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return Status::IoError(what + ": cannot write the memory file: " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  StatusOr<Frame> frame =
      LoadImageRgb("/proc/self/fd/" + std::to_string(fd.get()), max_dimension, max_seconds);
  if (!frame.ok()) return frame.status().WithContext(what);
  return frame;
}

}  // namespace vidx
