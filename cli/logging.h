// Logging set-up for the vidx binary: one named spdlog logger ("vidx") writing to stderr,
// coloured only when stderr is a terminal, plain "[level] message" lines otherwise (journald
// adds its own timestamps under systemd). Components obtain it with spdlog::get("vidx") or
// receive it; nothing else configures logging.
#ifndef VIDX_CLI_LOGGING_H_
#define VIDX_CLI_LOGGING_H_

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace vidx {

// Creates (or replaces) the "vidx" logger at `level` (a name from LoggingOptions).
std::shared_ptr<spdlog::logger> SetUpLogging(const std::string& level);

}  // namespace vidx

#endif  // VIDX_CLI_LOGGING_H_
