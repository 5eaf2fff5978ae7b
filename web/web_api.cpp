#include "web/web_api.h"

#include <nlohmann/json.hpp>

#include "app/api_json.h"
#include "web/web_response.h"

namespace vidx {

using nlohmann::json;

namespace {

WebResponse RunSearch(WebBackend* backend, const Query& query) {
  StatusOr<SearchResponse> r = backend->Search(query);
  if (!r.ok()) return JsonErrorResponse(HttpStatusFor(r.status()), r.status().message());
  return JsonResponse(200, SearchResponseJson(query, *r));
}

}  // namespace

WebResponse ServeSearch(WebBackend* backend, const WebRequest& request) {
  if (request.method != "POST") return MethodNotAllowed("/v1/search", "POST");
  StatusOr<Query> q = ParseSearchRequest(request.body, RequestOrigin::kRemote);
  if (!q.ok()) return JsonErrorResponse(400, q.status().message());
  return RunSearch(backend, *q);
}

WebResponse ServeImageSearch(WebBackend* backend, const WebRequest& request) {
  if (request.method != "POST") return MethodNotAllowed("/v1/search/image", "POST");
  StatusOr<Query> q = ParsePictureSearch(request.query, request.body);
  if (!q.ok()) return JsonErrorResponse(400, q.status().message());
  return RunSearch(backend, *q);
}

WebResponse ServeStatus(WebBackend* backend, const WebRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return MethodNotAllowed("/v1/status", "GET");
  }
  StatusOr<json> doc = backend->StatusDocument();
  if (!doc.ok()) return JsonErrorResponse(500, doc.status().message());
  return JsonResponse(200, *doc);
}

WebResponse ServeFolders(WebBackend* backend, const WebRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return MethodNotAllowed("/v1/folders", "GET");
  }
  StatusOr<std::vector<std::string>> folders = backend->Folders();
  if (!folders.ok()) {
    return JsonErrorResponse(HttpStatusFor(folders.status()), folders.status().message());
  }
  return JsonResponse(200, json{{"roots", backend->LibraryRoots()}, {"folders", *folders}});
}

WebResponse ServeReindex(WebBackend* backend, const WebRequest& request) {
  if (request.method != "POST") return MethodNotAllowed("/v1/reindex", "POST");
  backend->RequestReindex();
  return JsonResponse(202, json{{"accepted", true}});
}

}  // namespace vidx
