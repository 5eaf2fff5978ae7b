// The model a configuration describes, loaded and verified once, with the sampler options
// that feed it: what `vidx index`, `vidx search` and the daemon all start from. The pipeline
// options and the query engine for a loaded model are assembled here too, so the command line
// and the daemon build them the same way.
//
// Thread-safety: plain values and functions; a LoadedModel's embedder is safe for concurrent
// use (const after loading).
#ifndef VIDX_APP_MODEL_SESSION_H_
#define VIDX_APP_MODEL_SESSION_H_

#include <atomic>
#include <memory>
#include <string>

#include "common/status.h"
#include "config/config.h"
#include "indexer/model/embedder.h"
#include "indexer/model/model_verifier.h"
#include "indexer/pipeline/pipeline.h"
#include "indexer/video/sampler.h"
#include "search/query_engine.h"

namespace vidx {

// The embedder options `model:` describes. model.threads 0 becomes the number of cores
// (LibTorch alone would start with one intra-op thread).
StatusOr<EmbedderOptions> EmbedderOptionsForConfig(const ModelOptions& m);

struct LoadedModel {
  std::string path;                // the model directory (model.path)
  ModelVerification verification;  // ok; embedder set
  SamplerOptions sampler;          // frames exactly as the embedder wants them
  const std::string& fingerprint() const { return verification.fingerprint; }
  const Embedder& embedder() const { return *verification.embedder; }
};

// Strict load + determinism probe + fingerprint (VerifyModel), then the sampler options.
// `cache` may be null. kFailedPrecondition "model PATH is not usable: REASON" when the model
// is refused; kUnsupported (naming the model) when the sampler cannot feed it.
StatusOr<std::shared_ptr<const LoadedModel>> LoadModelForConfig(const Config& config,
                                                                HashCache* cache);

// Options for indexing with `model`: the sampling the model was loaded with (its fingerprint
// covers it) and `config`'s model.batch_size, with
// `decode_workers` (>= 1) decode threads; `cancel` may be null (see PipelineOptions).
PipelineOptions MakePipelineOptions(const Config& config, const LoadedModel& model,
                                    int decode_workers, const std::atomic<bool>* cancel);

// A query engine searching `generation` (whose vectors are in `index`) with `model`. None
// owned: `model`, `catalog`, `index` and `gate` (may be null; QueryEngine) must outlive the
// engine.
std::unique_ptr<QueryEngine> MakeQueryEngine(const LoadedModel& model, const Catalog* catalog,
                                             const Generation& generation, const VectorIndex* index,
                                             InferenceGate* gate = nullptr);

}  // namespace vidx

#endif  // VIDX_APP_MODEL_SESSION_H_
