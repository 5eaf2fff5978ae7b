// Test support: a fresh directory under the system temp dir, removed with everything in it
// when the object goes away. Names are unique per process and per object.
#ifndef VIDX_TESTS_TEMP_DIR_H_
#define VIDX_TESTS_TEMP_DIR_H_

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

namespace vidx::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "vidx_test") {
    static std::atomic<int> n{0};
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace vidx::testing

#endif  // VIDX_TESTS_TEMP_DIR_H_
