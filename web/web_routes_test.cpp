// WebRoutes over the real libmicrohttpd server with a fake backend: authentication, the
// login flow, the headers every response carries, the pages and the JSON routes.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/model/sha256.h"
#include "web/fake_web_backend.h"
#include "web/login_page.h"
#include "web/web_assets.h"
#include "web/web_routes.h"

namespace vidx {
namespace {

using nlohmann::json;
using testing::kTestToken;
using testing::TestResponse;

class WebRoutesTest : public testing::WebRoutesFixture {};

struct Route {
  std::string method, target, body;
};

const std::vector<Route>& EveryRoute() {
  static const std::vector<Route> routes = {
      {"GET", "/", ""},
      {"GET", "/status", ""},
      {"GET", "/assets/index.html", ""},
      {"GET", "/no/such/page", ""},
      {"POST", "/v1/search", R"({"text": "dog"})"},
      {"POST", "/v1/search/image?k=3", "\x89PNG"},
      {"GET", "/v1/status", ""},
      {"GET", "/v1/folders", ""},
      {"POST", "/v1/reindex", "{}"},
      {"GET", "/v1/thumb?file=1&t=1&w=320", ""},
      {"GET", "/v1/media/1", ""},
      {"HEAD", "/v1/media/1", ""},
      {"GET", "/v1/unknown", ""},
  };
  return routes;
}

void ExpectSecurityHeaders(const TestResponse& r, const std::string& what) {
  EXPECT_EQ(r.Header("content-security-policy").rfind(kContentSecurityPolicy, 0), 0u) << what;
  EXPECT_EQ(r.Header("x-content-type-options"), "nosniff") << what;
  EXPECT_EQ(r.Header("referrer-policy"), "no-referrer") << what;
  for (const auto& [name, value] : r.headers) {
    EXPECT_NE(name.rfind("access-control-", 0), 0u) << what << ": " << name << ": " << value;
  }
}

TEST_F(WebRoutesTest, EveryRouteNeedsTheToken) {
  const std::string wrong(64, 'f');
  for (const Route& route : EveryRoute()) {
    const std::string what = route.method + " " + route.target;
    for (const testing::TestHeaders& headers :
         {testing::TestHeaders{}, testing::TestHeaders{{"Authorization", "Bearer " + wrong}},
          testing::TestHeaders{{"Cookie", "vidx_token=" + wrong}},
          testing::TestHeaders{{"Cookie", std::string("vidx_token=") + kTestToken + "0"}},
          testing::TestHeaders{{"Authorization", std::string("Basic ") + kTestToken}},
          testing::TestHeaders{{"Origin", "http://evil.example"}}}) {
      TestResponse r = Call(route.method, route.target, headers, route.body);
      ASSERT_EQ(r.status, 401) << what << " " << r.error;
      ExpectSecurityHeaders(r, what);
      if (route.method == "HEAD") continue;
      if (route.target.rfind("/v1/", 0) == 0) {
        EXPECT_EQ(r.Header("content-type"), "application/json") << what;
        EXPECT_TRUE(json::parse(r.body, nullptr, false).contains("error")) << what << r.body;
      } else {
        EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8") << what;
        EXPECT_NE(r.body.find("action=\"/login\""), std::string::npos) << what;
      }
    }
  }
  EXPECT_EQ(backend_.reindexes.load(), 0);
  EXPECT_TRUE(backend_.queries.empty());
}

TEST_F(WebRoutesTest, CookieAndBearerAreAccepted) {
  TestResponse r = Authed("GET", "/v1/status");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), backend_.status_document);
  r = Call("GET", "/v1/status", {{"Cookie", std::string("a=b; vidx_token=") + kTestToken}});
  EXPECT_EQ(r.status, 200) << r.body;
  ExpectSecurityHeaders(r, "status");
  EXPECT_EQ(r.Header("cache-control"), "no-store");
}

TEST_F(WebRoutesTest, LoginSetsAStrictHttpOnlyCookie) {
  const std::string cookie =
      std::string("vidx_token=") + kTestToken + "; HttpOnly; SameSite=Strict; Path=/";
  TestResponse r = Call("GET", std::string("/login?token=") + kTestToken);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.Header("location"), "/");
  EXPECT_EQ(r.Header("set-cookie"), cookie);
  ExpectSecurityHeaders(r, "login");
  r = Call("POST", "/login", {{"Content-Type", "application/x-www-form-urlencoded"}},
           std::string("token=") + kTestToken);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.Header("set-cookie"), cookie);

  for (const std::string& target : {std::string("/login"), std::string("/login?token=abc"),
                                    std::string("/login?token=") + std::string(64, '0')}) {
    r = Call("GET", target);
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_FALSE(r.Has("set-cookie")) << target;
    EXPECT_NE(r.body.find("<form"), std::string::npos);
  }
  r = Call("POST", "/login", {}, "token=nope");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("not the right one"), std::string::npos);
  // Logged in already: /login goes on to the search page.
  r = Authed("GET", "/login");
  EXPECT_EQ(r.status, 303);
  EXPECT_FALSE(r.Has("set-cookie"));
}

