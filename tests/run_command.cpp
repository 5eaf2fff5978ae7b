#include "tests/run_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vidx::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string ShellQuote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

CommandResult RunCommand(const std::string& command) {
  char out_template[] = "/tmp/vidx_cmd_out_XXXXXX";
  char err_template[] = "/tmp/vidx_cmd_err_XXXXXX";
  int out_fd = ::mkstemp(out_template);
  int err_fd = ::mkstemp(err_template);
  CommandResult result;
  if (out_fd < 0 || err_fd < 0) return result;
  ::close(out_fd);
  ::close(err_fd);
  std::string line = command + " </dev/null >" + out_template + " 2>" + err_template;
  int status = std::system(line.c_str());
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadAll(out_template);
  result.err = ReadAll(err_template);
  ::unlink(out_template);
  ::unlink(err_template);
  return result;
}

}  // namespace vidx::testing
