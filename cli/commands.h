// The commands only the full binary (vidx-core) runs: they load the model, open the state
// directory or run the service. Each takes the loaded configuration and its own parsed
// arguments (cli/command_line.h) and returns the process exit code: 0 ok, 1 runtime failure,
// 2 usage or configuration error. Errors are printed to stderr as one sentence naming the file
// or key at fault. The commands the front binary runs itself are in cli/client_commands.h.
#ifndef VIDX_CLI_COMMANDS_H_
#define VIDX_CLI_COMMANDS_H_

#include <string>

#include <nlohmann/json.hpp>

#include "app/model_session.h"
#include "cli/client_commands.h"
#include "cli/command_line.h"
#include "common/status.h"
#include "config/config.h"
#include "indexer/model/model_verifier.h"
#include "search/query_engine.h"

namespace vidx {

int RunFrames(const Config& config, const FramesArgs& args);
int RunModelVerify(const Config& config, const ModelVerifyArgs& args);
int RunModelTokenize(const Config& config, const ModelTokenizeArgs& args);
int RunModelEmbed(const Config& config, const ModelEmbedArgs& args);
// Compares the checkpoint's keys with the model's after the key map and proposes rename rules
// (indexer/model/key_proposal.h). Exit 0 when the keys match or the proposal maps everything,
// 1 when something is left (listed), 2 for a configuration error.
int RunModelKeys(const Config& config, const ModelKeysArgs& args);
// With args.shard, only that shard's files, and a shard file written at the end (app/shard.h).
int RunIndex(const Config& config, const IndexArgs& args);
// Merges shard state directories into one (app/shard_merge.h).
int RunMerge(const Config& config, const MergeArgs& args);

// `vidx search` without a daemon: the state directory opened read-only, the model loaded here.
// kFailedPrecondition when nothing is indexed yet; the catalog's, model's and engine's errors.
StatusOr<nlohmann::json> SearchStateDirectory(const Config& config, const Query& query);

// `vidx status` without a daemon: the catalog's status document with the library's pending files.
StatusOr<nlohmann::json> StatusOfStateDirectory(const Config& config);

// Salvages a corrupt catalog (search/catalog_repair.h); the daemon must be stopped.
int RunRepair(const Config& config, const RepairArgs& args);

// The service in the foreground; `config_path` is what SIGHUP re-reads (empty: defaults).
int RunDaemon(const Config& config, const std::string& config_path);

}  // namespace vidx

#endif  // VIDX_CLI_COMMANDS_H_
