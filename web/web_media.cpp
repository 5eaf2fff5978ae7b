#include "web/web_media.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "web/byte_range.h"
#include "web/web_response.h"

namespace vidx {

namespace {

struct FreeDeleter {
  void operator()(char* p) const { ::free(p); }
};

// realpath(3); nullopt when it cannot be resolved.
std::optional<std::string> RealPath(const std::string& path) {
  std::unique_ptr<char, FreeDeleter> resolved(::realpath(path.c_str(), nullptr));
  if (!resolved) return std::nullopt;
  return std::string(resolved.get());
}

bool IsUnder(const std::string& path, const std::string& root) {
  if (root.empty() || path.size() <= root.size() || path.compare(0, root.size(), root) != 0) {
    return false;
  }
  return root.back() == '/' || path[root.size()] == '/';
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

WebResponse NotFound() { return JsonErrorResponse(404, "no such file"); }

}  // namespace

std::string MediaContentType(const std::string& path) {
  const size_t dot = path.rfind('.');
  const size_t slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string ext = path.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "mp4" || ext == "m4v") return "video/mp4";
  if (ext == "mov") return "video/quicktime";
  if (ext == "webm") return "video/webm";
  if (ext == "mkv") return "video/x-matroska";
  if (ext == "avi") return "video/x-msvideo";
  return "application/octet-stream";
}

std::string MediaEtag(uint64_t size, int64_t mtime_ns) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(mtime_ns));
  return buf;
}

