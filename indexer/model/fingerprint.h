// The feature fingerprint: a hash over the canonical description of everything
// that decides a vector. Two indexes with the same fingerprint hold vectors of one feature
// space; anything else must never be mixed.
//
// The description is plain text, one "key=value" line per input, in a fixed order, numbers in
// a locale-independent round-trippable form; the fingerprint is its sha256 (64 hex digits).
// Both are pure functions of FeatureSpec: identical across processes and machines.
//
// Thread-safety: pure functions.
#ifndef VIDX_INDEXER_MODEL_FINGERPRINT_H_
#define VIDX_INDEXER_MODEL_FINGERPRINT_H_

#include <string>
#include <vector>

#include "common/sampling_settings.h"

namespace vidx {

// Bumped whenever the code changes what a vector means for the same inputs (a different
// resize, a different pooling, a fixed bug in a tower). Part of every fingerprint.
//   2: indexed frames are resized and cropped by the model's own preprocessing code (the
//      Pillow-compatible bicubic that query pictures go through), no longer by swscale.
constexpr int kPipelineVersion = 2;

struct FeatureSpec {
  std::string checkpoint_sha256;  // of the weight file(s)
  // Canonical description of the model as loaded (Embedder::Describe): architecture from
  // config.json, preprocessing (size, crop, mean, std, interpolation), key map and its rules,
  // precision.
  std::string model;
  // Sampling, with keyframe_tolerance resolved (auto already turned into seconds).
  SamplingSettings sampling;
  std::string pooling;  // how clip_frames frames become one vector
  int pipeline_version = kPipelineVersion;
};

std::string CanonicalDescription(const FeatureSpec& spec);
std::string Fingerprint(const FeatureSpec& spec);

// Cosine similarity of two embeddings of equal length (0 when either is all zeros or the
// lengths differ). Used to compare probe embeddings across runs.
double Cosine(const std::vector<float>& a, const std::vector<float>& b);

// A stored probe embedding and a fresh one for the same fingerprint "drift" when their cosine
// falls below this: the weights or the code changed behind an unchanged fingerprint.
constexpr double kProbeDriftCosine = 0.9999;

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_FINGERPRINT_H_
