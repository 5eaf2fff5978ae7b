#include "thumbs/thumbnailer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "indexer/model/sha256.h"
#include "indexer/video/frame_at.h"
#include "indexer/video/image_io.h"

namespace vidx {

namespace {

// Bumped when the same request would give another picture (decoder rules, scaling, encoder).
constexpr const char* kKeyVersion = "vidx-thumb 1";
constexpr double kMaxSeconds = 1e8;  // later times are all "past the end"

// Size and mtime as they are now; kNotFound when missing or not the version asked for.
Status CheckIdentity(const FileIdentity& file) {
  StatusOr<FileIdentity> now = IdentifyFile(file.path);
  if (!now.ok()) return now.status();
  if (now->size != file.size || now->mtime_ns != file.mtime_ns) {
    return Status::NotFound(file.path +
                            " has changed since it was identified (size or modification time "
                            "differ)");
  }
  return Status::Ok();
}

}  // namespace

std::string Thumbnailer::CacheKey(const FileIdentity& file, int64_t millis, int width) {
  Sha256 h;
  h.Update(std::string(kKeyVersion) + '\0');
  h.Update(file.path);
  h.Update(std::string(1, '\0') + std::to_string(file.size) + '\0' + std::to_string(file.mtime_ns) +
           '\0' + std::to_string(millis) + '\0' + std::to_string(width) + '\0' +
           std::to_string(kJpegQuality));
  return h.HexDigest();
}

StatusOr<std::unique_ptr<Thumbnailer>> Thumbnailer::Open(ThumbnailerOptions options) {
  if (options.max_dimension <= 0 || options.max_probe_bytes <= 0 || !(options.max_seconds > 0)) {
    return Status::InvalidArgument(options.cache_dir +
                                   ": thumbnail limits must be positive (max_dimension " +
                                   std::to_string(options.max_dimension) + ", max_probe_bytes " +
                                   std::to_string(options.max_probe_bytes) + ", max_seconds " +
                                   std::to_string(options.max_seconds) + ")");
  }
  auto cache = ThumbCache::Open(options.cache_dir, options.max_cache_bytes);
  if (!cache.ok()) return cache.status();
  return std::unique_ptr<Thumbnailer>(
      new Thumbnailer(std::move(options), std::move(cache).value()));
}

StatusOr<std::string> Thumbnailer::Get(const FileIdentity& file, double seconds, int width,
                                       bool* from_cache) {
  if (from_cache != nullptr) *from_cache = false;
  if (width < kMinWidth || width > kMaxWidth) {
    return Status::InvalidArgument(file.path + ": thumbnail width " + std::to_string(width) +
                                   " is outside " + std::to_string(kMinWidth) + ".." +
                                   std::to_string(kMaxWidth));
  }
  if (!std::isfinite(seconds) || seconds < 0) {
    return Status::InvalidArgument(file.path + ": thumbnail time " + std::to_string(seconds) +
                                   " is not a number of seconds from the start");
  }
  VIDX_RETURN_IF_ERROR(CheckIdentity(file));
  const int64_t millis = std::llround(std::min(seconds, kMaxSeconds) * 1000);
  const std::string key = CacheKey(file, millis, width);
  if (std::optional<std::string> cached = cache_->Lookup(key)) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    if (from_cache != nullptr) *from_cache = true;
    return std::move(*cached);
  }

  misses_.fetch_add(1, std::memory_order_relaxed);
  FrameAtOptions decode;
  decode.width = width;
  decode.max_dimension = options_.max_dimension;
  decode.max_probe_bytes = options_.max_probe_bytes;
  decode.max_seconds = options_.max_seconds;
  decode.decode_threads = 1;  // requests run side by side; one thread each keeps them fair
  StatusOr<Frame> frame = DecodeFrameAt(file.path, static_cast<double>(millis) / 1000, decode);
  if (!frame.ok()) return frame.status();
  StatusOr<std::string> jpeg = EncodeJpeg(*frame, kJpegQuality);
  if (!jpeg.ok()) return jpeg.status().WithContext(file.path);
  // The file may have been replaced while it was decoded: never store that under this key.
  VIDX_RETURN_IF_ERROR(CheckIdentity(file));
  (void)cache_->Insert(key, *jpeg);  // a full or read-only cache still answers
  return jpeg;
}

ThumbnailerStats Thumbnailer::stats() const {
  const ThumbCacheStats c = cache_->stats();
  ThumbnailerStats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.cache_bytes = c.bytes;
  s.cache_files = c.files;
  s.evictions = c.evictions;
  return s;
}

}  // namespace vidx
