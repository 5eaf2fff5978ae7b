#include "app/model_session.h"

#include <thread>
#include <utility>

#include "indexer/model/clip_config.h"
#include "indexer/pipeline/pipeline.h"

namespace vidx {

StatusOr<ClipEncoderOptions> EncoderOptions(const ModelOptions& m) {
  ClipEncoderOptions o;
  o.model_dir = m.path;
  StatusOr<KeyMapSpec> key_map = BuiltinKeyMap(m.key_map_base);
  if (!key_map.ok()) return key_map.status();
  o.key_map = *key_map;
  o.key_map.name = m.key_map;
  for (const KeyRenameRule& r : m.key_map_rules) {
    RenameRule rule;
    rule.kind = r.regex ? RenameRule::Kind::kRegex : RenameRule::Kind::kPrefix;
    rule.from = r.from;
    rule.to = r.to;
    o.key_map.rules.push_back(std::move(rule));
  }
  o.ignore_unexpected = m.ignore_unexpected;
  o.device = m.device;
  o.precision = m.precision;
  o.threads = m.threads > 0 ? m.threads : static_cast<int>(std::thread::hardware_concurrency());
  return o;
}

SamplingSpec Sampling(const SamplingOptions& s) {
  SamplingSpec spec;
  spec.fps = s.fps;
  spec.max_frames = s.max_frames;
  spec.keyframe_tolerance = s.keyframe_tolerance;
  spec.clip_frames = s.clip_frames;
  return spec;
}

StatusOr<std::shared_ptr<const LoadedModel>> LoadModelForConfig(const Config& config,
                                                                HashCache* cache) {
  StatusOr<ClipEncoderOptions> options = EncoderOptions(config.model);
  if (!options.ok()) return options.status();
  auto model = std::make_shared<LoadedModel>();
  model->verification = VerifyModel(*options, Sampling(config.sampling), cache, false);
  if (!model->verification.ok) {
    return Status::FailedPrecondition("model " + config.model.path +
                                      " is not usable: " + model->verification.error);
  }
  StatusOr<SamplerOptions> sampler =
      SamplerOptionsForModel(model->encoder(), config.sampling.fps, config.sampling.max_frames,
                             config.sampling.keyframe_tolerance);
  if (!sampler.ok()) return sampler.status().WithContext(config.model.path);
  sampler->decode_threads = 1;  // parallelism comes from the pipeline's decode workers
  model->sampler = *sampler;
  return std::shared_ptr<const LoadedModel>(std::move(model));
}

}  // namespace vidx
