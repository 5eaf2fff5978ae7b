// FrameSource: where the pipeline's decode workers get a file's frames. In production it is
// the FFmpeg FrameSampler; tests plug in synthetic frames so the pipeline runs without video.
//
// Thread-safety: Sample() is called from several decode workers at once, on different files.
#ifndef VIDX_INDEXER_PIPELINE_FRAME_SOURCE_H_
#define VIDX_INDEXER_PIPELINE_FRAME_SOURCE_H_

#include <memory>
#include <string>

#include "common/status.h"
#include "indexer/video/sampler.h"

namespace vidx {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // As FrameSampler::Sample: fills `*info` (not null) as soon as the stream is known, then
  // delivers frames in increasing time order to `sink`; a non-OK Status from `sink` stops
  // sampling and is returned. Errors name the file; kIoError means it could not be read.
  virtual Status Sample(const std::string& path, VideoInfo* info, const FrameSink& sink) const = 0;
};

// The FFmpeg sampler with `options` (see sampler.h).
std::unique_ptr<FrameSource> NewSamplerFrameSource(SamplerOptions options);

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_FRAME_SOURCE_H_