StatusOr<ResolvedMedia> ResolveMedia(WebBackend* backend, uint64_t file_id) {
  const std::string id = std::to_string(file_id);
  StatusOr<FileRecord> record = backend->FindFile(file_id);
  if (!record.ok()) return record.status();
  if (record->status != FileStatus::kIndexed) {
    return Status::NotFound("file " + id + " is not an indexed file");
  }
  const std::string& path = record->file.path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::NotFound("file " + id + " (" + path + ") is gone or not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) != record->file.size ||
      MtimeNs(st) != record->file.mtime_ns) {
    return Status::NotFound("file " + id + " (" + path + ") changed since it was indexed");
  }
  const std::optional<std::string> real = RealPath(path);
  if (!real) return Status::NotFound("file " + id + " (" + path + ") cannot be resolved");
  bool inside = false;
  for (const std::string& root : backend->LibraryRoots()) {
    const std::optional<std::string> real_root = RealPath(root);
    if (real_root && IsUnder(*real, *real_root)) inside = true;
  }
  if (!inside) {
    return Status::NotFound("file " + id + " (" + path + ") resolves to " + *real +
                            ", outside every library root");
  }
  ResolvedMedia m;
  m.fd.reset(::open(real->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!m.fd.valid()) {
    return Status::NotFound("file " + id + " (" + *real +
                            ") cannot be opened: " + std::strerror(errno));
  }
  struct stat opened {};
  if (::fstat(m.fd.get(), &opened) != 0 || !S_ISREG(opened.st_mode) || opened.st_dev != st.st_dev ||
      opened.st_ino != st.st_ino || opened.st_size != st.st_size ||
      MtimeNs(opened) != MtimeNs(st)) {
    return Status::NotFound("file " + id + " (" + *real + ") changed while it was opened");
  }
  // Reads need not be non-blocking (sendfile on a regular file ignores it); clear it anyway.
  const int flags = ::fcntl(m.fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(m.fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  m.size = static_cast<uint64_t>(opened.st_size);
  m.mtime_ns = MtimeNs(opened);
  m.real_path = *real;
  m.record = std::move(*record);
  return m;
}

WebResponse ServeMedia(WebBackend* backend, const WebRequest& request, const std::string& id_text) {
  if (request.method != "GET" && request.method != "HEAD") {
    return MethodNotAllowed("/v1/media/ID", "GET, HEAD");
  }
  const std::optional<uint64_t> id = ParseId(id_text);
  if (!id) return NotFound();
  StatusOr<ResolvedMedia> media = ResolveMedia(backend, *id);
  if (!media.ok()) {
    if (media.status().code() == StatusCode::kNotFound) return NotFound();
    return JsonErrorResponse(HttpStatusFor(media.status()), media.status().message());
  }
  const std::string etag = MediaEtag(media->size, media->mtime_ns);
  const int64_t mtime_seconds = media->mtime_ns / 1000000000LL;
  WebResponse r;
  r.SetHeader("Content-Type", MediaContentType(media->record.file.path));
  r.SetHeader("Accept-Ranges", "bytes");
  r.SetHeader("ETag", etag);
  r.SetHeader("Last-Modified", HttpDate(mtime_seconds));
  r.SetHeader("Cache-Control", "private, no-cache");
  RangeDecision range;
  const std::string& range_header = request.Header("range");
  if (!range_header.empty() && IfRangeMatches(request.Header("if-range"), etag, mtime_seconds)) {
    range = ParseRange(range_header, media->size);
  }
  switch (range.kind) {
    case RangeDecision::Kind::kWhole:
      r.status = 200;
      r.file_offset = 0;
      r.file_length = media->size;
      break;
    case RangeDecision::Kind::kPartial:
      r.status = 206;
      r.file_offset = range.offset;
      r.file_length = range.length;
      r.SetHeader("Content-Range", ContentRange(range, media->size));
      break;
    case RangeDecision::Kind::kUnsatisfiable: {
      WebResponse refused =
          JsonErrorResponse(416, "the range " + range_header + " lies outside the file's " +
                                     std::to_string(media->size) + " bytes");
      refused.SetHeader("Content-Range", ContentRange(range, media->size));
      refused.SetHeader("Accept-Ranges", "bytes");
      return refused;
    }
  }
  r.file = std::move(media->fd);
  return r;
}

WebResponse ServeThumb(WebBackend* backend, const WebRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return MethodNotAllowed("/v1/thumb", "GET");
  }
  const std::optional<uint64_t> id = ParseId(request.Arg("file"));
  if (!id) return JsonErrorResponse(400, "\"file\" must be a file id (a decimal number)");
  double seconds = 0;
  if (const std::string t = request.Arg("t"); !t.empty()) {
    char* end = nullptr;
    seconds = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || !std::isfinite(seconds) || seconds < 0) {
      return JsonErrorResponse(400, "\"t\" must be a number of seconds >= 0 (got '" + t + "')");
    }
  }
  int width = 320;
  if (const std::string w = request.Arg("w"); !w.empty()) {
    const std::optional<uint64_t> parsed = ParseId(w);
    if (!parsed || *parsed < 64 || *parsed > 1280) {
      return JsonErrorResponse(400, "\"w\" must be a width from 64 to 1280 (got '" + w + "')");
    }
    width = static_cast<int>(*parsed);
  }
  StatusOr<ResolvedMedia> media = ResolveMedia(backend, *id);
  if (!media.ok()) {
    if (media.status().code() == StatusCode::kNotFound) return NotFound();
    return JsonErrorResponse(HttpStatusFor(media.status()), media.status().message());
  }
  StatusOr<std::string> jpeg = backend->Thumbnail(media->record.file, seconds, width);
  if (!jpeg.ok()) {
    const StatusCode code = jpeg.status().code();
    const int status = code == StatusCode::kNotFound ? 404
                       : code == StatusCode::kCorruption || code == StatusCode::kUnsupported
                           ? 422
                           : HttpStatusFor(jpeg.status());
    return JsonErrorResponse(status, jpeg.status().message());
  }
  WebResponse r;
  r.SetHeader("Content-Type", "image/jpeg");
  r.SetHeader("Cache-Control", "private, max-age=86400");
  r.body = std::move(*jpeg);
  return r;
}

}  // namespace vidx
