// unique_ptr aliases over FFmpeg handles. Every handle is wrapped the moment it is made, so
// an early return can never leak one.
//
// Thread-safety: the aliases are plain owning pointers; an FFmpeg context must be used by one
// thread at a time.
#ifndef VIDX_INDEXER_VIDEO_FFMPEG_PTR_H_
#define VIDX_INDEXER_VIDEO_FFMPEG_PTR_H_

#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

namespace vidx {
namespace ffmpeg {

struct FormatInputDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct FormatAllocDeleter {  // a context that avformat_open_input has not taken yet
  void operator()(AVFormatContext* c) const { avformat_free_context(c); }
};
struct IoContextDeleter {
  void operator()(AVIOContext* c) const { avio_closep(&c); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* c) const { sws_freeContext(c); }
};
struct DictDeleter {
  void operator()(AVDictionary* d) const { av_dict_free(&d); }
};

using InputFormatPtr = std::unique_ptr<AVFormatContext, FormatInputDeleter>;
using AllocFormatPtr = std::unique_ptr<AVFormatContext, FormatAllocDeleter>;
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;

// FFmpeg's message for an AVERROR code, e.g. "Invalid data found when processing input".
std::string ErrorString(int averror);

// Makes FFmpeg's own logging quiet (it writes to stderr by default). The level is process-wide
// state inside FFmpeg; this sets it once, to AV_LOG_QUIET, or to the level named by the
// environment variable VIDX_FFMPEG_LOG ("error", "warning", "info", "verbose", "debug") when
// that is set. Safe to call from any thread, any number of times.
void ConfigureLogging();

}  // namespace ffmpeg
}  // namespace vidx

#endif  // VIDX_INDEXER_VIDEO_FFMPEG_PTR_H_
