#include "search/catalog_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>

namespace vidx {
namespace {

namespace fs = std::filesystem;

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}

// Canonical directory -> writable opens in this process.
std::map<std::string, int>& Registry() {
  static std::map<std::string, int> registry;
  return registry;
}

std::string KeyFor(const std::string& db_path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(db_path, ec);
  return ec ? fs::absolute(db_path).lexically_normal().string() : p.string();
}

}  // namespace

CatalogWriterRegistration::CatalogWriterRegistration(const std::string& db_path)
    : key_(KeyFor(db_path)) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  ++Registry()[key_];
}

CatalogWriterRegistration::~CatalogWriterRegistration() {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  auto it = Registry().find(key_);
  if (it != Registry().end() && --it->second == 0) Registry().erase(it);
}

StatusOr<bool> CatalogWriterHoldsLock(const std::string& db_path) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  if (Registry().count(KeyFor(db_path)) > 0) return true;
  // Nothing of this process holds the lock, so closing this descriptor releases nothing.
  // The registry mutex stays held so that no writable open of this process starts meanwhile.
  const std::string lock_file = (fs::path(db_path) / "LOCK").string();
  const int fd = ::open(lock_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT || e == ENOTDIR) return false;
    return Status::IoError("cannot examine the lock of " + db_path + ": " +
                           std::error_code(e, std::generic_category()).message());
  }
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  const int r = ::fcntl(fd, F_GETLK, &fl);
  const int e = errno;
  ::close(fd);
  if (r != 0) {
    return Status::IoError("cannot examine the lock of " + db_path + ": " +
                           std::error_code(e, std::generic_category()).message());
  }
  return fl.l_type != F_UNLCK;
}

}  // namespace vidx
