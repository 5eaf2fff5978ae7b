// The vidx commands. Each takes the loaded configuration and its own parsed arguments and
// returns the process exit code: 0 ok, 1 runtime failure, 2 usage or configuration error.
// Errors are printed to stderr as one sentence naming the file or key at fault.
#ifndef VIDX_CLI_COMMANDS_H_
#define VIDX_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "app/model_session.h"
#include "common/status.h"
#include "config/config.h"
#include "indexer/model/model_verifier.h"

namespace vidx {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct FramesArgs {
  std::string file;
  bool json = false;
  std::string out_dir;  // empty: write no images
};
int RunFrames(const Config& config, const FramesArgs& args);

struct ModelVerifyArgs {
  bool json = false;
  bool rehash = false;  // ignore cached checkpoint hashes
};
int RunModelVerify(const Config& config, const ModelVerifyArgs& args);

struct ModelTokenizeArgs {
  std::vector<std::string> texts;
  bool json = false;
};
int RunModelTokenize(const Config& config, const ModelTokenizeArgs& args);

struct ModelEmbedArgs {
  std::string text;  // exactly one of text and image
  std::string image;
  bool json = false;
};
int RunModelEmbed(const Config& config, const ModelEmbedArgs& args);

struct ModelKeysArgs {
  std::string write;  // where to write the proposed rules file ("" = print only)
};
// Compares the checkpoint's keys with the model's after the key map and proposes rename rules
// (indexer/model/key_proposal.h). Exit 0 when the keys match or the proposal maps everything,
// 1 when something is left (listed), 2 for a configuration error.
int RunModelKeys(const Config& config, const ModelKeysArgs& args);

struct IndexArgs {
  std::vector<std::string> paths;
  bool json = false;  // summary as JSON
};
int RunIndex(const Config& config, const IndexArgs& args);

struct SearchArgs {
  std::string text;
  std::string image;
  std::string like;
  int k = 10;
  bool json = false;
};
int RunSearch(const Config& config, const SearchArgs& args);

struct StatusArgs {
  bool json = false;
};
int RunStatus(const Config& config, const StatusArgs& args);

// Asks the running daemon to reindex (docs/architecture.md §3).
int RunReindex(const Config& config);

struct RepairArgs {
  bool json = false;
};
// Salvages a corrupt catalog (search/catalog_repair.h); the daemon must be stopped.
int RunRepair(const Config& config, const RepairArgs& args);

// Prints the running daemon's web login link, http://HOST:PORT/login?token=HEX (exit 1 with a
// sentence when no web listener is up, or the token cannot be read).
int RunWeb(const Config& config);

// The service in the foreground; `config_path` is what SIGHUP re-reads (empty: defaults).
int RunDaemon(const Config& config, const std::string& config_path);

// Prints "vidx: <message>" to stderr and returns the exit code that fits `status`
// (2 for kInvalidArgument, 1 otherwise).
int ReportError(const Status& status);

}  // namespace vidx

#endif  // VIDX_CLI_COMMANDS_H_
