// Byte ranges of GET /v1/media (RFC 9110 §14): what a `Range` header asks of a file of a
// given size, and whether an `If-Range` validator still matches the file. Pure functions, no
// I/O, so every edge case is a unit test.
//
// Only a single range is served as 206; a list of several is answered with the whole file
// (200), which the RFC allows and which is all a video player needs. A header that does not
// parse is ignored (200, whole file), as the RFC asks.
//
// Thread-safety: pure functions.
#ifndef VIDX_WEB_BYTE_RANGE_H_
#define VIDX_WEB_BYTE_RANGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vidx {

struct RangeDecision {
  enum class Kind {
    kWhole,          // 200: no range, a malformed or multiple one, or another unit
    kPartial,        // 206: bytes offset..offset+length-1 ("Content-Range: bytes a-b/size")
    kUnsatisfiable,  // 416: "Content-Range: bytes */size"
  };
  Kind kind = Kind::kWhole;
  uint64_t offset = 0;  // kPartial only
  uint64_t length = 0;  // kPartial only; >= 1
};

// `header` is the Range value ("" when absent). Forms: "bytes=a-b" (b past the end is cut to
// the last byte), "bytes=a-", "bytes=-n" (the last n bytes, all of them when n >= size). The
// unit is case-insensitive; spaces around the range are allowed; numbers too large for 64
// bits saturate. a > b is malformed; a >= size, "-0" and any range of an empty file are
// unsatisfiable.
RangeDecision ParseRange(std::string_view header, uint64_t size);

// "bytes a-b/size" for a kPartial decision, "bytes */size" for kUnsatisfiable.
std::string ContentRange(const RangeDecision& decision, uint64_t size);

// Whether a Range may be honoured given `if_range` (the If-Range value, "" when absent):
// true when absent; for an entity tag, when it equals `etag` exactly (a weak tag W/"..."
// never matches: If-Range needs a strong comparison); for an HTTP date, when it is the
// file's modification time `mtime_seconds` to the second. Anything else is false (send the
// whole file).
bool IfRangeMatches(std::string_view if_range, std::string_view etag, int64_t mtime_seconds);

// IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", as Last-Modified carries it.
std::string HttpDate(int64_t unix_seconds);
// The inverse of HttpDate (IMF-fixdate only); nullopt for anything else.
std::optional<int64_t> ParseHttpDate(std::string_view text);

}  // namespace vidx

#endif  // VIDX_WEB_BYTE_RANGE_H_
