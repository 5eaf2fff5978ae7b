#include "indexer/pipeline/frame_source.h"

#include <utility>

namespace vidx {
namespace {

class SamplerFrameSource final : public FrameSource {
 public:
  explicit SamplerFrameSource(SamplerOptions options) : sampler_(std::move(options)) {}
  Status Sample(const std::string& path, VideoInfo* info, const FrameSink& sink) const override {
    return sampler_.Sample(path, info, sink);
  }

 private:
  const FrameSampler sampler_;
};

}  // namespace

std::unique_ptr<FrameSource> NewSamplerFrameSource(SamplerOptions options) {
  return std::make_unique<SamplerFrameSource>(std::move(options));
}

}  // namespace vidx
