// Helpers shared by the model tests: where the tiny models are and how to read their raw files.
#ifndef VIDX_INDEXER_MODEL_MODEL_TEST_UTIL_H_
#define VIDX_INDEXER_MODEL_MODEL_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace vidx {
namespace testing_util {

// Directory written by tools/make_tiny_clip.py (the CTest fixture model_tiny_clip_fixture).
inline std::string TinyModels() { return VIDX_TINY_MODELS_DIR; }

inline bool TinyModelsPresent() { return std::ifstream(TinyModels() + "/STAMP").good(); }

inline const char* kNoTinyModels =
    "tiny CLIP models are missing: run the tests through ctest (fixture model_tiny_clip_fixture) "
    "or .venv/bin/python indexer/model/tools/make_tiny_clip.py --out " VIDX_TINY_MODELS_DIR;

template <typename T>
std::vector<T> ReadRaw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

}  // namespace testing_util
}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_MODEL_TEST_UTIL_H_
