// The JSON of the local API and of the command line, in one place so that `vidx search
// --json` prints the same document whether the daemon answered or the command searched the
// state directory itself (field names: docs/architecture.md §3).
//
//   POST /v1/search   {"text": "...", "image": "/abs/file.png", "like": "/abs/v.mp4@12",
//                      "k": 10, "offset": 0, "folder": "/abs/dir",
//                      "modified_after": UNIX, "modified_before": UNIX}   -> the search document
//                     "like" may also be {"file": FILE_ID, "t": SECONDS} (a catalogued moment)
//   POST /v1/search/image?k=&offset=&folder=&modified_after=&modified_before=
//                     body: the picture's bytes (the web listener)   -> the search document
//   GET  /v1/status                             -> the status document
//   POST /v1/reindex  {}                        -> {"accepted": true}
//   errors                                      -> {"error": "one sentence"}
//
// Thread-safety: free functions.
#ifndef VIDX_APP_API_JSON_H_
#define VIDX_APP_API_JSON_H_

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "search/query_engine.h"

namespace vidx {

// Where a request came from. Local requests (the command line, the unix socket, mode 0660)
// may name files the daemon opens ("image", a string "like"); remote ones (the TCP listener)
// may not: the daemon never opens a path a remote request names.
enum class RequestOrigin { kLocal, kRemote };

// A search request body. kInvalidArgument naming the field for bad JSON, an unknown field,
// a wrong type, k outside 1..1000, a negative offset, a relative folder, a path-naming field
// from a remote origin, or no query at all.
StatusOr<Query> ParseSearchRequest(const std::string& body,
                                   RequestOrigin origin = RequestOrigin::kLocal);

// A picture query: `picture` (the request body) plus the parameters of the URL's query string
// (k, offset, folder, modified_after, modified_before, text; already percent-decoded).
// kInvalidArgument as ParseSearchRequest, naming the parameter; also for an empty picture or
// an unknown parameter.
StatusOr<Query> ParsePictureSearch(const std::map<std::string, std::string>& params,
                                   std::string picture);
nlohmann::json SearchRequestJson(const Query& query);

// How the query is echoed in "query": the text, then "--image FILE", then "--like VIDEO".
std::string QueryLabel(const Query& query);

// {"query", "fingerprint", "offset", "more", "results": [{"file", "path", "name", "folder",
//  "duration", "modified", "size", "codec", "playable", "score", ["probability",]
//  "moments": [{"start","end","score"}]}]}; "probability" only where FileHit has one (SigLIP,
//  a one-text query: query_engine.h).
nlohmann::json SearchResponseJson(const Query& query, const SearchResponse& response);

// Whether a browser plays the file: container mp4/m4v/mov/webm (by extension) and codec
// h264/vp8/vp9/av1.
bool BrowserPlayable(const std::string& path, const std::string& codec);

// The HTTP status of a failed call, for both listeners: 400 for a bad request (kInvalidArgument,
// kNotFound, kUnsupported, kCorruption), 409 for a fingerprint mismatch (kFailedPrecondition),
// 503 for kUnavailable, kBusy and kDeadlineExceeded, 500 otherwise.
int HttpStatusFor(const Status& status);

// "HH:MM:SS".
std::string ClockTime(double seconds);

// The human-readable results: rank, score, path, then up to three moments per file.
std::string FormatSearchResults(const nlohmann::json& search_document);

}  // namespace vidx

#endif  // VIDX_APP_API_JSON_H_
