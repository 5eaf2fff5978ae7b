// libFuzzer target: the daemon's HTTP request parser on arbitrary bytes, fed in a chunking
// chosen by the input. Must not crash; the chunked parse must agree exactly with a parse of
// the same bytes in one piece (result, error status, request); errors are one of the
// documented statuses; a parsed body has its Content-Length. The client-side response parser
// gets the same bytes and must return a value or kCorruption.
//
// Input layout: byte 0 picks small or default limits, byte 1 seeds the chunk sizes, the rest
// is the request.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/http_message.h"

namespace {

using Result = vidx::HttpRequestParser::Result;

bool Same(const vidx::HttpRequest& a, const vidx::HttpRequest& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path &&
         a.headers == b.headers && a.body == b.body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  vidx::HttpLimits limits;
  if (data[0] & 1) {  // small limits reach 413 and 431 with short inputs
    limits.max_header_bytes = 64 + (data[0] >> 1);
    limits.max_body_bytes = data[0] >> 2;
  }
  uint32_t seed = data[1] * 2654435761u + 1;
  const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

  vidx::HttpRequestParser whole(limits);
  const Result expected = whole.Feed(input);

  vidx::HttpRequestParser chunked(limits);
  Result got = Result::kNeedMore;
  size_t pos = 0;
  while (pos < input.size()) {
    seed = seed * 1103515245u + 12345u;
    const size_t n = 1 + (seed >> 16) % 17;
    const Result r = chunked.Feed(input.substr(pos, n));
    if (got != Result::kNeedMore && r != got) std::abort();  // final results are sticky
    got = r;
    pos += n;
  }
  if (input.empty()) got = chunked.Feed(input);
  if (got != expected) std::abort();
  if (got == Result::kError) {
    const int s = chunked.error_status();
    if (s != whole.error_status()) std::abort();
    if (s != 400 && s != 413 && s != 431 && s != 501 && s != 505) std::abort();
    if (chunked.error_message().empty()) std::abort();
  } else if (got == Result::kDone) {
    const vidx::HttpRequest& r = chunked.request();
    if (!Same(r, whole.request())) std::abort();
    if (r.method.empty() || r.target.empty() || r.path.empty()) std::abort();
    if (r.body.size() > limits.max_body_bytes) std::abort();
    auto length = r.headers.find("content-length");
    if (length == r.headers.end() ? !r.body.empty() : r.body.empty() && length->second[0] != '0') {
      std::abort();
    }
  }

  auto response = vidx::ParseHttpResponse(input);
  if (!response.ok() && response.status().code() != vidx::StatusCode::kCorruption) std::abort();
  if (response.ok() && (response->status < 100 || response->status > 999)) std::abort();
  return 0;
}
