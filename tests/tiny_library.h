// Test support: what a daemon-level test needs on disk — copies of the tiny model (the
// vidx_tiny_clip fixture) with the real CLIP vocabulary, a second checkpoint of the same
// architecture, a set of small distinct videos, and a daemon configuration.
#ifndef VIDX_TESTS_TINY_LIBRARY_H_
#define VIDX_TESTS_TINY_LIBRARY_H_

#include <string>
#include <vector>

namespace vidx::testing {

// ../shared/data/clip/bpe_simple_vocab_16e6.txt.gz, relative to the repository root.
extern const char kClipVocab[];

// Copies `tiny_models_dir`/tiny_c to `dir`/tiny_c and `dir`/tiny_c2, the latter with one
// weight changed in its lowest mantissa bit (another checkpoint, so another fingerprint).
// Returns an empty string on success, else what failed.
std::string MakeTinyModels(const std::string& tiny_models_dir, const std::string& dir);

// `n` distinct videos of `seconds` each (64x48, 5 fps, H.264, one keyframe a second) as
// `dir`/v<i>.mp4, made by one ffmpeg run; existing files are kept (a cache). `paths` gets
// them in order. Returns an empty string on success, else ffmpeg's complaint.
std::string MakeVideos(const std::string& dir, int n, double seconds,
                       std::vector<std::string>* paths);

struct DaemonConfig {
  std::string state_dir, library, socket, model;
  double fps = 1;
  double settle_seconds = 0.5;
  int batch_size = 8;
  std::string precision;                   // model.precision; empty: not written (auto)
  double snapshot_interval = 60;           // daemon.snapshot_interval
  std::string web_listen = "127.0.0.1:0";  // web.listen: any free port, so tests run in parallel
};
// Writes `c` as YAML to `path`.
void WriteDaemonConfig(const std::string& path, const DaemonConfig& c);

}  // namespace vidx::testing

#endif  // VIDX_TESTS_TINY_LIBRARY_H_
