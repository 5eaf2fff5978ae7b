#include "indexer/video/frame_at.h"

#include <cmath>
#include <utility>

#include "indexer/video/media_input.h"
#include "indexer/video/sampling_run.h"

namespace vidx {

StatusOr<Frame> DecodeFrameAt(const std::string& path, double seconds,
                              const FrameAtOptions& options, VideoInfo* info) {
  ffmpeg::ConfigureLogging();
  if (info != nullptr) {
    *info = VideoInfo();
    info->path = path;
  }
  if (!std::isfinite(seconds) || seconds < 0) {
    return Status::InvalidArgument(path + ": the time " + std::to_string(seconds) +
                                   " is not a number of seconds from the start");
  }
  if (options.width < 0 || options.max_dimension <= 0) {
    return Status::InvalidArgument(path + ": invalid frame options (width " +
                                   std::to_string(options.width) + ", max_dimension " +
                                   std::to_string(options.max_dimension) + ")");
  }
  // The sampler's options with one output rule; its targets are computed and left unused.
  SamplerOptions sampler;
  sampler.output_size = 0;
  sampler.output_width = options.width;
  sampler.max_probe_bytes = options.max_probe_bytes;
  sampler.max_dimension = options.max_dimension;
  sampler.max_seconds = options.max_seconds;
  sampler.decode_threads = options.decode_threads;

  MediaInputOptions in_opts;
  in_opts.kind = MediaKind::kVideo;
  in_opts.max_probe_bytes = options.max_probe_bytes;
  in_opts.max_dimension = options.max_dimension;
  in_opts.max_seconds = options.max_seconds;
  auto input = MediaInput::Open(path, in_opts);
  if (!input.ok()) return input.status();

  Frame out;
  bool delivered = false;
  const FrameSink sink = [&out, &delivered](Frame&& frame) {
    out = std::move(frame);
    delivered = true;
    return Status::Ok();
  };
  SampleStats stats;
  video_internal::SamplingRun run(sampler, input.value().get(), sink, &stats);
  VIDX_RETURN_IF_ERROR(run.Init(info));
  VIDX_RETURN_IF_ERROR(run.RunFrameAt(seconds));
  if (!delivered) return Status::Corruption(path + ": no video frame could be decoded");
  return out;
}

}  // namespace vidx
