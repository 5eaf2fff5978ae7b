#include "web/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "web/test_http_client.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using testing::HttpCall;
using testing::TestResponse;

std::unique_ptr<HttpServer> StartOrDie(HttpServerOptions options, WebHandler handler) {
  auto server = HttpServer::Start(std::move(options), std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().message();
  return server.ok() ? std::move(*server) : nullptr;
}

WebResponse Echo(const WebRequest& r) {
  WebResponse out;
  out.SetHeader("Content-Type", "text/plain");
  out.SetHeader("X-Method", r.method);
  out.SetHeader("X-Path", r.path);
  out.SetHeader("X-Arg", r.Arg("a", "-"));
  out.SetHeader("X-Header", r.Header("x-test"));
  out.body = r.body;
  return out;
}

// Raw bytes to a fresh connection; everything read back until the server closes or
// `timeout` passes.
std::string RawExchange(uint16_t port, const std::string& bytes, double timeout = 5) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "";
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(HttpServerTest, EphemeralPortAndRequestParts) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->address().port, 0);
  EXPECT_EQ(server->address().host, "127.0.0.1");
  const std::string addr = server->address().ToString();
  TestResponse r = HttpCall(addr, "GET", "/some/where?a=b%20c&z", {{"X-Test", "yes"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.Header("x-method"), "GET");
  EXPECT_EQ(r.Header("x-path"), "/some/where");
  EXPECT_EQ(r.Header("x-arg"), "b c");
  EXPECT_EQ(r.Header("x-header"), "yes");
  EXPECT_EQ(r.Header("content-length"), "0");
  r = HttpCall(addr, "POST", "/p", {}, "hello body");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello body");
}

TEST(HttpServerTest, BodiesAccumulateUpToTheLimitPerPath) {
  HttpServerOptions o;
  o.body_limit = [](const std::string&, const std::string& path) -> size_t {
    return path == "/big" ? 4 << 20 : 1000;
  };
  auto server = StartOrDie(o, Echo);
  ASSERT_NE(server, nullptr);
  const std::string addr = server->address().ToString();
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>('a' + i % 26);
  TestResponse r = HttpCall(addr, "POST", "/big", {}, big);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, big);
  r = HttpCall(addr, "POST", "/small", {}, std::string(1001, 'y'));
  EXPECT_EQ(r.status, 413) << r.error;
  EXPECT_NE(r.body.find("larger than 1000 bytes"), std::string::npos) << r.body;
  r = HttpCall(addr, "POST", "/small", {}, std::string(1000, 'y'));
  EXPECT_EQ(r.status, 200);
  // Chunked, past the limit: refused once it passes it.
  std::string chunked = "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += "1f4\r\n" + std::string(500, 'z') + "\r\n";
  chunked += "0\r\n\r\n";
  EXPECT_NE(RawExchange(server->address().port, chunked).find("HTTP/1.1 413"), std::string::npos);
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  const std::string one = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string last = "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string out = RawExchange(server->address().port, one + one + last);
  EXPECT_EQ(Count(out, "HTTP/1.1 200"), 3u) << out;
}

TEST(HttpServerTest, FileRegionsAreStreamedAndHeadHasNoBody) {
  const fs::path file = fs::temp_directory_path() / ("vidx_http_file_" + std::to_string(getpid()));
  std::string data;
  for (int i = 0; i < 300000; ++i) data += static_cast<char>(i * 7 % 251);
  std::ofstream(file, std::ios::binary) << data;
  auto server = StartOrDie({}, [&](const WebRequest& r) {
    WebResponse out;
    out.file.reset(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    out.file_offset = 1000;
    out.file_length = 200000;
    out.SetHeader("Content-Type", "application/octet-stream");
    out.status = r.method == "HEAD" ? 200 : 206;
    return out;
  });
  ASSERT_NE(server, nullptr);
  const std::string addr = server->address().ToString();
  TestResponse r = HttpCall(addr, "GET", "/f");
  ASSERT_EQ(r.status, 206) << r.error;
  EXPECT_EQ(r.body, data.substr(1000, 200000));
  r = HttpCall(addr, "HEAD", "/f");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.Header("content-length"), "200000");
  EXPECT_EQ(r.body, "");
  fs::remove(file);
}

TEST(HttpServerTest, HandlerExceptionsBecome500) {
  auto server =
      StartOrDie({}, [](const WebRequest&) -> WebResponse { throw std::runtime_error("boom"); });
  ASSERT_NE(server, nullptr);
  TestResponse r = HttpCall(server->address().ToString(), "GET", "/");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("boom"), std::string::npos);
}

TEST(HttpServerTest, IdleConnectionsAreClosed) {
  HttpServerOptions o;
  o.idle_timeout_seconds = 1;
  auto server = StartOrDie(o, Echo);
  ASSERT_NE(server, nullptr);
  const auto start = std::chrono::steady_clock::now();
  const std::string out = RawExchange(server->address().port, "GET /slow", 10);  // never ends
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(waited, 8) << "a slow client kept its connection: " << out;
}

TEST(HttpServerTest, BusyPortAndBadAddresses) {
  auto first = StartOrDie({}, Echo);
  ASSERT_NE(first, nullptr);
  HttpServerOptions o;
  o.listen = first->address().ToString();
  auto second = HttpServer::Start(o, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find(o.listen), std::string::npos);
  o.listen = "localhost:80";
  EXPECT_EQ(HttpServer::Start(o, Echo).status().code(), StatusCode::kInvalidArgument);
  o.listen = "127.0.0.1:0";
  o.threads = 0;
  EXPECT_EQ(HttpServer::Start(o, Echo).status().code(), StatusCode::kInvalidArgument);
}

TEST(HttpServerTest, Ipv6Loopback) {
  HttpServerOptions o;
  o.listen = "[::1]:0";
  auto server = HttpServer::Start(o, Echo);
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << server.status().message();
  EXPECT_EQ((*server)->address().ToString().rfind("[::1]:", 0), 0u);
  TestResponse r = HttpCall((*server)->address().ToString(), "GET", "/v6");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.Header("x-path"), "/v6");
}

TEST(HttpServerTest, StopIsIdempotentAndClosesTheListener) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  const std::string addr = server->address().ToString();
  server->Stop();
  server->Stop();
  EXPECT_EQ(HttpCall(addr, "GET", "/").status, 0);
}

}  // namespace
}  // namespace vidx
