// vidx_cli_docs bash|zsh|man OUTPUT: writes one of the generated files of cli/cli_docs.h.
// The walk over the command tree that all three share is here too.
#include "cli/cli_docs.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

namespace vidx {

std::vector<const CLI::App*> Subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

std::vector<const CLI::Option*> NamedOptions(const CLI::App& app) {
  return app.get_options([](const CLI::Option* o) { return o->nonpositional(); });
}

std::vector<const CLI::Option*> Positionals(const CLI::App& app) {
  return app.get_options([](const CLI::Option* o) { return !o->nonpositional(); });
}

std::vector<std::string> OptionNames(const CLI::Option& option) {
  std::vector<std::string> names;
  for (const std::string& s : option.get_snames()) names.push_back("-" + s);
  for (const std::string& l : option.get_lnames()) names.push_back("--" + l);
  return names;
}

bool TakesValue(const CLI::Option& option) { return option.get_expected_max() > 0; }

std::string ValueName(const CLI::Option& option) {
  const std::string full = option.get_type_name();  // "INT:POSITIVE": the type, then validators
  return full.substr(0, full.find(':'));
}

ValueCompletion CompletionOf(const CommandLine& cl, const CLI::Option& option) {
  auto it = cl.completions.find(&option);
  return it == cl.completions.end() ? ValueCompletion{} : it->second;
}

std::vector<CommandNode> CommandNodes(const CommandLine& cl) {
  std::vector<CommandNode> nodes;
  std::function<void(const CLI::App*, std::vector<std::string>)> walk =
      [&](const CLI::App* app, std::vector<std::string> words) {
        nodes.push_back(CommandNode{app, words});
        for (const CLI::App* sub : Subcommands(*app)) {
          std::vector<std::string> longer = words;
          longer.push_back(sub->get_name());
          walk(sub, longer);
        }
      };
  walk(&cl.app, {});
  return nodes;
}

}  // namespace vidx

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: vidx_cli_docs bash|zsh|man OUTPUT\n");
    return 2;
  }
  const std::string kind = argv[1];
  std::unique_ptr<vidx::CommandLine> cl = vidx::MakeCommandLine();
  std::string text;
  if (kind == "bash") {
    text = vidx::BashCompletion(*cl);
  } else if (kind == "zsh") {
    text = vidx::ZshCompletion(*cl);
  } else if (kind == "man") {
    text = vidx::ManPage(*cl);
  } else {
    std::fprintf(stderr, "vidx_cli_docs: unknown kind '%s' (expected bash, zsh or man)\n", argv[1]);
    return 2;
  }
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "vidx_cli_docs: cannot write %s\n", argv[2]);
    return 1;
  }
  return 0;
}
