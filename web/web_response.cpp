#include "web/web_response.h"

#include <limits>

namespace vidx {

using nlohmann::json;

WebResponse JsonResponse(int status, const json& doc) {
  WebResponse r;
  r.status = status;
  r.SetHeader("Content-Type", "application/json");
  r.SetHeader("Cache-Control", "no-store");
  r.body = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

WebResponse JsonErrorResponse(int status, const std::string& message) {
  return JsonResponse(status, json{{"error", message}});
}

WebResponse MethodNotAllowed(const std::string& path, const std::string& allowed) {
  WebResponse r = JsonErrorResponse(405, "use " + allowed + " for " + path);
  r.SetHeader("Allow", allowed);
  return r;
}

std::string UrlDecode(const std::string& text, bool plus_is_space) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
               hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<uint64_t> ParseId(const std::string& text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace vidx
