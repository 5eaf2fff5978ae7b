#include "app/model_session.h"

#include <thread>
#include <utility>

namespace vidx {

StatusOr<EmbedderOptions> EmbedderOptionsForConfig(const ModelOptions& m) {
  EmbedderOptions o;
  o.model_dir = m.path;
  StatusOr<KeyMapSpec> key_map = BuiltinKeyMap(m.key_map_base);
  if (!key_map.ok()) return key_map.status();
  o.key_map = *key_map;
  o.key_map.name = m.key_map;
  o.key_map.rules = m.key_map_rules;
  o.ignore_unexpected = m.ignore_unexpected;
  o.device = m.device;
  o.precision = m.precision;
  o.threads = m.threads > 0 ? m.threads : static_cast<int>(std::thread::hardware_concurrency());
  return o;
}

StatusOr<std::shared_ptr<const LoadedModel>> LoadModelForConfig(const Config& config,
                                                                HashCache* cache) {
  StatusOr<EmbedderOptions> options = EmbedderOptionsForConfig(config.model);
  if (!options.ok()) return options.status();
  auto model = std::make_shared<LoadedModel>();
  model->path = config.model.path;
  model->verification = VerifyModel(*options, config.sampling, cache, false);
  if (!model->verification.ok) {
    return Status::FailedPrecondition("model " + config.model.path +
                                      " is not usable: " + model->verification.error);
  }
  StatusOr<SamplerOptions> sampler = SamplerOptionsForModel(model->embedder(), config.sampling);
  if (!sampler.ok()) return sampler.status().WithContext(config.model.path);
  sampler->decode_threads = 1;  // parallelism comes from the pipeline's decode workers
  model->sampler = *sampler;
  return std::shared_ptr<const LoadedModel>(std::move(model));
}

PipelineOptions MakePipelineOptions(const Config& config, const LoadedModel& model,
                                    int decode_workers, const std::atomic<bool>* cancel) {
  PipelineOptions po;
  // The model's own sampling (clip_frames included), never the configuration's: during a
  // reindex the configuration already describes the generation being built, while `model` may
  // be the one of the generation in service.
  po.sampler = model.sampler;
  po.batch_size = config.model.batch_size;
  po.decode_workers = decode_workers;
  po.cancel = cancel;
  return po;
}

std::unique_ptr<QueryEngine> MakeQueryEngine(const LoadedModel& model, const Catalog* catalog,
                                             const Generation& generation, const VectorIndex* index,
                                             InferenceGate* gate) {
  return std::make_unique<QueryEngine>(&model.embedder(), model.fingerprint(), catalog, generation,
                                       index, model.sampler, gate);
}

}  // namespace vidx
