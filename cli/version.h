// What `vidx --version` prints: the version, the git revision it was built from, and the versions
// of LibTorch, FAISS, FFmpeg and RocksDB it was compiled against. All of it is fixed when the
// binary is built (cli/CMakeLists.txt), so printing it loads none of those libraries.
//
// Thread-safety: free functions.
#ifndef VIDX_CLI_VERSION_H_
#define VIDX_CLI_VERSION_H_

#include <string>

namespace vidx {

// "0.1.0".
const char* VersionNumber();

// Two lines, without a trailing newline:
//   vidx 0.1.0 (git 951c0860a1b2)
//   built against LibTorch 1.13.1, FAISS 1.7.3, FFmpeg 5.1.9-0+deb12u1, RocksDB 7.8.3
// The revision reads "unknown" when the source tree was not a git checkout, and ends in "-dirty"
// when it had uncommitted changes.
std::string VersionText();

}  // namespace vidx

#endif  // VIDX_CLI_VERSION_H_
