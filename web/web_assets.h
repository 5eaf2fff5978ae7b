// The web UI's static files, compiled into the binary: every file of web/assets/ (HTML, CSS,
// JavaScript, icons) becomes a byte array at build time (web/embed_assets.cmake), so the
// daemon serves exactly what it was built with and reads no file from disk for its pages.
//
// Thread-safety: read-only data; every function may be called from any thread.
#ifndef VIDX_WEB_WEB_ASSETS_H_
#define VIDX_WEB_WEB_ASSETS_H_

#include <string_view>
#include <vector>

namespace vidx {

struct WebAsset {
  std::string_view name;          // relative to web/assets/, '/'-separated: "app.js"
  std::string_view bytes;         // the file's contents
  std::string_view content_type;  // from the extension (ContentTypeForName)
};

// The asset called `name` exactly, or nullptr. No path is resolved: "../x" or "a//b" simply
// match nothing.
const WebAsset* FindWebAsset(std::string_view name);

// Every asset, sorted by name.
const std::vector<WebAsset>& WebAssets();

// By extension: html, css, js/mjs, json, svg, png, jpg/jpeg, gif, webp, ico, woff2, txt, map;
// anything else application/octet-stream. Text types carry "; charset=utf-8".
std::string_view ContentTypeForName(std::string_view name);

}  // namespace vidx

#endif  // VIDX_WEB_WEB_ASSETS_H_
