#include "search/rocks_logger.h"

#include <rocksdb/env.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>

namespace vidx {
namespace {

class RocksLogger : public rocksdb::Logger {
 public:
  RocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {}

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    std::shared_ptr<spdlog::logger> log = spdlog::get("vidx");
    if (log == nullptr) return;
    // vidx reports what matters itself (a refused open, a failed write); RocksDB's own account
    // is detail, shown when the log level is debug. Only a fatal message is an error.
    const spdlog::level::level_enum to =
        level == rocksdb::InfoLogLevel::FATAL_LEVEL ? spdlog::level::err : spdlog::level::debug;
    if (!log->should_log(to)) return;
    char line[1024];
    va_list copy;
    va_copy(copy, ap);
    std::vsnprintf(line, sizeof(line), format, copy);
    va_end(copy);
    log->log(to, "rocksdb: {}", line);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> MakeRocksLogger() { return std::make_shared<RocksLogger>(); }

}  // namespace vidx
