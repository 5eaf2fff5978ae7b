#include "indexer/model/model_verifier.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <future>

#include "indexer/model/fingerprint.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool SameProbe(const ClipProbe& a, const ClipProbe& b, bool exact) {
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

StatusOr<std::unique_ptr<Tokenizer>> LoadModelTokenizer(const std::string& model_dir) {
  fs::path dir(model_dir);
  std::error_code ec;
  if (fs::exists(dir / "vocab.json", ec) && fs::exists(dir / "merges.txt", ec)) {
    return Tokenizer::FromHfFiles((dir / "vocab.json").string(), (dir / "merges.txt").string());
  }
  if (fs::exists(dir / "bpe_simple_vocab_16e6.txt.gz", ec)) {
    return Tokenizer::FromOpenAiVocab((dir / "bpe_simple_vocab_16e6.txt.gz").string());
  }
  return Status::NotFound(model_dir + " has no tokenizer: expected vocab.json and merges.txt, "
                                      "or bpe_simple_vocab_16e6.txt.gz");
}

ModelVerification VerifyModel(const ClipEncoderOptions& options, const SamplingSpec& sampling,
                              HashCache* cache, bool rehash) {
  ModelVerification v;
  // The tokenizer does not depend on the weights: it is read and checked on a second thread
  // while the weights load (mostly page mapping, one core) and the probe runs.
  std::future<StatusOr<std::unique_ptr<Tokenizer>>> tokenizer_future = std::async(
      std::launch::async, [dir = options.model_dir] { return LoadModelTokenizer(dir); });
  auto start = std::chrono::steady_clock::now();
  StatusOr<std::unique_ptr<ClipEncoder>> encoder = ClipEncoder::Load(options, &v.report);
  v.load_seconds = SecondsSince(start);
  if (!encoder.ok()) {
    v.error = encoder.status().message();
    return v;
  }

  start = std::chrono::steady_clock::now();
  StatusOr<std::vector<std::string>> weights = ClipWeightFiles(options);
  if (!weights.ok()) {
    v.error = weights.status().message();
    return v;
  }
  StatusOr<CheckpointHash> hash = HashCheckpoint(*weights, cache, rehash);
  v.hash_seconds = SecondsSince(start);
  if (!hash.ok()) {
    v.error = hash.status().message();
    return v;
  }
  v.checkpoint_sha256 = hash->sha256;
  v.hash_from_cache = hash->from_cache;

  start = std::chrono::steady_clock::now();
  StatusOr<ClipProbe> first = (*encoder)->Probe();
  StatusOr<ClipProbe> second = (*encoder)->Probe();
  v.probe_seconds = SecondsSince(start);
  if (!first.ok() || !second.ok()) {
    v.error = (first.ok() ? second.status() : first.status()).message();
    return v;
  }
  const bool on_cpu = (*encoder)->device() == "cpu";
  v.deterministic = SameProbe(*first, *second, on_cpu);
  v.probe = std::move(*first);

  FeatureSpec spec;
  spec.checkpoint_sha256 = v.checkpoint_sha256;
  spec.model = (*encoder)->Describe();
  spec.fps = sampling.fps;
  spec.max_frames = sampling.max_frames;
  spec.keyframe_tolerance =
      sampling.keyframe_tolerance < 0 ? 0.5 / sampling.fps : sampling.keyframe_tolerance;
  spec.clip_frames = sampling.clip_frames;
  spec.pooling = sampling.clip_frames > 1 ? "mean-of-normalised-then-normalise" : "none";
  v.fingerprint = Fingerprint(spec);

  if (!v.deterministic) {
    v.error = "the model gave different embeddings for the same probe on two runs (" +
              std::string(on_cpu ? "bit-exact required on cpu" : "tolerance exceeded") + ")";
    return v;
  }
  StatusOr<std::unique_ptr<Tokenizer>> tokenizer = tokenizer_future.get();
  if (!tokenizer.ok()) {
    v.error = tokenizer.status().message();
    return v;
  }
  const int model_vocab = (*encoder)->config().text.vocab_size;
  if (static_cast<int>((*tokenizer)->vocab_size()) != model_vocab) {
    v.error = "the tokenizer in " + options.model_dir + " has " +
              std::to_string((*tokenizer)->vocab_size()) +
              " tokens but config.json's text_config.vocab_size is " +
              std::to_string(model_vocab);
    return v;
  }
  v.encoder = std::move(*encoder);
  v.tokenizer = std::move(*tokenizer);
  v.ok = true;
  return v;
}

}  // namespace vidx
