#include "web/web_routes.h"

#include <utility>

#include "web/login_page.h"
#include "web/web_api.h"
#include "web/web_assets.h"
#include "web/web_media.h"
#include "web/web_response.h"
#include "web/web_token.h"

namespace vidx {

const char kContentSecurityPolicy[] =
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

namespace {

constexpr char kV1[] = "/v1/";

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

WebResponse LoginPage(int status, const std::string& message) {
  WebResponse r;
  r.status = status;
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  r.SetHeader("Content-Security-Policy",
              std::string(kContentSecurityPolicy) + "; style-src " + LoginStyleHash());
  r.body = LoginPageHtml(message);
  return r;
}

WebResponse Asset(const WebRequest& request, const std::string& name) {
  if (request.method != "GET" && request.method != "HEAD") {
    return MethodNotAllowed(request.path, "GET");
  }
  const WebAsset* asset = FindWebAsset(name);
  if (asset == nullptr) {
    WebResponse r;
    r.status = 404;
    r.SetHeader("Content-Type", "text/plain; charset=utf-8");
    r.body = "not found\n";
    return r;
  }
  WebResponse r;
  r.SetHeader("Content-Type", std::string(asset->content_type));
  r.SetHeader("Cache-Control", "no-cache");
  r.body = std::string(asset->bytes);
  return r;
}

// The value of `name` in an application/x-www-form-urlencoded body.
std::string FormField(const std::string& body, const std::string& name) {
  size_t at = 0;
  while (at <= body.size()) {
    const size_t amp = body.find('&', at);
    const std::string pair =
        body.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    const size_t eq = pair.find('=');
    if (UrlDecode(pair.substr(0, eq), true) == name) {
      return eq == std::string::npos ? "" : UrlDecode(pair.substr(eq + 1), true);
    }
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  return "";
}

}  // namespace

WebRoutes::WebRoutes(WebBackend* backend, std::string token)
    : backend_(backend), token_(std::move(token)) {}

size_t WebRoutes::BodyLimit(const std::string& method, const std::string& path) {
  return method == "POST" && path == "/v1/search/image" ? kMaxPictureBytes : kMaxJsonBytes;
}

bool WebRoutes::Authorized(const WebRequest& request) const {
  if (std::optional<std::string> bearer = BearerToken(request.Header("authorization"))) {
    if (TokensEqual(*bearer, token_)) return true;
  }
  if (std::optional<std::string> cookie = CookieValue(request.Header("cookie"), kWebTokenCookie)) {
    if (TokensEqual(*cookie, token_)) return true;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> WebRoutes::SecurityHeaders() {
  return {{"Content-Security-Policy", kContentSecurityPolicy},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"}};
}

WebResponse WebRoutes::Handle(const WebRequest& request) const {
  WebResponse r = Route(request);
  for (const auto& [name, value] : SecurityHeaders()) {
    if (r.Header(name).empty()) r.SetHeader(name, value);  // the login page has its own CSP
  }
  return r;
}

WebResponse WebRoutes::Login(const WebRequest& request) const {
  std::string offered;
  if (request.method == "GET" || request.method == "HEAD") {
    offered = request.Arg("token");
  } else if (request.method == "POST") {
    offered = FormField(request.body, "token");
  } else {
    return MethodNotAllowed("/login", "GET, POST");
  }
  if (offered.empty() || !TokensEqual(offered, token_)) {
    if (offered.empty() && Authorized(request)) {  // already logged in
      WebResponse r;
      r.status = 303;
      r.SetHeader("Location", "/");
      return r;
    }
    return LoginPage(401, offered.empty() ? "" : "That token is not the right one.");
  }
  WebResponse r;
  r.status = 303;
  r.SetHeader("Location", "/");
  r.SetHeader("Cache-Control", "no-store");
  r.SetHeader("Set-Cookie",
              std::string(kWebTokenCookie) + "=" + token_ + "; HttpOnly; SameSite=Strict; Path=/");
  return r;
}

WebResponse WebRoutes::Route(const WebRequest& request) const {
  const std::string& path = request.path;
  if (path == "/login") return Login(request);
  const bool api = StartsWith(path, kV1);
  if (!Authorized(request)) {
    if (!api) return LoginPage(401, "");
    WebResponse r = JsonErrorResponse(
        401,
        "this needs the web token: the cookie vidx_token or Authorization: Bearer "
        "(vidx web prints a login link)");
    r.SetHeader("WWW-Authenticate", "Bearer realm=\"vidx\"");
    return r;
  }
  if (path == "/") return Asset(request, "index.html");
  if (path == "/status") return Asset(request, "status.html");
  if (StartsWith(path, "/assets/")) return Asset(request, path.substr(8));
  if (!api) return Asset(request, "");  // 404
  if (path == "/v1/search") return ServeSearch(backend_, request);
  if (path == "/v1/search/image") return ServeImageSearch(backend_, request);
  if (path == "/v1/status") return ServeStatus(backend_, request);
  if (path == "/v1/folders") return ServeFolders(backend_, request);
  if (path == "/v1/reindex") return ServeReindex(backend_, request);
  if (path == "/v1/thumb") return ServeThumb(backend_, request);
  if (StartsWith(path, "/v1/media/")) return ServeMedia(backend_, request, path.substr(10));
  return JsonErrorResponse(404, "unknown path " + path);
}

}  // namespace vidx
