// Test support for the scale-out tests (tests/scale_out_test.cpp, tests/slurm_test.cpp): a
// small library of generated videos and a picture of each, configurations for the tiny CLIP
// model, and what two state directories are compared by — the files of the active
// generation, its vector count, and the top-1 file and moment of an `--image` query per file.
#ifndef VIDX_TESTS_SCALE_OUT_SUPPORT_H_
#define VIDX_TESTS_SCALE_OUT_SUPPORT_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace vidx::testing {

struct ScaleOutLibrary {
  std::string dir;                    // work directory
  std::string library;                // dir/lib: the videos
  std::vector<std::string> videos;    // in dir/lib
  std::vector<std::string> pictures;  // one frame of each video, dir/pictures/p<i>.png
  std::string model;                  // dir/models/tiny_c
  std::string other_model;            // dir/models/tiny_c2: another fingerprint
};

// Makes `n` videos of 2 s, their pictures and the two tiny models under `dir`. Returns ""
// on success, else what failed.
std::string MakeScaleOutLibrary(const std::string& dir, int n, ScaleOutLibrary* lib);

// Writes a configuration (state_dir, model, 1 fps, library root) to `path`.
void WriteScaleOutConfig(const std::string& path, const std::string& state_dir,
                         const std::string& model, const std::string& library);

struct TopHit {
  std::string path;
  double start = -1, end = -1;
  bool operator==(const TopHit& o) const {
    return path == o.path && start == o.start && end == o.end;
  }
};

// What a comparison of two state directories looks at.
struct IndexSummary {
  std::set<std::string> files;  // indexed paths of the active generation
  uint64_t vectors = 0;
  std::string fingerprint;
  std::vector<TopHit> top;  // per picture, in order
};

// Reads `state_dir`'s catalog (read-only) and runs `vidx --config CONFIG search --image P
// --json -k 1` for each picture. `error` gets what failed (empty when nothing did).
IndexSummary SummariseIndex(const std::string& vidx, const std::string& config,
                            const std::string& state_dir, const std::vector<std::string>& pictures,
                            std::string* error);

// Every key and value of `state_dir`'s catalog except the checkpoint-hash cache and the
// format key, as text: two catalogs with equal dumps hold the same records and vectors.
std::map<std::string, std::string> DumpCatalog(const std::string& state_dir);

}  // namespace vidx::testing

#endif  // VIDX_TESTS_SCALE_OUT_SUPPORT_H_
