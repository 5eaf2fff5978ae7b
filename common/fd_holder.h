// FdHolder: owns one POSIX file descriptor and closes it when destroyed or reset. Movable, not
// copyable; -1 means "none".
//
// Thread-safety: like an int; one owner at a time.
#ifndef VIDX_COMMON_FD_HOLDER_H_
#define VIDX_COMMON_FD_HOLDER_H_

#include <unistd.h>

namespace vidx {

class FdHolder {
 public:
  FdHolder() = default;
  explicit FdHolder(int fd) : fd_(fd) {}
  ~FdHolder() { reset(); }
  FdHolder(FdHolder&& other) noexcept : fd_(other.release()) {}
  FdHolder& operator=(FdHolder&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  FdHolder(const FdHolder&) = delete;
  FdHolder& operator=(const FdHolder&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives the descriptor up without closing it.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the current descriptor, if any, and holds `fd`.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace vidx

#endif  // VIDX_COMMON_FD_HOLDER_H_
