// DecodeFrameAt: the one frame a player shows at a given time (thumbnails for the web UI).
//
//  * The file is opened exactly as FrameSampler opens it (MediaInput: `file` protocol only,
//    the container allowlist that refuses playlists, probe size, pixel and wall-time limits)
//    and the picture goes through the sampler's conversion (FrameConverter: sample aspect
//    ratio and display-matrix rotation applied, packed RGB24).
//  * Which frame: the one whose presentation interval covers `seconds`, i.e. the last frame
//    presented at or before it; past the end, the last frame; before the first frame, the
//    first. `seconds` counts from the start of the presentation, as the sampler's times do.
//  * How: seek to the keyframe before the time and decode forward; a file without a keyframe
//    index (MPEG-TS) is searched the way the sampler searches it. The whole file is decoded
//    only when the index or the seek turn out to be wrong.
//
// Thread-safety: a free function without shared state; calls may run concurrently.
#ifndef VIDX_INDEXER_VIDEO_FRAME_AT_H_
#define VIDX_INDEXER_VIDEO_FRAME_AT_H_

#include <cstdint>
#include <string>

#include "common/status.h"
#include "indexer/video/sampler.h"

namespace vidx {

struct FrameAtOptions {
  // Output width in pixels, the height in proportion rounded to an even number (at most
  // FrameConverter::kMaxScaledHeight); 0 = the displayed size.
  int width = 0;
  int64_t max_probe_bytes = 5 << 20;  // bytes FFmpeg may read to find the streams
  int max_dimension = 8192;           // refuse streams wider or taller than this
  double max_seconds = 20;            // wall-clock budget; past it, kDeadlineExceeded
  int decode_threads = 1;             // decoder threads; 0 = FFmpeg's automatic choice
};

// The frame shown at `seconds` in the video at `path`. Frame.t is the presentation time of the
// frame delivered, Frame.target is `seconds`. `info` (may be null) receives what the sampler
// reports about the file.
// Errors: kInvalidArgument (`seconds` negative or not finite, a negative width), MediaInput's
// errors (kNotFound, kIoError, kCorruption, kUnsupported, kResourceExhausted), kCorruption
// when no frame can be decoded, kDeadlineExceeded; each message names the file.
StatusOr<Frame> DecodeFrameAt(const std::string& path, double seconds,
                              const FrameAtOptions& options, VideoInfo* info = nullptr);

}  // namespace vidx

#endif  // VIDX_INDEXER_VIDEO_FRAME_AT_H_
