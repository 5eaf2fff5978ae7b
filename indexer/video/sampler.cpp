#include "indexer/video/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "indexer/video/media_input.h"
#include "indexer/video/sampling_run.h"

namespace vidx {

std::vector<double> ChooseTargets(double duration, double fps, int max_frames) {
  if (!(fps > 0) || !std::isfinite(fps) || max_frames <= 0 || !(duration > 0) ||
      !std::isfinite(duration)) {
    return {0.0};
  }
  const double interval = 1.0 / fps;
  // One target every `interval` from 0 while it lies inside the video: 0, i, 2i, ... < duration.
  double count = std::ceil(duration / interval - 1e-9);
  if (count < 1) count = 1;
  std::vector<double> targets;
  if (count > max_frames) {
    targets.reserve(static_cast<size_t>(max_frames));
    for (int k = 0; k < max_frames; ++k) targets.push_back(duration * k / max_frames);
  } else {
    const int n = static_cast<int>(count);
    targets.reserve(static_cast<size_t>(n));
    for (int k = 0; k < n; ++k) targets.push_back(k * interval);
  }
  return targets;
}

FrameSampler::FrameSampler(SamplerOptions options) : options_(std::move(options)) {
  ffmpeg::ConfigureLogging();
}

Status FrameSampler::Sample(const std::string& path, VideoInfo* info, const FrameSink& sink,
                            SampleStats* stats) const {
  SampleStats local;
  if (stats == nullptr) stats = &local;
  *stats = SampleStats();
  if (info != nullptr) {
    *info = VideoInfo();
    info->path = path;
  }
  const SamplingSettings& s = options_.sampling;
  if (!(s.fps > 0) || !std::isfinite(s.fps) || s.max_frames <= 0 || options_.output_size < 0 ||
      options_.output_width < 0 || options_.max_dimension <= 0 ||
      (options_.resize_shortest != 0 && options_.output_size > 0 &&
       options_.resize_shortest < options_.output_size) ||
      !(s.keyframe_tolerance == s.keyframe_tolerance)) {
    return Status::InvalidArgument(
        path +
        ": invalid sampler options (fps and max_frames must "
        "be positive, output_size and output_width not negative, resize_shortest "
        "0 or at least output_size)");
  }
  MediaInputOptions in_opts;
  in_opts.kind = MediaKind::kVideo;
  in_opts.max_probe_bytes = options_.max_probe_bytes;
  in_opts.max_dimension = options_.max_dimension;
  in_opts.max_seconds = options_.max_seconds;
  auto input = MediaInput::Open(path, in_opts);
  if (!input.ok()) return input.status();
  video_internal::SamplingRun run(options_, input.value().get(), sink, stats);
  VIDX_RETURN_IF_ERROR(run.Init(info));
  return run.Run();
}

Status FrameSampler::SampleAll(const std::string& path, VideoInfo* info, std::vector<Frame>* frames,
                               SampleStats* stats) const {
  frames->clear();
  return Sample(
      path, info,
      [frames](Frame&& f) {
        frames->push_back(std::move(f));
        return Status::Ok();
      },
      stats);
}

}  // namespace vidx
