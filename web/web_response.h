// Small helpers the web route files share to build responses (not a public interface of
// web/ beyond them).
//
// Thread-safety: free functions.
#ifndef VIDX_WEB_WEB_RESPONSE_H_
#define VIDX_WEB_WEB_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/api_json.h"  // HttpStatusFor, shared with the socket API
#include "common/status.h"
#include "web/http_server.h"

namespace vidx {

// `doc` as JSON (invalid UTF-8 in file names becomes U+FFFD), "Cache-Control: no-store".
WebResponse JsonResponse(int status, const nlohmann::json& doc);
// {"error": message}.
WebResponse JsonErrorResponse(int status, const std::string& message);
// 405 with "Allow: <allowed>" and a sentence naming the path.
WebResponse MethodNotAllowed(const std::string& path, const std::string& allowed);

// "%41" -> "A", "+" -> " " (form encoding); invalid escapes are kept as they are.
std::string UrlDecode(const std::string& text, bool plus_is_space);

// A decimal id of at most 20 digits that fits 64 bits (no sign, no spaces); nullopt else.
std::optional<uint64_t> ParseId(const std::string& text);

}  // namespace vidx

#endif  // VIDX_WEB_WEB_RESPONSE_H_
