#include "indexer/model/model_verifier.h"

#include <chrono>
#include <cmath>
#include <cstring>

#include "indexer/model/embedder_registry.h"
#include "indexer/model/fingerprint.h"

namespace vidx {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool SameProbe(const EmbedderProbe& a, const EmbedderProbe& b, bool exact) {
  auto same = [exact](const std::vector<float>& x, const std::vector<float>& y) {
    if (x.size() != y.size()) return false;
    if (exact) return x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!(std::fabs(x[i] - y[i]) <= kCudaProbeTolerance)) return false;
    }
    return true;
  };
  return same(a.image, b.image) && same(a.text, b.text);
}

}  // namespace

std::string FeatureFingerprint(const std::string& checkpoint_sha256,
                               const std::string& model_description,
                               const SamplingSettings& sampling) {
  FeatureSpec spec;
  spec.checkpoint_sha256 = checkpoint_sha256;
  spec.model = model_description;
  spec.sampling = sampling;
  spec.sampling.keyframe_tolerance = sampling.ResolvedKeyframeTolerance();
  spec.pooling = sampling.clip_frames > 1 ? "mean-of-normalised-then-normalise" : "none";
  return Fingerprint(spec);
}

ModelVerification VerifyModel(const EmbedderOptions& options, const SamplingSettings& sampling,
                              HashCache* cache, bool rehash) {
  ModelVerification v;
  auto start = std::chrono::steady_clock::now();
  StatusOr<std::unique_ptr<Embedder>> embedder = LoadEmbedder(options, &v.report);
  v.load_seconds = SecondsSince(start);
  if (!embedder.ok()) {
    v.error = embedder.status().message();
    return v;
  }

  start = std::chrono::steady_clock::now();
  StatusOr<CheckpointHash> hash = HashCheckpoint((*embedder)->checkpoint_files(), cache, rehash);
  v.hash_seconds = SecondsSince(start);
  if (!hash.ok()) {
    v.error = hash.status().message();
    return v;
  }
  v.checkpoint_sha256 = hash->sha256;
  v.hash_from_cache = hash->from_cache;

  start = std::chrono::steady_clock::now();
  StatusOr<EmbedderProbe> first = (*embedder)->Probe();
  StatusOr<EmbedderProbe> second = (*embedder)->Probe();
  v.probe_seconds = SecondsSince(start);
  if (!first.ok() || !second.ok()) {
    v.error = (first.ok() ? second.status() : first.status()).message();
    return v;
  }
  const bool on_cpu = (*embedder)->device() == "cpu";
  v.deterministic = SameProbe(*first, *second, on_cpu);
  v.probe = std::move(*first);
  v.fingerprint = FeatureFingerprint(v.checkpoint_sha256, (*embedder)->Describe(), sampling);

  if (!v.deterministic) {
    v.error = "the model gave different embeddings for the same probe on two runs (" +
              std::string(on_cpu ? "bit-exact required on cpu" : "tolerance exceeded") + ")";
    return v;
  }
  v.embedder = std::move(*embedder);
  v.ok = true;
  return v;
}

}  // namespace vidx
