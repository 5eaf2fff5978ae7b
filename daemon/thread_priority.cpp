#include "daemon/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vidx {

pid_t ThisThreadId() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

Status LowerThisThreadPriority(int nice) {
  if (nice < 0 || nice > 19) {
    return Status::InvalidArgument("thread niceness " + std::to_string(nice) +
                                   " is outside 0 to 19");
  }
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(ThisThreadId()), nice) == 0) {
    return Status::Ok();
  }
  const int err = errno;
  const std::string why =
      "cannot set the thread's niceness to " + std::to_string(nice) + ": " + std::strerror(err);
  return err == EPERM || err == EACCES ? Status::PermissionDenied(why) : Status::IoError(why);
}

StatusOr<int> ThreadNiceness(pid_t tid) {
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  if (nice == -1 && errno != 0) {
    return Status::NotFound("no thread " + std::to_string(tid) +
                            " to read the niceness of: " + std::strerror(errno));
  }
  return nice;
}

}  // namespace vidx
