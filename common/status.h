// Status and StatusOr<T>: the values that cross every vidx module boundary.
//
// A Status is either OK or carries a code and one human-readable sentence that names the
// file, key or value at fault. Exceptions from third-party libraries (LibTorch, FAISS,
// yaml-cpp) are caught at the wrapper that calls them and turned into a Status there.
//
// Thread-safety: values; copying and reading from several threads is safe.
#ifndef VIDX_COMMON_STATUS_H_
#define VIDX_COMMON_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace vidx {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input (a config value, a CLI argument) is wrong
  kNotFound,            // a file, key or record does not exist
  kIoError,             // the operating system refused a read/write/open
  kCorruption,          // data on disk or in a file is malformed
  kUnsupported,         // a valid input that vidx does not handle (codec, dtype, format)
  kFailedPrecondition,  // the system is not in a state that allows the call
  kDeadlineExceeded,    // a time limit ran out
  kResourceExhausted,   // a size or count limit was hit
  kInternal,            // a bug or an unexpected library failure
  kUnavailable,         // a service is not there (e.g. no daemon answers on the socket)
  kPermissionDenied,    // the operating system refused access to this user (EACCES, EPERM)
  kBusy,                // held by another user right now (e.g. the catalog's write lock)
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<message>" for OK-less statuses; "OK" for OK. Used in logs.
  std::string ToString() const { return ok() ? std::string("OK") : message_; }

  // Returns a copy whose message is "<prefix>: <message>" (keeps the code).
  Status WithContext(const std::string& prefix) const {
    if (ok()) return *this;
    return Status(code_, prefix + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kIoError:
      return "I/O error";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kFailedPrecondition:
      return "failed precondition";
    case StatusCode::kDeadlineExceeded:
      return "deadline exceeded";
    case StatusCode::kResourceExhausted:
      return "resource exhausted";
    case StatusCode::kInternal:
      return "internal error";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kPermissionDenied:
      return "permission denied";
    case StatusCode::kBusy:
      return "busy";
  }
  return "unknown";
}

// Either a T or a non-OK Status.
// REQUIRES: value() only when ok(); constructing from an OK Status is a bug (asserts in debug,
// becomes kInternal otherwise).
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr built from an OK Status");
    if (status_.ok()) status_ = Status::Internal("StatusOr built from an OK Status");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace vidx

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define VIDX_RETURN_IF_ERROR(expr)                       \
  do {                                                   \
    ::vidx::Status vidx_status_tmp_ = (expr);            \
    if (!vidx_status_tmp_.ok()) return vidx_status_tmp_; \
  } while (0)

#endif  // VIDX_COMMON_STATUS_H_
