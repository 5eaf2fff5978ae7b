#include "web/login_page.h"

#include <cstdint>

#include "indexer/model/sha256.h"

namespace vidx {

namespace {

constexpr char kStyle[] =
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:15vh auto;padding:0 1rem;"
    "color:#222;background:#fafafa}"
    "h1{font-size:1.4rem}form{display:flex;gap:.5rem}"
    "input{flex:1;padding:.45rem;font:inherit;border:1px solid #999;border-radius:4px}"
    "button{padding:.45rem .9rem;font:inherit;border-radius:4px;border:1px solid #555;"
    "background:#333;color:#fff}"
    ".error{color:#a00}code{background:#eee;padding:0 .25rem;border-radius:3px}"
    "@media (prefers-color-scheme:dark){body{color:#ddd;background:#181818}"
    "code{background:#333}input{background:#222;color:#ddd}}";

std::string EscapeHtml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string Base64(const unsigned char* data, size_t size) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < size; i += 3) {
    const uint32_t b0 = data[i];
    const uint32_t b1 = i + 1 < size ? data[i + 1] : 0;
    const uint32_t b2 = i + 2 < size ? data[i + 2] : 0;
    const uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < size ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < size ? kAlphabet[v & 63] : '=';
  }
  return out;
}

const std::string& LoginStyleHash() {
  static const std::string hash = [] {
    Sha256 h;
    h.Update(std::string_view(kStyle));
    uint8_t digest[32];
    h.Final(digest);
    return "'sha256-" + Base64(digest, sizeof digest) + "'";
  }();
  return hash;
}

std::string LoginPageHtml(const std::string& message) {
  std::string html =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>vidx: log in</title>\n<style>";
  html += kStyle;
  html += "</style>\n</head>\n<body>\n<h1>vidx</h1>\n";
  if (!message.empty()) html += "<p class=\"error\">" + EscapeHtml(message) + "</p>\n";
  html +=
      "<p>This vidx needs its access token. On the machine that runs the daemon, "
      "<code>vidx web</code> prints a link that logs you in.</p>\n"
      "<form method=\"post\" action=\"/login\">\n"
      "<input name=\"token\" type=\"password\" autocomplete=\"off\" "
      "aria-label=\"access token\" placeholder=\"access token\" required>\n"
      "<button type=\"submit\">Log in</button>\n</form>\n</body>\n</html>\n";
  return html;
}

}  // namespace vidx
