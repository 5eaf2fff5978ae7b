// The vidx commands. Each takes the loaded configuration and its own parsed arguments and
// returns the process exit code: 0 ok, 1 runtime failure, 2 usage or configuration error.
// Errors are printed to stderr as one sentence naming the file or key at fault.
#ifndef VIDX_CLI_COMMANDS_H_
#define VIDX_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "config/config.h"

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
  std::string text;   // exactly one of text and image
  std::string image;
  bool json = false;
};
int RunModelEmbed(const Config& config, const ModelEmbedArgs& args);

// Prints "vidx: <message>" to stderr and returns the exit code that fits `status`
// (2 for kInvalidArgument, 1 otherwise).
int ReportError(const Status& status);

}  // namespace vidx

#endif  // VIDX_CLI_COMMANDS_H_
