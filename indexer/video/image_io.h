// Still images in and out, through FFmpeg (no other image library).
//
//  * WritePng encodes a vidx::Frame (packed RGB24) as PNG with libavcodec and writes it to a
//    temporary file next to `path`, then renames it into place: a reader never sees a half
//    written image.
//  * LoadImageRgb decodes one still image (png, jpeg, bmp, webp, tiff, gif, pnm, qoi) at its
//    own size to packed RGB24. The file is opened like a video (MediaInput): file protocol
//    only, single-file image demuxers only, a pixel limit and a time limit.
//
// Thread-safety: free functions without shared state; safe to call from several threads.
#ifndef VIDX_INDEXER_VIDEO_IMAGE_IO_H_
#define VIDX_INDEXER_VIDEO_IMAGE_IO_H_

#include <string>

#include "common/status.h"
#include "indexer/video/sampler.h"

namespace vidx {

// Fails with kInvalidArgument for an empty/inconsistent frame, kIoError when the file cannot
// be written, kInternal when the encoder fails.
Status WritePng(const std::string& path, const Frame& frame);

// Frame.t and Frame.target are 0. Fails with kNotFound/kIoError, kCorruption (not an image or
// undecodable), kUnsupported (a refused format such as a video or a playlist),
// kResourceExhausted (wider or taller than `max_dimension`), kDeadlineExceeded.
StatusOr<Frame> LoadImageRgb(const std::string& path, int max_dimension = 8192,
                             double max_seconds = 30);

// LoadImageRgb for an encoded picture held in memory (e.g. uploaded with a query), under the
// same format allowlist and limits. The bytes go to an anonymous memory file (memfd) that
// only this call can reach; no named file is created or opened. Errors as LoadImageRgb's,
// prefixed with "the picture"; kInvalidArgument when `bytes` is empty.
StatusOr<Frame> DecodeImageBytes(const std::string& bytes, int max_dimension = 8192,
                                 double max_seconds = 30);

}  // namespace vidx

#endif  // VIDX_INDEXER_VIDEO_IMAGE_IO_H_
