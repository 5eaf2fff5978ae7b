#include "web/web_assets.h"

#include <algorithm>
#include <utility>

#include "web/web_assets_table.h"

namespace vidx {

std::string_view ContentTypeForName(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"txt", "text/plain; charset=utf-8"},
  };
  const size_t dot = name.rfind('.');
  const size_t slash = name.rfind('/');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    const std::string_view ext = name.substr(dot + 1);
    for (const auto& [e, type] : kTypes) {
      if (e == ext) return type;
    }
  }
  return "application/octet-stream";
}

const std::vector<WebAsset>& WebAssets() {
  static const std::vector<WebAsset> assets = [] {
    std::vector<WebAsset> out;
    for (size_t i = 0; i < kEmbeddedWebAssetCount; ++i) {
      const EmbeddedFile& f = kEmbeddedWebAssets[i];
      const std::string_view name(f.name);
      out.push_back({name, std::string_view(reinterpret_cast<const char*>(f.data), f.size),
                     ContentTypeForName(name)});
    }
    std::sort(out.begin(), out.end(),
              [](const WebAsset& a, const WebAsset& b) { return a.name < b.name; });
    return out;
  }();
  return assets;
}

const WebAsset* FindWebAsset(std::string_view name) {
  const std::vector<WebAsset>& assets = WebAssets();
  auto it = std::lower_bound(assets.begin(), assets.end(), name,
                             [](const WebAsset& a, std::string_view n) { return a.name < n; });
  return it != assets.end() && it->name == name ? &*it : nullptr;
}

}  // namespace vidx
