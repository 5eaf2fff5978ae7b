// The JSON of the local API and of the command line, in one place so that `vidx search
// --json` prints the same document whether the daemon answered or the command searched the
// state directory itself (field names: docs/architecture.md §3).
//
//   POST /v1/search   {"text": "...", "image": "/abs/file.png", "like": "/abs/v.mp4@12",
//                      "k": 10}                 -> the search document
//   GET  /v1/status                             -> the status document
//   POST /v1/reindex  {}                        -> {"accepted": true}
//   errors                                      -> {"error": "one sentence"}
//
// Thread-safety: free functions.
#ifndef VIDX_APP_API_JSON_H_
#define VIDX_APP_API_JSON_H_

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "search/query_engine.h"

namespace vidx {

// A search request body. kInvalidArgument naming the field for bad JSON, an unknown field,
// a wrong type, k outside 1..1000, or no query at all.
StatusOr<Query> ParseSearchRequest(const std::string& body);
nlohmann::json SearchRequestJson(const Query& query);

// How the query is echoed in "query": the text, then "--image FILE", then "--like VIDEO".
std::string QueryLabel(const Query& query);

// {"query", "fingerprint", "results": [{"path", "score", "moments": [{"start","end","score"}]}]}
nlohmann::json SearchResponseJson(const Query& query, const SearchResponse& response);

// "HH:MM:SS".
std::string ClockTime(double seconds);

// The human-readable results: rank, score, path, then up to three moments per file.
std::string FormatSearchResults(const nlohmann::json& search_document);

}  // namespace vidx

#endif  // VIDX_APP_API_JSON_H_
