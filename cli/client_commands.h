// The commands the front binary (vidx) runs without LibTorch, FAISS or RocksDB: loading the
// configuration, and the commands answered through the daemon's socket (search, status,
// reindex) or its state files (web). When no daemon answers, search and status call the
// `without_daemon` function they are given: the full binary (vidx-core) searches the state
// directory itself, the front binary hands the command line to vidx-core (core_exec.h).
// Exit codes and messages: cli/command_line.h, docs/architecture.md §3.
//
// Thread-safety: free functions, called from the main thread.
#ifndef VIDX_CLI_CLIENT_COMMANDS_H_
#define VIDX_CLI_CLIENT_COMMANDS_H_

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command_line.h"
#include "common/status.h"
#include "config/config.h"
#include "search/query_engine.h"

namespace vidx {

// Loads the configuration: --config (`cli_path`), then $VIDX_CONFIG, then /etc/vidx/vidx.yaml;
// a missing default file means built-in defaults. `*used_path` gets the file read (empty for
// built-in defaults). A file the user named that is missing is kInvalidArgument (a usage error,
// exit 2), like any error in the file.
StatusOr<Config> LoadConfiguration(const std::string& cli_path, std::string* used_path);

// Prints "vidx: <message>" to stderr and returns the exit code that fits `status`
// (2 for kInvalidArgument, 1 otherwise).
int ReportError(const Status& status);

// The daemon's answer (any 2xx) as a document, or kUnavailable when no daemon answers (the caller
// then works alone). An error answer becomes its Status (400: kInvalidArgument, others
// kFailedPrecondition). A socket that refuses this user is kPermissionDenied, never
// kUnavailable: a daemon may well be running, and answering from the state directory behind
// its back would hide that. A malformed answer is kCorruption naming the socket.
StatusOr<nlohmann::json> AskDaemon(const Config& config, const std::string& method,
                                   const std::string& target, const std::string& body);

// vidx search: the query of `args` (paths made absolute) through the daemon, else
// `without_daemon(query)`; prints the document (as JSON with --json).
using SearchWithoutDaemon = std::function<StatusOr<nlohmann::json>(const Query&)>;
int RunSearch(const Config& config, const SearchArgs& args,
              const SearchWithoutDaemon& without_daemon);

// vidx status: the daemon's status document, else `without_daemon()`.
using StatusWithoutDaemon = std::function<StatusOr<nlohmann::json>()>;
int RunStatus(const Config& config, const StatusArgs& args,
              const StatusWithoutDaemon& without_daemon);

// Asks the running daemon to reindex (docs/architecture.md §3); exit 1 naming daemon.socket
// when none answers.
int RunReindex(const Config& config);

// Prints the running daemon's web login link, http://HOST:PORT/login?token=HEX (exit 1 with a
// sentence when no web listener is up, or the token cannot be read).
int RunWeb(const Config& config);

}  // namespace vidx

#endif  // VIDX_CLI_CLIENT_COMMANDS_H_
