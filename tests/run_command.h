// Test support: run a command line through /bin/sh and capture what it printed.
#ifndef VIDX_TESTS_RUN_COMMAND_H_
#define VIDX_TESTS_RUN_COMMAND_H_

#include <string>

namespace vidx::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when the command did not exit normally
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `command` (a shell command line) and waits for it. stdin is /dev/null.
CommandResult RunCommand(const std::string& command);

// Quotes `arg` for /bin/sh.
std::string ShellQuote(const std::string& arg);

}  // namespace vidx::testing

#endif  // VIDX_TESTS_RUN_COMMAND_H_
