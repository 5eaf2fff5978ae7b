// The real `vidx daemon` with its web listener on 127.0.0.1:0: web.address and web.token are
// written with the right modes, the token is kept across restarts, every route needs it,
// `vidx web` prints a link that logs in, searches and media go through, and a clean stop
// removes web.address.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon_process.h"
#include "tests/run_command.h"
#include "tests/tiny_library.h"
#include "web/test_http_client.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::DaemonProcess;
using testing::HttpCall;
using testing::TestResponse;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

unsigned Mode(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0xffff;
}

class WebDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(testing::kClipVocab)) << testing::kClipVocab << " is missing";
    work_ = fs::temp_directory_path() / ("vidx_web_daemon_" + std::to_string(::getpid()));
    fs::remove_all(work_);
    fs::create_directories(work_ / "lib");
    const std::string models = testing::MakeTinyModels(VIDX_TINY_MODELS_DIR, work_.string());
    ASSERT_TRUE(models.empty()) << models;
    std::vector<std::string> videos;
    const std::string made = testing::MakeVideos((work_ / "lib").string(), 2, 2, &videos);
    ASSERT_TRUE(made.empty()) << made;
    testing::DaemonConfig c;
    c.state_dir = (work_ / "state").string();
    c.library = (work_ / "lib").string();
    c.socket = (work_ / "vidx.sock").string();
    c.model = (work_ / "tiny_c").string();
    testing::WriteDaemonConfig(Config(), c);
  }
  void TearDown() override { fs::remove_all(work_); }
  std::string Config() const { return (work_ / "vidx.yaml").string(); }
  std::unique_ptr<DaemonProcess> Daemon() const {
    auto d = std::make_unique<DaemonProcess>(VIDX_BINARY, Config(), (work_ / "vidx.sock").string(),
                                             (work_ / "daemon.log").string());
    EXPECT_TRUE(d->Start());
    return d;
  }
  testing::CommandResult VidxWeb() const {
    return testing::RunCommand(std::string(VIDX_BINARY) + " --config " +
                               testing::ShellQuote(Config()) + " web");
  }
  fs::path work_;
};

TEST_F(WebDaemonTest, ListenerTokenAndAddress) {
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(2, 0, 120)) << d->Log();
  const fs::path address_file = work_ / "state" / "web.address";
  const fs::path token_file = work_ / "state" / "web.token";
  ASSERT_TRUE(fs::exists(address_file)) << d->Log();
  std::string address = ReadAll(address_file);
  ASSERT_FALSE(address.empty());
  EXPECT_EQ(address.back(), '\n');
  address.pop_back();
  EXPECT_EQ(address.rfind("127.0.0.1:", 0), 0u) << address;
  EXPECT_NE(address, "127.0.0.1:0");
  std::string token = ReadAll(token_file);
  EXPECT_EQ(Mode(token_file), 0600u);
  ASSERT_EQ(token.size(), 65u);
  token.pop_back();

  // Without the token: 401 everywhere.
  TestResponse r = HttpCall(address, "GET", "/v1/status");
  EXPECT_EQ(r.status, 401) << r.error;
  EXPECT_EQ(HttpCall(address, "GET", "/").status, 401);
  EXPECT_EQ(HttpCall(address, "POST", "/v1/reindex", {}, "{}").status, 401);
  r = HttpCall(address, "GET", "/v1/status", {{"Authorization", "Bearer " + std::string(64, 'a')}});
  EXPECT_EQ(r.status, 401);

  // With it: the same status document as on the socket.
  r = HttpCall(address, "GET", "/v1/status", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json status = json::parse(r.body, nullptr, false);
  EXPECT_EQ(status["files"]["indexed"], 2) << r.body;
  EXPECT_EQ(status["fingerprint"], d->Status()["fingerprint"]);
  EXPECT_FALSE(r.Header("content-security-policy").empty());

  // vidx web prints the link; following it sets the cookie, which then works.
  testing::CommandResult web = VidxWeb();
  ASSERT_EQ(web.exit_code, 0) << web.err;
  const std::string prefix = "http://" + address;
  ASSERT_EQ(web.out, prefix + "/login?token=" + token + "\n");
  r = HttpCall(address, "GET", web.out.substr(prefix.size(), web.out.size() - prefix.size() - 1));
  ASSERT_EQ(r.status, 303) << r.body;
  const std::string cookie = r.Header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  const testing::TestHeaders with_cookie = {{"Cookie", cookie.substr(0, cookie.find(';'))}};
  r = HttpCall(address, "GET", "/", with_cookie);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");

  // A search over TCP, then the first hit's bytes by its path from the search (a byte range).
  r = HttpCall(address, "POST", "/v1/search", with_cookie, R"({"text": "a test pattern", "k": 2})");
  ASSERT_EQ(r.status, 200) << r.body;
  const json found = json::parse(r.body, nullptr, false);
  ASSERT_EQ(found["results"].size(), 2u) << r.body;
  r = HttpCall(address, "POST", "/v1/search", with_cookie,
               json{{"like", found["results"][0]["path"].get<std::string>() + "@1"}}.dump());
  EXPECT_EQ(r.status, 400) << "a path is refused over TCP: " << r.body;
  r = HttpCall(address, "GET", "/v1/folders", with_cookie);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["folders"], json::array({(work_ / "lib").string()}));

  EXPECT_EQ(d->Stop(), 0) << d->Log();
  EXPECT_FALSE(fs::exists(address_file)) << "a clean stop removes web.address";
  EXPECT_TRUE(fs::exists(token_file));
  web = VidxWeb();
  EXPECT_EQ(web.exit_code, 1);
  EXPECT_NE(web.err.find("no daemon web listener is up"), std::string::npos) << web.err;

  // The token is kept across restarts; a token file others may read stops the start.
  auto again = Daemon();
  ASSERT_TRUE(again->WaitIdle(2, 0, 120)) << again->Log();
  EXPECT_EQ(ReadAll(token_file), token + "\n");
  EXPECT_EQ(again->Stop(), 0);
  ::chmod(token_file.c_str(), 0644);
  auto refused = Daemon();
  EXPECT_EQ(refused->Wait(60), 1) << refused->Log();
  EXPECT_NE(refused->Log().find("the web token " + token_file.string() + " is open to other users"),
            std::string::npos)
      << refused->Log();
}

}  // namespace
}  // namespace vidx
