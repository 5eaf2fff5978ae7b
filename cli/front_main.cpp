// vidx, the command users type: the front binary. It parses the command line, prints help,
// the version and usage or configuration errors, and answers search, status, reindex and web
// through the running daemon, without loading LibTorch, FAISS, FFmpeg or RocksDB (it links none
// of them; tests/front_cli_test.cpp checks). Every other command, and search and status when no
// daemon answers, is handed to the full binary vidx-core with the same arguments
// (cli/core_exec.h), which then behaves exactly as if it had been run itself.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/client_commands.h"
#include "cli/command_line.h"
#include "cli/core_exec.h"
#include "cli/logging.h"

namespace vidx {
namespace {

int Main(int argc, char** argv) {
  std::unique_ptr<CommandLine> cl = MakeCommandLine();
  if (std::optional<int> exit_code = ParseCommandLine(cl.get(), argc, argv)) return *exit_code;

  std::string used_config_path;
  StatusOr<Config> config = LoadConfiguration(cl->config_path, &used_config_path);
  if (!config.ok()) return ReportError(config.status());

  const Command command = *cl->selected();
  if (command != Command::kSearch && command != Command::kStatus && command != Command::kReindex &&
      command != Command::kWeb) {
    return ReportError(ExecCore(argv));
  }
  SetUpLogging(cl->log_level.empty() ? config->logging.level : cl->log_level);
  switch (command) {
    case Command::kSearch:
      return RunSearch(*config, cl->search,
                       [&](const Query&) -> StatusOr<nlohmann::json> { return ExecCore(argv); });
    case Command::kStatus:
      return RunStatus(*config, cl->status,
                       [&]() -> StatusOr<nlohmann::json> { return ExecCore(argv); });
    case Command::kReindex:
      return RunReindex(*config);
    default:
      return RunWeb(*config);
  }
}

}  // namespace
}  // namespace vidx

int main(int argc, char** argv) {
  try {
    return vidx::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vidx: internal error: %s\n", e.what());
    return vidx::kExitFailure;
  }
}
