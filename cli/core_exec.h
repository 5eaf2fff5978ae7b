// Handing a command line over to the full binary, vidx-core (cli/main.cpp), which has LibTorch,
// FAISS, FFmpeg and RocksDB linked in. The front binary (cli/front_main.cpp) does this for every
// command it cannot answer through the daemon. vidx-core is looked for, in order:
//   1. next to the running executable (the build tree: build/cli/vidx-core);
//   2. at VIDX_CORE_RELPATH relative to the executable's directory (the installed layout,
//      bin/../lib/vidx/vidx-core; deploy/install.cmake).
//
// Thread-safety: call from a process's only thread (exec replaces the process).
#ifndef VIDX_CLI_CORE_EXEC_H_
#define VIDX_CLI_CORE_EXEC_H_

#include <string>
#include <vector>

#include "common/status.h"

namespace vidx {

// Where vidx-core may be, in the order above.
std::vector<std::string> CoreCandidates();

// Replaces this process with vidx-core, passing argv unchanged (argv[0] included) and the
// environment; the process id stays, so systemd and signals see no difference. Returns only on
// failure: kNotFound naming every place looked at when none holds an executable vidx-core,
// kIoError naming the file when it cannot be executed.
Status ExecCore(char** argv);

}  // namespace vidx

#endif  // VIDX_CLI_CORE_EXEC_H_
