// vidx-core: the full vidx binary, with the model, the catalog and the vector index linked in.
// It runs every command of cli/command_line.h. Users run the front binary (cli/front_main.cpp),
// which answers what it can through the daemon and executes this one, with the same arguments,
// for the rest; run directly, it behaves the same way.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/logging.h"

namespace vidx {
namespace {

int Main(int argc, char** argv) {
  std::unique_ptr<CommandLine> cl = MakeCommandLine();
  if (std::optional<int> exit_code = ParseCommandLine(cl.get(), argc, argv)) return *exit_code;

  std::string used_config_path;
  StatusOr<Config> config = LoadConfiguration(cl->config_path, &used_config_path);
  if (!config.ok()) return ReportError(config.status());
  SetUpLogging(cl->log_level.empty() ? config->logging.level : cl->log_level);

  switch (*cl->selected()) {
    case Command::kFrames:
      return RunFrames(*config, cl->frames);
    case Command::kIndex:
      return RunIndex(*config, cl->index);
    case Command::kSearch:
      return RunSearch(*config, cl->search,
                       [&](const Query& q) { return SearchStateDirectory(*config, q); });
    case Command::kStatus:
      return RunStatus(*config, cl->status, [&] { return StatusOfStateDirectory(*config); });
    case Command::kModelVerify:
      return RunModelVerify(*config, cl->model_verify);
    case Command::kModelTokenize:
      return RunModelTokenize(*config, cl->model_tokenize);
    case Command::kModelEmbed:
      return RunModelEmbed(*config, cl->model_embed);
    case Command::kModelKeys:
      return RunModelKeys(*config, cl->model_keys);
    case Command::kReindex:
      return RunReindex(*config);
    case Command::kRepair:
      return RunRepair(*config, cl->repair);
    case Command::kMerge:
      return RunMerge(*config, cl->merge);
    case Command::kWeb:
      return RunWeb(*config);
    case Command::kDaemon:
      if (!used_config_path.empty()) {
        used_config_path = std::filesystem::absolute(used_config_path).string();
      }
      return RunDaemon(*config, used_config_path);
  }
  return kExitUsage;
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
