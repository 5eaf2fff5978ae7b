// The routes that read library files: GET|HEAD /v1/media/ID (the file's bytes, with byte
// ranges) and GET /v1/thumb?file=ID&t=SECONDS&w=WIDTH (a JPEG frame). No path from the
// request is ever opened: the id is looked up in the catalog, and the catalogued path is
// served only when all of these hold (else 404):
//   1. FindFile(id) knows it, as an indexed file;
//   2. stat(path) is a regular file whose size and mtime (ns) are the catalogued ones (it was
//      not deleted or changed since it was indexed);
//   3. realpath(path) lies under the realpath of a library root (component boundary), so a
//      symbolic link that leaves the library is refused;
//   4. open(realpath, O_RDONLY|O_CLOEXEC|O_NOFOLLOW) and fstat() show the same file
//      (device, inode, size, mtime) as step 2: nothing was swapped in between.
// The bytes are then sent from that descriptor (sendfile), never read into memory.
//
// Thread-safety: free functions; the backend is thread-safe.
#ifndef VIDX_WEB_WEB_MEDIA_H_
#define VIDX_WEB_WEB_MEDIA_H_

#include <cstdint>
#include <string>

#include "common/fd_holder.h"
#include "common/status.h"
#include "search/catalog_types.h"
#include "web/http_server.h"
#include "web/web_backend.h"

namespace vidx {

struct ResolvedMedia {
  FileRecord record;
  std::string real_path;
  FdHolder fd;  // open on real_path
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

// Steps 1-4 above. kNotFound (a sentence for the log, not shown to clients beyond "not
// found") for every refusal; other codes for backend failures.
StatusOr<ResolvedMedia> ResolveMedia(WebBackend* backend, uint64_t file_id);

// "video/mp4" for mp4/m4v, "video/quicktime" for mov, "video/webm", "video/x-matroska" for
// mkv, "video/x-msvideo" for avi; "application/octet-stream" otherwise. By the path's
// extension, case-insensitive.
std::string MediaContentType(const std::string& path);

// The strong ETag of a file state: "\"<size hex>-<mtime ns hex>\"".
std::string MediaEtag(uint64_t size, int64_t mtime_ns);

// GET|HEAD /v1/media/<id_text>.
WebResponse ServeMedia(WebBackend* backend, const WebRequest& request, const std::string& id_text);

// GET /v1/thumb. 400 for a bad file, t or w; 404 as for media; the thumbnailer's errors:
// 422 for a video it cannot decode (kCorruption, kUnsupported), else by HttpStatusFor (503
// when thumbnails are not available or the decode ran out of time).
WebResponse ServeThumb(WebBackend* backend, const WebRequest& request);

}  // namespace vidx

#endif  // VIDX_WEB_WEB_MEDIA_H_
