// VerifyModel: everything a model must pass before it may produce vectors, in one call:
// strict load through the family registry (full report), checkpoint sha256 (through a cache),
// determinism probe, feature fingerprint. `vidx model verify` prints its result; the indexer
// and the daemon load their model through it and refuse to run when it is not ok.
//
// Thread-safety: VerifyModel may run concurrently with itself on different options.
#ifndef VIDX_INDEXER_MODEL_MODEL_VERIFIER_H_
#define VIDX_INDEXER_MODEL_MODEL_VERIFIER_H_

#include <memory>
#include <string>

#include "common/sampling_settings.h"
#include "indexer/model/checkpoint_hash.h"
#include "indexer/model/embedder.h"
#include "indexer/model/load_report.h"

namespace vidx {

// On CUDA the probe may differ in the last bits between runs; this is the largest absolute
// difference per embedding component accepted there. On CPU the two runs must be bit-identical.
constexpr float kCudaProbeTolerance = 1e-3f;

struct ModelVerification {
  // True when the model (and its tokenizer) loaded strictly and its probe is deterministic.
  bool ok = false;
  // The first reason it is not ok, one sentence naming the file or key (empty when ok).
  std::string error;
  LoadReport report;
  std::string checkpoint_sha256;  // empty when hashing failed
  bool hash_from_cache = false;
  bool deterministic = false;
  std::string fingerprint;  // empty unless loaded and hashed
  EmbedderProbe probe;
  std::unique_ptr<Embedder> embedder;  // set when ok
  double load_seconds = 0, hash_seconds = 0, probe_seconds = 0;
};

// The fingerprint of vectors made by a model described by `model_description`
// (Embedder::Describe) from weights hashing to `checkpoint_sha256`, with `sampling`.
std::string FeatureFingerprint(const std::string& checkpoint_sha256,
                               const std::string& model_description,
                               const SamplingSettings& sampling);

// `cache` may be null; `rehash` ignores and refreshes cached checkpoint hashes.
ModelVerification VerifyModel(const EmbedderOptions& options, const SamplingSettings& sampling,
                              HashCache* cache, bool rehash);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_MODEL_VERIFIER_H_
