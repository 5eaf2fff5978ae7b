// Test support: a WebBackend with canned answers and a record of what it was asked, and a
// fixture that serves WebRoutes over the real HttpServer on 127.0.0.1:0.
#ifndef VIDX_WEB_FAKE_WEB_BACKEND_H_
#define VIDX_WEB_FAKE_WEB_BACKEND_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "web/http_server.h"
#include "web/test_http_client.h"
#include "web/web_backend.h"
#include "web/web_routes.h"

namespace vidx::testing {

class FakeWebBackend : public WebBackend {
 public:
  StatusOr<SearchResponse> Search(const Query& query) override {
    std::lock_guard<std::mutex> lock(mu);
    queries.push_back(query);
    if (!search_status.ok()) return search_status;
    return search_response;
  }
  StatusOr<nlohmann::json> StatusDocument() override { return status_document; }
  StatusOr<FileRecord> FindFile(uint64_t file_id) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = files.find(file_id);
    if (it == files.end()) return Status::NotFound("no file " + std::to_string(file_id));
    return it->second;
  }
  StatusOr<std::vector<std::string>> Folders() override { return folders; }
  std::vector<std::string> LibraryRoots() override {
    std::lock_guard<std::mutex> lock(mu);
    return roots;
  }
  void RequestReindex() override { ++reindexes; }
  StatusOr<std::string> Thumbnail(const FileIdentity& file, double seconds, int width) override {
    std::lock_guard<std::mutex> lock(mu);
    thumb_file = file;
    thumb_seconds = seconds;
    thumb_width = width;
    if (!thumb_status.ok()) return thumb_status;
    return std::string("\xff\xd8 jpeg of ") + file.path;
  }

  std::mutex mu;
  std::vector<Query> queries;
  Status search_status;
  SearchResponse search_response;
  nlohmann::json status_document = {{"files", {{"indexed", 1}}}};
  std::map<uint64_t, FileRecord> files;
  std::vector<std::string> folders;
  std::vector<std::string> roots;
  std::atomic<int> reindexes{0};
  Status thumb_status;
  FileIdentity thumb_file;
  double thumb_seconds = -1;
  int thumb_width = -1;
};

constexpr char kTestToken[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class WebRoutesFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    routes_ = std::make_unique<WebRoutes>(&backend_, kTestToken);
    HttpServerOptions o;
    o.body_limit = &WebRoutes::BodyLimit;
    o.default_headers = WebRoutes::SecurityHeaders();
    WebRoutes* routes = routes_.get();
    auto server = HttpServer::Start(o, [routes](const WebRequest& r) { return routes->Handle(r); });
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(*server);
  }
  void TearDown() override { server_.reset(); }

  TestResponse Call(const std::string& method, const std::string& target, TestHeaders headers = {},
                    const std::string& body = "") const {
    return HttpCall(server_->address().ToString(), method, target, headers, body);
  }
  // With the token as a Bearer header.
  TestResponse Authed(const std::string& method, const std::string& target,
                      TestHeaders headers = {}, const std::string& body = "") const {
    headers.emplace_back("Authorization", std::string("Bearer ") + kTestToken);
    return Call(method, target, headers, body);
  }

  FakeWebBackend backend_;
  std::unique_ptr<WebRoutes> routes_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace vidx::testing

#endif  // VIDX_WEB_FAKE_WEB_BACKEND_H_