// The login page's inline style is allowed by exactly its hash, and nothing else inline.
TEST_F(WebRoutesTest, LoginPageStyleHashMatchesItsStyle) {
  TestResponse r = Call("GET", "/");
  ASSERT_EQ(r.status, 401);
  const size_t open = r.body.find("<style>");
  const size_t close = r.body.find("</style>");
  ASSERT_NE(open, std::string::npos);
  ASSERT_NE(close, std::string::npos);
  Sha256 h;
  h.Update(std::string_view(r.body).substr(open + 7, close - open - 7));
  uint8_t digest[32];
  h.Final(digest);
  const std::string expected = "style-src 'sha256-" + Base64(digest, 32) + "'";
  const std::string csp = r.Header("content-security-policy");
  EXPECT_NE(csp.find(expected), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(r.body.find("<script"), std::string::npos);
  EXPECT_EQ(r.body.find("style=\""), std::string::npos);
}

TEST_F(WebRoutesTest, PagesAndAssets) {
  const WebAsset* index = FindWebAsset("index.html");
  const WebAsset* status = FindWebAsset("status.html");
  ASSERT_NE(index, nullptr);
  ASSERT_NE(status, nullptr);
  TestResponse r = Authed("GET", "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, index->bytes);
  EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
  ExpectSecurityHeaders(r, "/");
  EXPECT_EQ(r.Header("content-security-policy"), kContentSecurityPolicy);
  r = Authed("GET", "/status");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, status->bytes);
  for (const WebAsset& a : WebAssets()) {
    r = Authed("GET", "/assets/" + std::string(a.name));
    EXPECT_EQ(r.status, 200) << a.name;
    EXPECT_EQ(r.body, a.bytes) << a.name;
    EXPECT_EQ(r.Header("content-type"), a.content_type) << a.name;
  }
  for (const char* bad :
       {"/assets/", "/assets/nope.js", "/assets/../CMakeLists.txt", "/assets/%2e%2e/web_routes.cpp",
        "/assets//index.html", "/index.html", "/etc/passwd"}) {
    r = Authed("GET", bad);
    EXPECT_EQ(r.status, 404) << bad;
  }
  EXPECT_EQ(Authed("POST", "/", {}, "x").status, 405);
}

TEST_F(WebRoutesTest, AssetContentTypes) {
  EXPECT_EQ(ContentTypeForName("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeForName("x/b.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeForName("i.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeForName("noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForName("dir.js/file"), "application/octet-stream");
}

TEST_F(WebRoutesTest, SearchGoesToTheBackend) {
  backend_.search_response.fingerprint = "fp";
  FileHit hit;
  hit.path = "/lib/a.mp4";
  hit.score = 0.5f;
  hit.moments.push_back({1, 2, 0.5f});
  backend_.search_response.results.push_back(hit);
  TestResponse r = Authed("POST", "/v1/search", {{"Content-Type", "application/json"}},
                          R"({"text": "a dog", "k": 3})");
  ASSERT_EQ(r.status, 200) << r.body;
  const json doc = json::parse(r.body);
  EXPECT_EQ(doc["fingerprint"], "fp");
  ASSERT_EQ(doc["results"].size(), 1u);
  EXPECT_EQ(doc["results"][0]["path"], "/lib/a.mp4");
  ASSERT_EQ(backend_.queries.size(), 1u);
  EXPECT_EQ(backend_.queries[0].text, "a dog");
  EXPECT_EQ(backend_.queries[0].k, 3);
}

TEST_F(WebRoutesTest, SearchFieldsOfTheWeb) {
  TestResponse r = Authed("POST", "/v1/search", {},
                          R"({"like": {"file": 42, "t": 7.5}, "k": 5, "offset": 10,
                              "folder": "/lib/sub", "modified_after": 100,
                              "modified_before": 200})");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(backend_.queries.size(), 1u);
  const Query& q = backend_.queries[0];
  ASSERT_TRUE(q.like_moment.has_value());
  EXPECT_EQ(q.like_moment->file, 42u);
  EXPECT_EQ(q.like_moment->t, 7.5);
  EXPECT_EQ(q.k, 5);
  EXPECT_EQ(q.offset, 10);
  EXPECT_EQ(q.filter.folder, "/lib/sub");
  EXPECT_EQ(q.filter.modified_after, 100);
  EXPECT_EQ(q.filter.modified_before, 200);
}

TEST_F(WebRoutesTest, PictureSearchTakesTheBodyAndTheQueryString) {
  const std::string picture("\x89PNG\r\n\x1a\n\0\0 some bytes", 20);
  TestResponse r = Authed("POST", "/v1/search/image?k=4&offset=2&folder=%2Flib%2Fa%20b",
                          {{"Content-Type", "image/png"}}, picture);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(backend_.queries.size(), 1u);
  const Query& q = backend_.queries[0];
  EXPECT_EQ(q.image_bytes, picture);
  EXPECT_TRUE(q.image.empty());
  EXPECT_EQ(q.k, 4);
  EXPECT_EQ(q.offset, 2);
  EXPECT_EQ(q.filter.folder, "/lib/a b");
  EXPECT_EQ(Authed("POST", "/v1/search/image", {}, "").status, 400);
  EXPECT_EQ(Authed("POST", "/v1/search/image?k=0", {}, picture).status, 400);
  EXPECT_EQ(Authed("POST", "/v1/search/image?image=/etc/passwd", {}, picture).status, 400);
  EXPECT_EQ(Authed("GET", "/v1/search/image").status, 405);
}

TEST_F(WebRoutesTest, SearchRefusesPathsAndBadRequests) {
  for (const char* body :
       {R"({"like": "/etc/passwd@3"})", R"({"image": "/etc/shadow"})", R"({"like": "/lib/a.mp4"})",
        R"({"text": "x", "folder": "rel"})", R"({"text": "x", "offset": -1})",
        R"({"text": "x", "image": "/a.png"})", "not json", R"({"k": 3})",
        R"({"text": "x", "k": 0})", R"({"text": "x", "bogus": 1})"}) {
    TestResponse r = Authed("POST", "/v1/search", {}, body);
    EXPECT_EQ(r.status, 400) << body << " " << r.body;
    EXPECT_TRUE(json::parse(r.body, nullptr, false).contains("error")) << body;
  }
  EXPECT_TRUE(backend_.queries.empty());
  EXPECT_EQ(Authed("GET", "/v1/search").status, 405);
  backend_.search_status = Status::Unavailable("nothing indexed yet");
  TestResponse r = Authed("POST", "/v1/search", {}, R"({"text": "x"})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body)["error"], "nothing indexed yet");
  backend_.search_status = Status::FailedPrecondition("fingerprints differ");
  EXPECT_EQ(Authed("POST", "/v1/search", {}, R"({"text": "x"})").status, 409);
}

TEST_F(WebRoutesTest, BodyLimits) {
  TestResponse r = Authed("POST", "/v1/search", {}, std::string(kMaxJsonBytes + 1, ' '));
  EXPECT_EQ(r.status, 413) << r.body;
  ExpectSecurityHeaders(r, "413");  // answered by the server itself, before the routes
  r = Authed("POST", "/v1/search/image", {}, std::string(2 << 20, 'p'));
  EXPECT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(backend_.queries.size(), 1u);
  EXPECT_EQ(backend_.queries[0].image_bytes.size(), size_t{2} << 20);
  r = Authed("POST", "/v1/search/image", {}, std::string(kMaxPictureBytes + 1, 'p'));
  EXPECT_EQ(r.status, 413);
}

TEST_F(WebRoutesTest, StatusFoldersReindex) {
  backend_.roots = {"/lib"};
  backend_.folders = {"/lib", "/lib/sub"};
  TestResponse r = Authed("GET", "/v1/folders");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json({{"roots", {"/lib"}}, {"folders", {"/lib", "/lib/sub"}}}));
  r = Authed("POST", "/v1/reindex", {}, "{}");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(json::parse(r.body), json({{"accepted", true}}));
  EXPECT_EQ(backend_.reindexes.load(), 1);
  EXPECT_EQ(Authed("GET", "/v1/reindex").status, 405);
  EXPECT_EQ(Authed("POST", "/v1/status", {}, "{}").status, 405);
  EXPECT_EQ(Authed("GET", "/v1/nothing").status, 404);
}

}  // namespace
}  // namespace vidx
