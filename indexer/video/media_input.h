// MediaInput: an FFmpeg demuxer opened the safe way, shared by the frame sampler and the image
// loader.
//
//  * The path must name an existing, non-empty regular file (FIFOs and devices are refused, so
//    an open can never block).
//  * Only the `file` protocol is allowed, and the container format is probed by vidx itself
//    and checked against an allowlist *before* the demuxer reads its header: playlist-like
//    demuxers (hls, dash, concat, image sequences, sdp, ...) that would open other files or
//    the network are refused with kUnsupported.
//  * probesize/formatprobesize are capped; a wall-clock deadline is enforced through
//    AVIOInterruptCB (FFmpeg calls then fail and the caller reports kDeadlineExceeded).
//
// Thread-safety: one MediaInput is used by one thread at a time. Distinct objects are
// independent.
#ifndef VIDX_INDEXER_VIDEO_MEDIA_INPUT_H_
#define VIDX_INDEXER_VIDEO_MEDIA_INPUT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "indexer/video/ffmpeg_ptr.h"

namespace vidx {

// A wall-clock budget. Expired() is cheap; it is also the FFmpeg interrupt callback's answer.
class Deadline {
 public:
  explicit Deadline(double seconds);
  bool Expired() const { return std::chrono::steady_clock::now() > end_; }
  // AVIOInterruptCB::callback; `opaque` is a const Deadline*.
  static int InterruptCallback(void* opaque);

 private:
  std::chrono::steady_clock::time_point end_;
};

enum class MediaKind {
  kVideo,  // containers and elementary video streams; must hold a (non cover-art) video stream
  kImage,  // single still images (png, jpeg, bmp, webp, tiff, ...) read from the file itself
};

struct MediaInputOptions {
  MediaKind kind = MediaKind::kVideo;
  int64_t max_probe_bytes = 5 << 20;
  int max_dimension = 8192;
  double max_seconds = 120;
};

class MediaInput {
 public:
  // Opens `path`. Fails with kNotFound/kIoError (cannot open), kCorruption (empty or not a
  // recognisable media file), kUnsupported (refused format, no video stream),
  // kResourceExhausted (picture larger than max_dimension), kDeadlineExceeded.
  static StatusOr<std::unique_ptr<MediaInput>> Open(const std::string& path,
                                                    const MediaInputOptions& options);

  MediaInput(const MediaInput&) = delete;
  MediaInput& operator=(const MediaInput&) = delete;
  ~MediaInput() = default;

  AVFormatContext* format() const { return format_.get(); }
  AVStream* stream() const { return format_->streams[stream_index_]; }
  int stream_index() const { return stream_index_; }
  const std::string& path() const { return path_; }
  const Deadline& deadline() const { return *deadline_; }
  const MediaInputOptions& options() const { return options_; }

  // Opens a decoder for stream() with at most options().max_dimension² pixels per picture.
  // `threads` 0 = FFmpeg's automatic choice.
  StatusOr<ffmpeg::CodecContextPtr> OpenDecoder(int threads) const;

  // Turns a failed FFmpeg call into a Status naming the file: kDeadlineExceeded when the
  // deadline has passed, otherwise `code` with "<path>: <what>: <ffmpeg message>".
  Status Error(StatusCode code, const std::string& what, int averror) const;

 private:
  MediaInput(std::string path, const MediaInputOptions& options);
  Status DoOpen();
  Status PickVideoStream(bool final_answer);
  Status CheckDimensions(int width, int height) const;

  std::string path_;
  MediaInputOptions options_;
  // Destruction order matters: format_ (uses io_ and deadline_) goes first, deadline_ last.
  std::unique_ptr<Deadline> deadline_;
  ffmpeg::IoContextPtr io_;
  ffmpeg::InputFormatPtr format_;
  int stream_index_ = -1;
};

// The allowlisted demuxer names for `kind`, comma-separated (FFmpeg's format_whitelist syntax).
const char* AllowedFormats(MediaKind kind);

}  // namespace vidx

#endif  // VIDX_INDEXER_VIDEO_MEDIA_INPUT_H_
