#include "cli/logging.h"

#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace vidx {

std::shared_ptr<spdlog::logger> SetUpLogging(const std::string& level) {
  spdlog::drop("vidx");
  std::shared_ptr<spdlog::logger> logger;
  if (::isatty(STDERR_FILENO)) {
    logger = spdlog::stderr_color_mt("vidx");
    logger->set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
  } else {
    logger = spdlog::stderr_logger_mt("vidx");
    logger->set_pattern("[%l] %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  return logger;
}

}  // namespace vidx
