// vidx(1), the man page of cli/cli_docs.h: the commands and options from the command-line
// definition, the rest (exit status, environment, files) from the contract of
// docs/architecture.md §3.
#include <string>
#include <vector>

#include "cli/cli_docs.h"
#include "cli/version.h"

namespace vidx {
namespace {

// Text for a man(7) line: backslashes and hyphens escaped, a leading control character
// neutralised.
std::string Roff(const std::string& s) {
  std::string out = "\\&";
  for (char ch : s) {
    if (ch == '\\') {
      out += "\\e";
    } else if (ch == '-') {
      out += "\\-";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string Bold(const std::string& s) { return "\\fB" + Roff(s) + "\\fR"; }
std::string Italic(const std::string& s) { return "\\fI" + Roff(s) + "\\fR"; }

std::string OptionTag(const CLI::Option& o) {
  std::string tag;
  for (const std::string& name : OptionNames(o)) {
    tag += (tag.empty() ? "" : ", ") + Bold(name);
  }
  if (TakesValue(o)) tag += " " + Italic(ValueName(o));
  return tag;
}

std::string Synopsis(const CommandNode& node) {
  std::string out = ".B vidx";
  for (const std::string& w : node.words) out += " " + Roff(w);
  out += "\n";
  std::string rest;
  for (const CLI::Option* p : Positionals(*node.app)) {
    const std::string name =
        Italic(p->get_name(true)) + (p->get_items_expected_max() > 1 ? "\\ ..." : "");
    rest += p->get_required() ? name + " " : "[" + name + "] ";
  }
  for (const CLI::Option* o : NamedOptions(*node.app)) {
    if (o == node.app->get_help_ptr()) continue;
    rest += "[" + OptionTag(*o) + "] ";
  }
  if (!Subcommands(*node.app).empty()) rest += Italic("COMMAND") + " ";
  if (!rest.empty()) {
    rest.pop_back();
    out += rest + "\n";
  }
  return out;
}

std::string Options(const CommandLine& cl, const CLI::App& app) {
  std::string out;
  for (const CLI::Option* o : NamedOptions(app)) {
    std::string description = o->get_description();
    const ValueCompletion c = CompletionOf(cl, *o);
    if (c.kind == ValueCompletion::Kind::kWords) {
      std::string words;
      for (const std::string& w : c.words) words += (words.empty() ? "" : ", ") + w;
      description += " (one of " + words + ")";
    }
    out += ".TP\n" + OptionTag(*o) + "\n" + Roff(description) + "\n";
  }
  for (const CLI::Option* p : Positionals(app)) {
    out += ".TP\n" + Italic(p->get_name(true)) + "\n" + Roff(p->get_description()) + "\n";
  }
  return out;
}

}  // namespace

std::string ManPage(const CommandLine& cl) {
  const std::vector<CommandNode> nodes = CommandNodes(cl);
  std::string out;
  out += ".\\\" vidx(1); generated from the command-line definition (cli/command_line.cpp) by\n";
  out += ".\\\" vidx_cli_docs. Edit that file, not this one.\n";
  out += ".TH VIDX 1 \"\" \"vidx " + std::string(VersionNumber()) + "\" \"User Commands\"\n";
  out += ".SH NAME\nvidx \\- index video libraries and search them in plain words\n";
  out += ".SH SYNOPSIS\n" + Synopsis(nodes.front());
  out += ".SH DESCRIPTION\n";
  out += Roff(
             "vidx indexes the videos of a library with a vision-language model and finds them, "
             "and the moments in them, from words, a picture or another moment. The daemon "
             "(vidx daemon) watches the library and answers searches on a unix socket; the "
             "other commands talk to it when it runs, and otherwise open the state directory "
             "themselves.") +
         "\n";
  out += ".PP\n" +
         Roff(
             "vidx is a small front program: help, the version, configuration errors "
             "and the commands the daemon answers (search, status, reindex, web) run "
             "without loading the model libraries. Every other command is carried out "
             "by the full program, vidx-core, installed beside the model modules.") +
         "\n";
  out += ".SH OPTIONS\n" + Options(cl, *nodes.front().app);
  out += ".SH COMMANDS\n";
  for (size_t i = 1; i < nodes.size(); ++i) {
    const CommandNode& node = nodes[i];
    std::string heading = "vidx";
    for (const std::string& w : node.words) heading += " " + w;
    out += ".SS " + Roff(heading) + "\n";
    out += Synopsis(node);
    out += ".PP\n" + Roff(node.app->get_description()) + "\n";
    if (Subcommands(*node.app).empty()) out += Options(cl, *node.app);
  }
  out += ".SH EXIT STATUS\n";
  out += ".TP\n.B 0\n" + Roff("success") + "\n";
  out += ".TP\n.B 1\n" +
         Roff(
             "a runtime failure; one sentence on stderr names the file, key or "
             "value at fault") +
         "\n";
  out += ".TP\n.B 2\n" + Roff("a usage or configuration error") + "\n";
  out += ".SH ENVIRONMENT\n.TP\n.B VIDX_CONFIG\n" +
         Roff("the configuration file when --config is not given") + "\n";
  out += ".SH FILES\n.TP\n.I /etc/vidx/vidx.yaml\n" +
         Roff(
             "the configuration read when neither --config nor VIDX_CONFIG names one; built-in "
             "defaults when it does not exist. Every key is described in vidx.yaml.example.") +
         "\n";
  out += ".SH SEE ALSO\n" + Bold("systemctl") + "(1), " + Bold("journalctl") +
         "(1); the operations guide, operations.md, in the documentation directory.\n";
  return out;
}

}  // namespace vidx
