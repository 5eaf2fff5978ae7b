// WebRoutes: every route of the web UI's TCP listener (docs/web.md has the table), behind
// the token.
//
//   /login          GET ?token=HEX or POST token=HEX (form): the right token sets the cookie
//                   vidx_token (HttpOnly; SameSite=Strict; Path=/) and answers 303 to /;
//                   a wrong or missing one answers 401 with the login page.
//   everything else needs the token, as that cookie or "Authorization: Bearer HEX";
//                   without it: 401, {"error"} for /v1/*, the login page otherwise.
//   GET /  /status  /assets/NAME     the compiled-in pages (web/web_assets.h)
//   POST /v1/search, POST /v1/search/image, GET /v1/status, GET /v1/folders,
//   POST /v1/reindex                 JSON (web/web_api.h)
//   GET|HEAD /v1/media/ID, GET /v1/thumb            library files (web/web_media.h)
//
// Every response carries the Content-Security-Policy of kContentSecurityPolicy (the login
// page adds a style-src with its inline style's hash), X-Content-Type-Options: nosniff and
// Referrer-Policy: no-referrer. No Access-Control-* header is ever sent: other origins get
// nothing from a browser.
//
// Thread-safety: Handle() is called concurrently; the backend must be thread-safe.
#ifndef VIDX_WEB_WEB_ROUTES_H_
#define VIDX_WEB_WEB_ROUTES_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "web/http_server.h"
#include "web/web_backend.h"

namespace vidx {

extern const char kContentSecurityPolicy[];

// Request bodies: 16 MiB for POST /v1/search/image (a picture), 64 KiB for the rest.
constexpr size_t kMaxPictureBytes = 16 << 20;
constexpr size_t kMaxJsonBytes = 64 << 10;

class WebRoutes {
 public:
  // `backend` is not owned and must outlive the routes; `token` is the 64-hex web token.
  WebRoutes(WebBackend* backend, std::string token);

  WebResponse Handle(const WebRequest& request) const;

  // The body limit for HttpServerOptions::body_limit.
  static size_t BodyLimit(const std::string& method, const std::string& path);
  // The headers every response carries, for HttpServerOptions::default_headers (so that the
  // server's own answers carry them too).
  static std::vector<std::pair<std::string, std::string>> SecurityHeaders();

 private:
  bool Authorized(const WebRequest& request) const;
  WebResponse Login(const WebRequest& request) const;
  WebResponse Route(const WebRequest& request) const;

  WebBackend* const backend_;
  const std::string token_;
};

}  // namespace vidx

#endif  // VIDX_WEB_WEB_ROUTES_H_
