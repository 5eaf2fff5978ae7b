// SamplingSettings: the user-facing settings that decide which frames of a video become
// vectors. The single definition shared by the configuration (`sampling:` in the YAML), the
// frame sampler (SamplerOptions wraps it with its output-size and safety limits) and the
// feature fingerprint (every field is part of it, keyframe_tolerance resolved; skip_similar
// only when on, so that fingerprints made before it existed stay the same).
//
// Thread-safety: a plain value.
#ifndef VIDX_COMMON_SAMPLING_SETTINGS_H_
#define VIDX_COMMON_SAMPLING_SETTINGS_H_

namespace vidx {

struct SamplingSettings {
  double fps = 0.5;                // frames sampled per second of video, > 0
  int max_frames = 512;            // per file, > 0
  double keyframe_tolerance = -1;  // seconds; < 0 = auto (half the sampling interval), 0 = exact
  int clip_frames = 1;             // consecutive frames pooled into one vector, >= 1
                                   // (read by the pipeline, not by the sampler)
  // 0 = off. Otherwise a sampled frame whose 32x32 grey copy differs from the one of the last
  // frame kept for its file by at most this many grey levels (0..255, mean absolute
  // difference) is not embedded: the kept frame's segment is extended over it. Read by the
  // pipeline's decode workers (indexer/pipeline/similar_frames.h), not by the sampler.
  double skip_similar = 0;

  // keyframe_tolerance with "auto" turned into seconds. REQUIRES: fps > 0.
  double ResolvedKeyframeTolerance() const {
    return keyframe_tolerance < 0 ? 0.5 / fps : keyframe_tolerance;
  }
};

}  // namespace vidx

#endif  // VIDX_COMMON_SAMPLING_SETTINGS_H_
