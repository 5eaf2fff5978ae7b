// The model a configuration describes, loaded and verified once, with the sampler options
// that feed it: what `vidx index`, `vidx search` and the daemon all start from.
//
// Thread-safety: plain values; a LoadedModel's encoder and tokenizer are safe for concurrent
// use (ClipEncoder and Tokenizer are const after loading).
#ifndef VIDX_APP_MODEL_SESSION_H_
#define VIDX_APP_MODEL_SESSION_H_

#include <memory>
#include <string>

#include "common/status.h"
#include "config/config.h"
#include "indexer/model/clip_encoder.h"
#include "indexer/model/model_verifier.h"
#include "indexer/video/sampler.h"

namespace vidx {

// The encoder options and sampling spec `model:` and `sampling:` describe. model.threads 0
// becomes the number of cores (LibTorch alone would start with one intra-op thread).
StatusOr<ClipEncoderOptions> EncoderOptions(const ModelOptions& m);
SamplingSpec Sampling(const SamplingOptions& s);

struct LoadedModel {
  ModelVerification verification;  // ok; encoder and tokenizer set
  SamplerOptions sampler;          // frames exactly as the encoder wants them
  const std::string& fingerprint() const { return verification.fingerprint; }
  const ClipEncoder& encoder() const { return *verification.encoder; }
  const Tokenizer& tokenizer() const { return *verification.tokenizer; }
};

// Strict load + determinism probe + fingerprint (VerifyModel), then the sampler options.
// `cache` may be null. kFailedPrecondition "model PATH is not usable: REASON" when the model
// is refused; kUnsupported (naming the model) when the sampler cannot feed it.
StatusOr<std::shared_ptr<const LoadedModel>> LoadModelForConfig(const Config& config,
                                                                HashCache* cache);

}  // namespace vidx

#endif  // VIDX_APP_MODEL_SESSION_H_
