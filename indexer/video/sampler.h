// FrameSampler: chooses target times in a video and decodes the frames nearest to them.
//
// Contract (see docs/sampling.md):
//  * Targets are chosen first from the stream's real duration: one every 1/fps seconds
//    starting at 0, at most max_frames of them (spread uniformly beyond that), and at least
//    one for every decodable video however short.
//  * A keyframe within `keyframe_tolerance` seconds of a target is decoded alone; otherwise
//    the sampler seeks to the keyframe before the target and decodes forward. Each keyframe
//    serves at most one target. The whole file is never decoded when targets are sparse.
//  * Reported times are presentation times of the frames actually decoded, in seconds from
//    the start of the presentation (a stream whose first timestamp is 5 s reports 0).
//  * Output pixels are packed RGB24, upright (rotation metadata applied), with square pixels
//    (sample aspect ratio applied); when `output_size` > 0 the shortest side is resized to
//    `resize_shortest` (default: output_size; bicubic) and the centre is cropped to
//    output_size x output_size. When `prepare` is set, swscale only converts (at the displayed
//    size) and `prepare` resizes instead: that is how frames for a model are made
//    (SamplerOptionsForModel), with the model's own resize.
//  * Only the `file` protocol is used and playlist-like demuxers (HLS, concat, ...) are
//    refused, so a media file can never make vidx read another file or the network.
//  * Limits: probe size, width/height (max_dimension), and wall time per file.
//
// Thread-safety: a FrameSampler is immutable after construction; Sample() may be called
// from several threads at once (each call opens its own FFmpeg contexts).
// Failures: Sample() returns a non-OK Status whose message names the file and says what is
// wrong in one sentence; nothing a file contains may crash the process.
#ifndef VIDX_INDEXER_VIDEO_SAMPLER_H_
#define VIDX_INDEXER_VIDEO_SAMPLER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/sampling_settings.h"
#include "common/status.h"

namespace vidx {

struct Frame {
  double t = 0;       // presentation time of the decoded frame, seconds from start
  double target = 0;  // the target time it was chosen for
  int width = 0;      // of `rgb`
  int height = 0;
  std::vector<uint8_t> rgb;  // packed RGB24, row-major, width*height*3 bytes
};

struct SamplerOptions {
  // fps, max_frames, keyframe_tolerance (clip_frames is not the sampler's business).
  SamplingSettings sampling;
  int output_size = 224;  // square output side; 0 = keep the displayed size, no crop
  // Shortest side before the centre crop (CLIP's "shortest_edge" when it differs from the
  // crop). 0 (default) = output_size. When > 0 it must be >= output_size; ignored when
  // output_size is 0.
  int resize_shortest = 0;
  // Only when output_size is 0: > 0 scales the displayed picture to this width, aspect kept,
  // the height rounded to an even number (thumbnails); 0 keeps the displayed size.
  int output_width = 0;
  // When set, replaces the swscale resize and crop: each frame is converted at its displayed
  // size (output_width and resize_shortest ignored), then handed to `prepare`, which resizes
  // it in place and must leave it output_size x output_size when output_size > 0 (otherwise
  // the file fails with kInternal). A non-OK Status fails the file, with the file's name
  // added. Called from the thread that runs Sample(), so it must be safe to call from several
  // threads at once.
  std::function<Status(Frame* frame)> prepare;
  int64_t max_probe_bytes = 5 << 20;  // bytes FFmpeg may read to find the streams
  int max_dimension = 8192;           // refuse streams wider or taller than this
  double max_seconds = 120;           // wall-clock budget for one file; past it, kDeadlineExceeded
  int decode_threads = 0;             // decoder threads; 0 = FFmpeg's automatic choice
};

// What the sampler learnt about the file.
struct VideoInfo {
  std::string path;
  double duration = 0;  // seconds, presentation duration
  int width = 0;        // as displayed: after rotation and sample aspect ratio
  int height = 0;
  std::string codec;       // FFmpeg codec name, e.g. "h264"
  std::string format;      // FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  int rotation = 0;        // clockwise degrees applied to the stored picture (0/90/180/270)
  bool has_index = false;  // the container listed its keyframes (seeks are planned with them)
};

// Counters for benchmarks and logs.
struct SampleStats {
  int64_t packets_read = 0;
  int64_t frames_decoded = 0;
  int64_t seeks = 0;
  int keyframe_hits = 0;  // targets served by a keyframe within tolerance
};

// Called once per delivered frame, in increasing time order. Returning a non-OK Status stops
// sampling and Sample() returns that Status.
using FrameSink = std::function<Status(Frame&& frame)>;

class FrameSampler {
 public:
  explicit FrameSampler(SamplerOptions options);

  const SamplerOptions& options() const { return options_; }

  // Opens `path`, fills `*info` (if not null) as soon as the stream is known, then delivers
  // frames to `sink`. `stats` may be null.
  Status Sample(const std::string& path, VideoInfo* info, const FrameSink& sink,
                SampleStats* stats = nullptr) const;

  // Convenience: collects every frame in memory.
  Status SampleAll(const std::string& path, VideoInfo* info, std::vector<Frame>* frames,
                   SampleStats* stats = nullptr) const;

 private:
  SamplerOptions options_;
};

// The target times for a video of `duration` seconds (exposed for tests and benchmarks).
std::vector<double> ChooseTargets(double duration, double fps, int max_frames);

}  // namespace vidx

#endif  // VIDX_INDEXER_VIDEO_SAMPLER_H_
