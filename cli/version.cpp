#include "cli/version.h"

#include "cli/build_info.h"

namespace vidx {

// Written by cmake/VidxGitRevision.cmake at build time (git_revision.cpp in the build tree).
extern const char kGitRevision[];

const char* VersionNumber() { return VIDX_VERSION; }

std::string VersionText() {
  return std::string("vidx ") + VIDX_VERSION + " (git " + kGitRevision + ")\n" +
         "built against LibTorch " + VIDX_BUILT_WITH_TORCH + ", FAISS " + VIDX_BUILT_WITH_FAISS +
         ", FFmpeg " + VIDX_BUILT_WITH_FFMPEG + ", RocksDB " + VIDX_BUILT_WITH_ROCKSDB;
}

}  // namespace vidx
