// The JSON routes of the web listener (the documents are those of the socket API,
// app/api_json.h and docs/web.md):
//   POST /v1/search        JSON body parsed by ParseSearchRequest(body, kRemote): a path
//                          as "like" or "image" is refused with 400 over TCP
//   POST /v1/search/image  body = the picture's bytes; k, offset, folder, modified_after,
//                          modified_before in the query string
//   GET  /v1/status        the status document
//   GET  /v1/folders       {"roots": [...], "folders": [...]}
//   POST /v1/reindex       202 {"accepted": true}
// Failed searches: HttpStatusFor (400 bad query, 409 fingerprint mismatch, 503 nothing
// served yet).
//
// Thread-safety: free functions; the backend is thread-safe.
#ifndef VIDX_WEB_WEB_API_H_
#define VIDX_WEB_WEB_API_H_

#include "web/http_server.h"
#include "web/web_backend.h"

namespace vidx {

WebResponse ServeSearch(WebBackend* backend, const WebRequest& request);
WebResponse ServeImageSearch(WebBackend* backend, const WebRequest& request);
WebResponse ServeStatus(WebBackend* backend, const WebRequest& request);
WebResponse ServeFolders(WebBackend* backend, const WebRequest& request);
WebResponse ServeReindex(WebBackend* backend, const WebRequest& request);

}  // namespace vidx

#endif  // VIDX_WEB_WEB_API_H_
