// The one definition of vidx's command line (CLI11): every command, option and help text. The
// front binary (vidx), the full binary (vidx-core) and the generator of the shell completions
// and the man page (vidx_cli_docs) all build it from MakeCommandLine(), so they cannot drift.
// docs/architecture.md §3 lists the commands; docs/operations.md says how to add one.
//
// Thread-safety: a CommandLine is used by one thread.
#ifndef VIDX_CLI_COMMAND_LINE_H_
#define VIDX_CLI_COMMAND_LINE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace vidx {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct FramesArgs {
  std::string file;
  bool json = false;
  std::string out_dir;  // empty: write no images
};

struct ModelVerifyArgs {
  bool json = false;
  bool rehash = false;  // ignore cached checkpoint hashes
};

struct ModelTokenizeArgs {
  std::vector<std::string> texts;
  bool json = false;
};

struct ModelEmbedArgs {
  std::string text;  // exactly one of text and image
  std::string image;
  bool json = false;
};

struct ModelKeysArgs {
  std::string write;  // where to write the proposed rules file ("" = print only)
};

struct IndexArgs {
  std::vector<std::string> paths;
  bool json = false;      // summary as JSON
  std::string shard;      // "I/N": index only shard I of N (app/shard.h); empty: every file
  std::string state_dir;  // overrides the configuration's state_dir when not empty
  std::string known;      // a state directory whose catalog is read to skip what it has
};

struct MergeArgs {
  std::string into;                 // target state directory
  std::vector<std::string> shards;  // shard state directories
  bool allow_incomplete = false;
  bool json = false;
};

struct SearchArgs {
  std::string text;
  std::string image;
  std::string like;
  int k = 10;
  bool json = false;
};

struct StatusArgs {
  bool json = false;
};

struct RepairArgs {
  bool json = false;
};

// The command a parsed command line selected (a leaf of the command tree).
enum class Command {
  kDaemon,
  kIndex,
  kSearch,
  kStatus,
  kModelVerify,
  kModelTokenize,
  kModelEmbed,
  kModelKeys,
  kFrames,
  kReindex,
  kWeb,
  kRepair,
  kMerge,
};

// What a shell completes for an option's value or a positional argument.
struct ValueCompletion {
  enum class Kind { kNone, kFile, kDirectory, kWords };
  Kind kind = Kind::kNone;
  std::vector<std::string> words;  // kWords: the accepted values
};

// The parsed values of every command, the CLI11 tree that fills them, and what a shell
// completes for each option. The App holds pointers into this object: it is neither copied
// nor moved (MakeCommandLine returns it on the heap).
struct CommandLine {
  CommandLine() = default;
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  CLI::App app;
  std::string config_path;  // --config
  std::string log_level;    // --log-level

  FramesArgs frames;
  ModelVerifyArgs model_verify;
  ModelTokenizeArgs model_tokenize;
  ModelEmbedArgs model_embed;
  ModelKeysArgs model_keys;
  IndexArgs index;
  SearchArgs search;
  StatusArgs status;
  RepairArgs repair;
  MergeArgs merge;

  // Each leaf subcommand and the command it selects.
  std::vector<std::pair<const CLI::App*, Command>> leaves;
  // Options and positionals whose values a shell completes (absent: nothing to offer).
  std::map<const CLI::Option*, ValueCompletion> completions;

  // The command the parsed arguments selected; nullopt before a successful Parse.
  std::optional<Command> selected() const;
};

// The command tree with every option, its help text and its completion.
std::unique_ptr<CommandLine> MakeCommandLine();

// Parses argv into `cl`. nullopt when a command was selected and its arguments hold; otherwise
// the exit code after CLI11 printed what was asked or wrong: 0 for --help and --version, 2 (and
// a sentence on stderr) for a usage error, including the checks CLI11 cannot express (model
// embed needs --text or --image).
std::optional<int> ParseCommandLine(CommandLine* cl, int argc, char** argv);

}  // namespace vidx

#endif  // VIDX_CLI_COMMAND_LINE_H_
