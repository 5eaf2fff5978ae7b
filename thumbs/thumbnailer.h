// Thumbnailer: JPEG pictures of the frame shown at a time in a catalogued video, for the web
// UI (`GET /v1/thumb`), decoded on demand and kept in a disk cache (docs/web.md, "Thumbnails").
//
//  * Decoding is DecodeFrameAt (indexer/video/frame_at.h): the sampler's safe opening and
//    limits, rotation and sample aspect ratio applied, the frame whose presentation interval
//    covers the time (past the end: the last frame), scaled to the width asked for with the
//    aspect kept (height even), encoded by EncodeJpeg at kJpegQuality.
//  * The cache key is a sha256 over the file's identity (path, size, mtime_ns), the time in
//    whole milliseconds (the frame is decoded at that rounded time, so one key is one
//    picture), the width, the quality and a format version. A file changed since the caller
//    identified it (size or mtime differ) is a different key, and is refused (kNotFound), so a
//    thumbnail is never stored under the identity of another version of the file.
//  * The disk cache is a ThumbCache (thumbs/thumb_cache.h) in options.cache_dir: tmp + rename
//    writes, the total size tracked and capped at max_cache_bytes, least recently used evicted.
//    A cache that cannot be written costs speed, not answers: Get still returns the picture.
//
// Thread-safety: Get and stats may be called from any thread at once. Two concurrent misses of
// one key both decode; the cache keeps one file.
#ifndef VIDX_THUMBS_THUMBNAILER_H_
#define VIDX_THUMBS_THUMBNAILER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "indexer/model/checkpoint_hash.h"
#include "thumbs/thumb_cache.h"

namespace vidx {

struct ThumbnailerOptions {
  std::string cache_dir;  // required; created (0700) if missing
  int64_t max_cache_bytes =
      256ll << 20;           // eviction (least recently used) above this; 0 = none kept
  int max_dimension = 8192;  // the sampler's limits: streams larger are refused
  int64_t max_probe_bytes = 5 << 20;
  double max_seconds = 20;  // wall-clock budget per decode
};

struct ThumbnailerStats {
  int64_t hits = 0, misses = 0, cache_bytes = 0, cache_files = 0, evictions = 0;
};

class Thumbnailer {
 public:
  static constexpr int kMinWidth = 64;
  static constexpr int kMaxWidth = 1280;
  static constexpr int kJpegQuality = 80;  // EncodeJpeg's scale (1..100)

  // Opens (creating) the cache folder and scans it (ThumbCache::Open's errors), and refuses
  // limits that are not positive (kInvalidArgument).
  static StatusOr<std::unique_ptr<Thumbnailer>> Open(ThumbnailerOptions options);

  // JPEG bytes of the frame shown at `seconds` (clamped to the stream) scaled to `width` px
  // wide (64..1280, aspect kept, rotation applied). The cache key covers the file's identity
  // (path, size, mtime_ns), the time (ms) and the width. `*from_cache` (may be null) says
  // whether it was a cache hit. Errors name the file: kInvalidArgument (width out of range,
  // seconds negative or not finite), kNotFound (the file is missing, or its size or mtime
  // differ from `file`), and DecodeFrameAt's errors (kCorruption, kUnsupported,
  // kResourceExhausted, kDeadlineExceeded, kIoError, ...), which are not cached.
  StatusOr<std::string> Get(const FileIdentity& file, double seconds, int width,
                            bool* from_cache = nullptr);

  ThumbnailerStats stats() const;

  // The cache key of a request (exposed for tests and the benchmark).
  static std::string CacheKey(const FileIdentity& file, int64_t millis, int width);

 private:
  Thumbnailer(ThumbnailerOptions options, std::unique_ptr<ThumbCache> cache)
      : options_(std::move(options)), cache_(std::move(cache)) {}

  const ThumbnailerOptions options_;
  const std::unique_ptr<ThumbCache> cache_;
  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
};

}  // namespace vidx

#endif  // VIDX_THUMBS_THUMBNAILER_H_
