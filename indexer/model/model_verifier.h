// VerifyModel: everything DESIGN §4 demands before a model may produce vectors, in one call:
// strict load (full report), checkpoint sha256 (through a cache), determinism probe, feature
// fingerprint. `vidx model verify` prints its result; the indexer and the daemon load their
// model through it and refuse to run when it is not ok.
//
// Thread-safety: VerifyModel may run concurrently with itself on different options.
#ifndef VIDX_INDEXER_MODEL_MODEL_VERIFIER_H_
#define VIDX_INDEXER_MODEL_MODEL_VERIFIER_H_

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "indexer/model/checkpoint_hash.h"
#include "indexer/model/clip_encoder.h"
#include "indexer/model/load_report.h"
#include "indexer/model/tokenizer.h"

namespace vidx {

// The sampling settings that decide which frames become vectors (part of the fingerprint).
struct SamplingSpec {
  double fps = 0.5;
  int max_frames = 512;
  double keyframe_tolerance = -1;  // < 0: auto = half the sampling interval
  int clip_frames = 1;
};

// On CUDA the probe may differ in the last bits between runs; this is the largest absolute
// difference per embedding component accepted there. On CPU the two runs must be bit-identical.
constexpr float kCudaProbeTolerance = 1e-3f;

struct ModelVerification {
  // True when the model loaded strictly, its probe is deterministic and its tokenizer loaded.
  bool ok = false;
  // The first reason it is not ok, one sentence naming the file or key (empty when ok).
  std::string error;
  LoadReport report;
  std::string checkpoint_sha256;  // empty when hashing failed
  bool hash_from_cache = false;
  bool deterministic = false;
  std::string fingerprint;  // empty unless loaded and hashed
  ClipProbe probe;
  std::unique_ptr<ClipEncoder> encoder;    // set when ok
  std::unique_ptr<Tokenizer> tokenizer;    // set when ok
  double load_seconds = 0, hash_seconds = 0, probe_seconds = 0;
};

// `cache` may be null; `rehash` ignores and refreshes cached checkpoint hashes.
ModelVerification VerifyModel(const ClipEncoderOptions& options, const SamplingSpec& sampling,
                              HashCache* cache, bool rehash);

// The model directory's tokenizer: vocab.json + merges.txt (Hugging Face), else
// bpe_simple_vocab_16e6.txt.gz (OpenAI). kNotFound names the directory when neither is there.
StatusOr<std::unique_ptr<Tokenizer>> LoadModelTokenizer(const std::string& model_dir);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_MODEL_VERIFIER_H_
