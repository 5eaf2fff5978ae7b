// The table that web/embed_assets.cmake generates (web_assets_data.cpp in the build tree):
// one entry per file of web/assets/, sorted by name, then a terminating {nullptr, nullptr, 0}.
// Only web/web_assets.cpp reads it; everyone else calls FindWebAsset (web/web_assets.h).
#ifndef VIDX_WEB_WEB_ASSETS_TABLE_H_
#define VIDX_WEB_WEB_ASSETS_TABLE_H_

#include <cstddef>

namespace vidx {

struct EmbeddedFile {
  const char* name;
  const unsigned char* data;  // followed by one 0 byte not counted in size
  size_t size;
};

extern const EmbeddedFile kEmbeddedWebAssets[];
extern const size_t kEmbeddedWebAssetCount;

}  // namespace vidx

#endif  // VIDX_WEB_WEB_ASSETS_TABLE_H_
