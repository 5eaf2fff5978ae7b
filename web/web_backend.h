// WebBackend: what the web routes need from the daemon, as a small seam so that the routes
// are unit-tested with a fake (web/web_routes_test.cpp) and do not depend on Daemon.
// The daemon's implementation forwards to its SearchService, LibraryIndexer, catalog and
// Thumbnailer.
//
// Thread-safety: every method is called concurrently from the web server's threads.
#ifndef VIDX_WEB_WEB_BACKEND_H_
#define VIDX_WEB_WEB_BACKEND_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "indexer/model/checkpoint_hash.h"
#include "search/catalog_types.h"
#include "search/query_engine.h"

namespace vidx {

class WebBackend {
 public:
  virtual ~WebBackend() = default;

  // The served generation's search (SearchService::Search): kUnavailable when nothing is
  // served, kFailedPrecondition for a fingerprint mismatch, kInvalidArgument/kNotFound for
  // a query that cannot be embedded.
  virtual StatusOr<SearchResponse> Search(const Query& query) = 0;

  // The status document of GET /v1/status (the same as on the socket).
  virtual StatusOr<nlohmann::json> StatusDocument() = 0;

  // The catalogued file whose id (its first vector's id in the served generation) is
  // `file_id`: kNotFound when there is none.
  virtual StatusOr<FileRecord> FindFile(uint64_t file_id) = 0;

  // Distinct folders (absolute, sorted) of the served generation's indexed files.
  virtual StatusOr<std::vector<std::string>> Folders() = 0;

  // The library roots as configured (absolute; not resolved).
  virtual std::vector<std::string> LibraryRoots() = 0;

  // POST /v1/reindex: rebuild from the catalog and rescan (LibraryIndexer::RequestReindex).
  virtual void RequestReindex() = 0;

  // JPEG bytes of the frame shown at `seconds` of `file`, `width` px wide
  // (Thumbnailer::Get; errors name the file: kNotFound, kCorruption, kUnsupported,
  // kDeadlineExceeded, kUnavailable when thumbnails are not available).
  virtual StatusOr<std::string> Thumbnail(const FileIdentity& file, double seconds, int width) = 0;
};

}  // namespace vidx

#endif  // VIDX_WEB_WEB_BACKEND_H_
