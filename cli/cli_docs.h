// The shell completions and the man page of vidx, generated from the command-line definition
// (cli/command_line.h) by the build (vidx_cli_docs), so that a command or option added there
// appears in all of them. deploy/install.cmake installs the files; cli/check_cli_docs.sh tests
// them.
//
// Thread-safety: free functions over a CommandLine that is not being parsed.
#ifndef VIDX_CLI_CLI_DOCS_H_
#define VIDX_CLI_CLI_DOCS_H_

#include <string>
#include <vector>

#include "cli/command_line.h"

namespace vidx {

// One command of the tree: `words` from the top ("model", "verify"); empty for vidx itself.
struct CommandNode {
  const CLI::App* app = nullptr;
  std::vector<std::string> words;
};

// Every command, depth first, vidx itself first.
std::vector<CommandNode> CommandNodes(const CommandLine& cl);

// The subcommands, the options (names starting with '-', help included) and the positionals
// of one command, in definition order.
std::vector<const CLI::App*> Subcommands(const CLI::App& app);
std::vector<const CLI::Option*> NamedOptions(const CLI::App& app);
std::vector<const CLI::Option*> Positionals(const CLI::App& app);

// "-k", "--image": every name of a named option, short ones first.
std::vector<std::string> OptionNames(const CLI::Option& option);

// Whether the option takes a value (false for flags).
bool TakesValue(const CLI::Option& option);

// The name of the option's value ("FILE", "INT"), without CLI11's validator descriptions.
std::string ValueName(const CLI::Option& option);

// What a shell completes for the option's value (kNone when the definition names nothing).
ValueCompletion CompletionOf(const CommandLine& cl, const CLI::Option& option);

// A bash script defining _vidx and `complete -F _vidx vidx` (bash 4.2 or later, without the
// bash-completion package).
std::string BashCompletion(const CommandLine& cl);

// A zsh completion function file, _vidx (#compdef vidx), for a directory in $fpath.
std::string ZshCompletion(const CommandLine& cl);

// vidx(1) in man(7) macros.
std::string ManPage(const CommandLine& cl);

}  // namespace vidx

#endif  // VIDX_CLI_CLI_DOCS_H_
