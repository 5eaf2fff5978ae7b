// The bash and zsh completions of cli/cli_docs.h.
//
// bash: one function walks the words before the cursor through the command tree (a state per
// command, named by its words joined with '_'), skipping the value after an option that takes
// one; then it offers that option's values, or the command's options, subcommands and file
// arguments. zsh: one _arguments function per command, the ones with subcommands dispatching
// on the first remaining word.
#include <string>
#include <vector>

#include "cli/cli_docs.h"

namespace vidx {
namespace {

using Kind = ValueCompletion::Kind;

std::string Join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

std::string StateName(const CommandNode& node) {
  std::vector<std::string> words = {"vidx"};
  words.insert(words.end(), node.words.begin(), node.words.end());
  return Join(words, "_");
}

// A compgen call for `c` that fills COMPREPLY (files and directories one per line).
std::string BashReply(const ValueCompletion& c) {
  switch (c.kind) {
    case Kind::kFile:
      return "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))";
    case Kind::kDirectory:
      return "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\"))";
    case Kind::kWords:
      return "COMPREPLY=($(IFS=' '; compgen -W '" + Join(c.words, " ") + "' -- \"$cur\"))";
    case Kind::kNone:
      break;
  }
  return "COMPREPLY=()";
}

// Single quotes for a shell word.
std::string ShellSingleQuoted(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// `s` with a backslash before each character of `special`: zsh's _arguments reads ']' as the end
// of an option's explanation and ':' as the end of a value's message.
std::string ZshEscaped(const std::string& s, const std::string& special) {
  std::string out;
  for (char ch : s) {
    if (special.find(ch) != std::string::npos) out += '\\';
    out += ch;
  }
  return out;
}

std::string ZshAction(const ValueCompletion& c) {
  switch (c.kind) {
    case Kind::kFile:
      return "_files";
    case Kind::kDirectory:
      return "_files -/";
    case Kind::kWords:
      return "(" + Join(c.words, " ") + ")";
    case Kind::kNone:
      break;
  }
  return " ";
}

std::string ZshFunctionName(const CommandNode& node) { return "_" + StateName(node); }

}  // namespace

std::string BashCompletion(const CommandLine& cl) {
  const std::vector<CommandNode> nodes = CommandNodes(cl);
  std::string walk, values, offers;
  for (const CommandNode& node : nodes) {
    const std::string state = StateName(node);
    for (const CLI::App* sub : Subcommands(*node.app)) {
      walk += "      \"" + state + " " + sub->get_name() + "\") state=" + state + "_" +
              sub->get_name() + " ;;\n";
    }
    std::vector<std::string> words;
    for (const CLI::Option* o : NamedOptions(*node.app)) {
      for (const std::string& name : OptionNames(*o)) {
        words.push_back(name);
        if (!TakesValue(*o)) continue;
        walk += "      \"" + state + " " + name + "\") skip=1 ;;\n";
        values +=
            "      \"" + state + " " + name + "\") " + BashReply(CompletionOf(cl, *o)) + " ;;\n";
      }
    }
    std::string positional_reply;
    for (const CLI::Option* p : Positionals(*node.app)) {
      const ValueCompletion c = CompletionOf(cl, *p);
      if (c.kind != Kind::kNone && positional_reply.empty()) positional_reply = BashReply(c);
    }
    std::vector<std::string> subs;
    for (const CLI::App* sub : Subcommands(*node.app)) subs.push_back(sub->get_name());
    offers += "    " + state + ")\n";
    offers += "      options='" + Join(words, " ") + "'\n";
    if (!subs.empty()) {
      offers += "      subcommands='" + Join(subs, " ") + "'\n";
    } else if (!positional_reply.empty()) {
      offers += "      [[ $cur == -* ]] || { " + positional_reply + "; return 0; }\n";
    }
    offers += "      ;;\n";
  }

  std::string out;
  out +=
      "# bash completion for vidx; generated from its command-line definition by vidx_cli_docs\n";
  out +=
      "# (cli/command_line.cpp). Installed to share/bash-completion/completions/vidx; or source "
      "it.\n";
  out += "_vidx() {\n";
  out += "  local cur=${COMP_WORDS[COMP_CWORD]} prev='' state=vidx skip=0 i w\n";
  out += "  local options='' subcommands=''\n";
  out += "  for ((i = 1; i < COMP_CWORD; i++)); do\n";
  out += "    w=${COMP_WORDS[i]}\n";
  out += "    if ((skip)); then skip=0; continue; fi\n";
  out += "    case \"$state $w\" in\n";
  out += walk;
  out += "    esac\n";
  out += "  done\n";
  out += "  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}\n";
  out += "  local IFS=$'\\n'\n";
  out += "  if ((skip)); then\n";
  out += "    case \"$state $prev\" in\n";
  out += values;
  out += "      *) COMPREPLY=() ;;\n";
  out += "    esac\n";
  out += "    return 0\n";
  out += "  fi\n";
  out += "  case $state in\n";
  out += offers;
  out += "  esac\n";
  out += "  IFS=$' \\t\\n'\n";
  out += "  if [[ $cur == -* ]]; then\n";
  out += "    COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n";
  out += "  else\n";
  out += "    COMPREPLY=($(compgen -W \"$subcommands\" -- \"$cur\"))\n";
  out += "  fi\n";
  out += "  return 0\n";
  out += "}\n";
  out += "complete -F _vidx vidx\n";
  return out;
}

std::string ZshCompletion(const CommandLine& cl) {
  const std::vector<CommandNode> nodes = CommandNodes(cl);
  std::string out;
  out += "#compdef vidx\n";
  out += "# zsh completion for vidx; generated from its command-line definition by vidx_cli_docs\n";
  out += "# (cli/command_line.cpp). Installed to share/zsh/site-functions/_vidx.\n\n";
  // Children before parents is not needed: zsh resolves the names when called.
  for (const CommandNode& node : nodes) {
    out += ZshFunctionName(node) + "() {\n";
    const std::vector<const CLI::App*> subs = Subcommands(*node.app);
    if (!subs.empty()) {
      out += "  local -a commands\n";
      out += "  commands=(\n";
      for (const CLI::App* sub : subs) {
        out += "    " + ShellSingleQuoted(sub->get_name() + ":" + sub->get_description()) + "\n";
      }
      out += "  )\n";
      out += "  local curcontext=$curcontext state line\n";
    }
    out += "  _arguments -s";
    if (!subs.empty()) out += " -C";
    out += " \\\n";
    for (const CLI::Option* o : NamedOptions(*node.app)) {
      const std::vector<std::string> names = OptionNames(*o);
      std::string spec;
      const std::string description = "[" + ZshEscaped(o->get_description(), "[]\\") + "]";
      const std::string value = TakesValue(*o) ? ":" + ZshEscaped(ValueName(*o), ":\\") + ":" +
                                                     ZshAction(CompletionOf(cl, *o))
                                               : "";
      if (names.size() == 1) {
        spec = ShellSingleQuoted(names[0] + description + value);
      } else {
        spec = ShellSingleQuoted("(" + Join(names, " ") + ")") + "{" + Join(names, ",") + "}" +
               ShellSingleQuoted(description + value);
      }
      out += "    " + spec + " \\\n";
    }
    if (!subs.empty()) {
      out += "    '1: :->command' \\\n";
      out += "    '*:: :->argument'\n";
      out += "  case $state in\n";
      out += "    command) _describe -t commands 'vidx command' commands ;;\n";
      out += "    argument)\n";
      out += "      case $line[1] in\n";
      for (const CLI::App* sub : subs) {
        CommandNode child{sub, node.words};
        child.words.push_back(sub->get_name());
        out += "        " + sub->get_name() + ") " + ZshFunctionName(child) + " ;;\n";
      }
      out += "      esac\n";
      out += "      ;;\n";
      out += "  esac\n";
    } else {
      std::string positionals;
      for (const CLI::Option* p : Positionals(*node.app)) {
        const std::string name = ZshEscaped(p->get_name(true), ":\\");
        const std::string action = ZshAction(CompletionOf(cl, *p));
        const bool many = p->get_items_expected_max() > 1;
        const std::string prefix = many ? "*" : (p->get_required() ? "" : ":");
        positionals += "    " + ShellSingleQuoted(prefix + ":" + name + ":" + action) + " \\\n";
      }
      out += positionals;
      out += "    && return 0\n";
    }
    out += "}\n\n";
  }
  out += "_vidx \"$@\"\n";
  return out;
}

}  // namespace vidx
