#include "daemon/api_server.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "daemon/api_client.h"
#include "tests/temp_dir.h"

namespace vidx {
namespace {

using Clock = std::chrono::steady_clock;
using vidx::testing::TempDir;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bool WaitFor(const std::function<bool()>& done, double seconds = 5) {
  const auto start = Clock::now();
  while (!done()) {
    if (SecondsSince(start) > seconds) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Answers "<method> <target> path=<path> body=<body>" as text/plain; 404 for /missing.
HttpResponse Echo(const HttpRequest& request) {
  if (request.path == "/missing") return JsonError(404, "no such endpoint: " + request.path);
  HttpResponse response;
  response.content_type = "text/plain";
  response.body =
      request.method + " " + request.target + " path=" + request.path + " body=" + request.body;
  return response;
}

ApiServerOptions Options(const std::string& path) {
  ApiServerOptions options;
  options.socket_path = path;
  options.read_timeout_seconds = 5;
  return options;
}

std::unique_ptr<ApiServer> MustStart(ApiServerOptions options, ApiHandler handler = Echo) {
  auto server = ApiServer::Start(std::move(options), std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

// A hand-driven client for what CallApi would never send.
class RawClient {
 public:
  explicit RawClient(const std::string& path) {
    auto fd = ConnectUnixSocket(path, 5);
    EXPECT_TRUE(fd.ok()) << fd.status().ToString();
    if (fd.ok()) fd_ = std::move(fd).value();
  }
  bool Send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && errno == EAGAIN) {
        pollfd p{fd_.get(), POLLOUT, 0};
        if (::poll(&p, 1, 5000) <= 0) return false;
      } else if (n < 0 && errno != EINTR) {
        return false;
      }
    }
    return true;
  }
  // Reads until the server closes (or `max_bytes` arrived, or the time is up).
  std::string Read(double seconds, bool* closed, size_t max_bytes = SIZE_MAX) {
    std::string out;
    *closed = false;
    const auto start = Clock::now();
    char buffer[4096];
    while (out.size() < max_bytes) {
      const ssize_t n =
          ::recv(fd_.get(), buffer, std::min(sizeof(buffer), max_bytes - out.size()), 0);
      if (n > 0) {
        out.append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || (n < 0 && errno == ECONNRESET)) {
        *closed = true;
        break;
      } else if (errno == EAGAIN) {
        const double left = seconds - SecondsSince(start);
        if (left <= 0) break;
        pollfd p{fd_.get(), POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(left * 1000) + 1);
      } else if (errno != EINTR) {
        break;
      }
    }
    return out;
  }
  void Close() { fd_.reset(); }

 private:
  FdHolder fd_;
};

int StatusOfRaw(const std::string& path, const std::string& bytes, std::string* error = nullptr) {
  RawClient client(path);
  client.Send(bytes);
  bool closed = false;
  const std::string raw = client.Read(5, &closed);
  EXPECT_TRUE(closed);
  auto response = ParseHttpResponse(raw);
  if (!response.ok()) return -1;
  if (error != nullptr) *error = nlohmann::json::parse(response->body).at("error");
  return response->status;
}

TEST(ApiServerTest, ServesSetsTheModeAndStopRemovesTheSocket) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/run/vidx/api.sock";  // parents do not exist yet
  auto server = MustStart(Options(path));
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->socket_path(), path);

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  ASSERT_EQ(::stat((dir.str() + "/run/vidx").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0700, 0700u);

  auto get = CallApi(path, "GET", "/v1/echo?x=1", "", 5);
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->content_type, "text/plain");
  EXPECT_EQ(get->body, "GET /v1/echo?x=1 path=/v1/echo body=");

  auto post = CallApi(path, "POST", "/v1/search", "{\"text\":\"a dog\"}", 5);
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(post->body, "POST /v1/search path=/v1/search body={\"text\":\"a dog\"}");

  auto missing = CallApi(path, "GET", "/missing", "", 5);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);  // the handler's answer, passed through
  EXPECT_EQ(missing->content_type, "application/json");

  server->Stop();
  EXPECT_FALSE(Exists(path));
  server->Stop();  // idempotent
  auto after = CallApi(path, "GET", "/v1/echo", "", 5);
  EXPECT_EQ(after.status().code(), StatusCode::kUnavailable);
}

// A socket of mode 0660 that this user may not open is kPermissionDenied naming the path,
// not kUnavailable ("no daemon"): the client runs as nobody (65534), without groups.
TEST(ApiServerTest, ASocketThatRefusesTheUserIsPermissionDenied) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop to another user";
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  auto server = MustStart(Options(path));
  ASSERT_NE(server, nullptr);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  ASSERT_EQ(st.st_mode & 07777, 0660u);
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(out[0]);
    int code = -1;
    std::string message;
    if (::setgroups(0, nullptr) == 0 && ::setresgid(65534, 65534, 65534) == 0 &&
        ::setresuid(65534, 65534, 65534) == 0) {
      Status s = CallApi(path, "GET", "/v1/echo", "", 5).status();
      code = static_cast<int>(s.code());
      message = s.message();
    }
    (void)!::write(out[1], &code, sizeof(code));
    (void)!::write(out[1], message.data(), message.size());
    ::_exit(0);
  }
  ::close(out[1]);
  int code = -2;
  ASSERT_EQ(::read(out[0], &code, sizeof(code)), static_cast<ssize_t>(sizeof(code)));
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof(buf))) > 0;) message.append(buf, n);
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(code, static_cast<int>(StatusCode::kPermissionDenied)) << message;
  EXPECT_EQ(message, "the daemon's socket " + path +
                         " refuses you (permission denied): join group vidx, or run as the "
                         "vidx user");
  // The same call as root still goes through.
  auto ok = CallApi(path, "GET", "/v1/echo", "", 5);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
}

TEST(ApiServerTest, AppliesTheConfiguredMode) {
  TempDir dir("vidx_api");
  ApiServerOptions options = Options(dir.str() + "/api.sock");
  options.mode = 0600;
  auto server = MustStart(options);
  struct stat st {};
  ASSERT_EQ(::stat(options.socket_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(ApiServerTest, ReplacesAStaleSocketFile) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  {  // a socket file left behind by a process that died: bound, never unlinked
    FdHolder fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ASSERT_TRUE(Exists(path));
  EXPECT_EQ(CallApi(path, "GET", "/", "", 5).status().code(), StatusCode::kUnavailable);

  auto server = MustStart(Options(path));
  ASSERT_NE(server, nullptr);
  auto r = CallApi(path, "GET", "/after", "", 5);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST(ApiServerTest, RefusesASecondServerOnTheSamePath) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  auto first = MustStart(Options(path));
  ASSERT_NE(first, nullptr);
  auto second = ApiServer::Start(Options(path), Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find(path), std::string::npos) << second.status().message();
  // The first one is untouched.
  auto r = CallApi(path, "GET", "/still", "", 5);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);

  // A listener that is not a vidx server (no lock file held) is detected by connecting.
  const std::string foreign = dir.str() + "/foreign.sock";
  FdHolder listener(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, foreign.c_str());
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener.get(), 8), 0);
  auto third = ApiServer::Start(Options(foreign), Echo);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(third.status().message().find("answers on the API socket " + foreign),
            std::string::npos)
      << third.status().message();
  EXPECT_TRUE(Exists(foreign));
}

TEST(ApiServerTest, RefusesToReplaceAFileThatIsNotASocket) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  std::ofstream(path) << "precious";
  auto server = ApiServer::Start(Options(path), Echo);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kFailedPrecondition);
  std::ifstream in(path);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
}

TEST(ApiServerTest, RejectsInvalidOptions) {
  TempDir dir("vidx_api");
  auto long_path = ApiServer::Start(Options(dir.str() + "/" + std::string(120, 'x')), Echo);
  EXPECT_EQ(long_path.status().code(), StatusCode::kInvalidArgument);
  ApiServerOptions options = Options(dir.str() + "/api.sock");
  options.worker_threads = 0;
  EXPECT_EQ(ApiServer::Start(options, Echo).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ApiServer::Start(Options(dir.str() + "/a.sock"), nullptr).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ApiServerTest, TwoHundredConcurrentClientsGetTheirOwnAnswers) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  std::atomic<int> calls{0};
  auto server = MustStart(Options(path), [&calls](const HttpRequest& request) {
    calls.fetch_add(1);
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 200;
  std::atomic<int> correct{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> clients;
  std::vector<std::string> failures(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      const std::string target = "/v1/echo/" + std::to_string(i) + "?q=" + std::to_string(i * 7);
      const std::string body = "payload-" + std::to_string(i) + std::string(i * 37, 'z');
      auto r = CallApi(path, "POST", target, body, 20);
      if (!r.ok()) {
        failures[i] = r.status().ToString();
      } else if (r->status == 200 && r->body == "POST " + target + " path=/v1/echo/" +
                                                    std::to_string(i) + " body=" + body) {
        correct.fetch_add(1);
      } else {
        failures[i] = "status " + std::to_string(r->status) + ": " + r->body.substr(0, 80);
      }
    });
  }
  go.store(true);
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(correct.load(), kClients);
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(failures[i], "") << "client " << i;
  EXPECT_EQ(calls.load(), kClients);
}

TEST(ApiServerTest, StalledClientIsClosedAtTheTimeoutWhileOthersAreServed) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  ApiServerOptions options = Options(path);
  options.read_timeout_seconds = 0.5;
  std::atomic<int> calls{0};
  auto server = MustStart(options, [&calls](const HttpRequest& request) {
    calls.fetch_add(1);
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);

  const auto start = Clock::now();
  RawClient stalled(path);
  ASSERT_TRUE(stalled.Send("POST /v1/x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"));
  RawClient silent(path);  // connects and never sends a byte

  for (int i = 0; i < 20; ++i) {
    auto r = CallApi(path, "GET", "/v1/other/" + std::to_string(i), "", 5);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
  }
  const double served = SecondsSince(start);

  bool closed = false;
  const std::string raw = stalled.Read(5, &closed);
  const double stalled_closed = SecondsSince(start);
  EXPECT_TRUE(closed);
  EXPECT_GE(stalled_closed, 0.45);
  EXPECT_LT(stalled_closed, 3.0);
  EXPECT_LT(served, stalled_closed);  // the others did not wait for the stalled one
  auto response = ParseHttpResponse(raw);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 408);

  silent.Read(5, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(calls.load(), 20);  // the handler never saw the incomplete requests
  EXPECT_TRUE(WaitFor([&] { return server->open_connections() == 0; }));
}

TEST(ApiServerTest, BadRequestsAreAnsweredByTheServer) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  std::atomic<int> calls{0};
  auto server = MustStart(Options(path), [&calls](const HttpRequest& request) {
    calls.fetch_add(1);
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);

  // 2 MiB body: refused from its Content-Length; CallApi still reads the answer.
  auto big = CallApi(path, "POST", "/v1/search", std::string(2 << 20, 'x'), 10);
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(big->content_type, "application/json");
  EXPECT_NE(nlohmann::json::parse(big->body).at("error").get<std::string>().find("1048576"),
            std::string::npos);

  std::string error;
  EXPECT_EQ(StatusOfRaw(path, "\x01\x02 garbage garbage\r\n\r\n", &error), 400);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(StatusOfRaw(path, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            501);
  EXPECT_EQ(StatusOfRaw(path, "GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(StatusOfRaw(path, "GET / HTTP/1.1\r\nX: " + std::string(20000, 'h') + "\r\n\r\n"), 431);
  EXPECT_EQ(StatusOfRaw(path, "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            400);
  EXPECT_EQ(calls.load(), 0);

  // A client that disconnects half-way is just closed; the server goes on.
  {
    RawClient half(path);
    half.Send("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc");
  }
  auto ok = CallApi(path, "GET", "/fine", "", 5);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
}

TEST(ApiServerTest, ExpectContinueGetsAnInterimAnswer) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  auto server = MustStart(Options(path));
  ASSERT_NE(server, nullptr);
  RawClient client(path);
  client.Send("POST /c HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  bool closed = false;
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  EXPECT_EQ(client.Read(5, &closed, interim.size()), interim);
  client.Send("hello");
  auto response = ParseHttpResponse(client.Read(5, &closed));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->body, "POST /c path=/c body=hello");
}

TEST(ApiServerTest, HandlerExceptionsBecome500) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  auto server = MustStart(Options(path), [](const HttpRequest& request) -> HttpResponse {
    if (request.path == "/throw") throw std::runtime_error("boom");
    if (request.path == "/throw-int") throw 42;
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);
  auto r = CallApi(path, "GET", "/throw", "", 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("boom"), std::string::npos) << r->body;
  auto r2 = CallApi(path, "GET", "/throw-int", "", 5);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->status, 500);
  auto r3 = CallApi(path, "GET", "/fine", "", 5);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->status, 200);
}

TEST(ApiServerTest, ClientVanishingDuringTheResponseDoesNotHurtTheServer) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  std::atomic<int> finished{0};
  auto server = MustStart(Options(path), [&finished](const HttpRequest& request) {
    HttpResponse response;
    if (request.path == "/big") response.body.assign(8 << 20, 'b');  // > socket buffer
    if (request.path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(50));
    finished.fetch_add(1);
    return response;
  });
  ASSERT_NE(server, nullptr);
  for (int i = 0; i < 3; ++i) {
    RawClient client(path);
    client.Send("GET /big HTTP/1.1\r\n\r\n");
    bool closed = false;
    EXPECT_EQ(client.Read(5, &closed, 1000).size(), 1000u);  // mid-response
    client.Close();
  }
  for (int i = 0; i < 3; ++i) {
    RawClient client(path);
    client.Send("GET /slow HTTP/1.1\r\n\r\n");
    client.Close();  // gone before the handler returns
  }
  EXPECT_TRUE(WaitFor([&] { return finished.load() == 6 && server->open_connections() == 0; }));
  auto r = CallApi(path, "GET", "/small", "", 5);  // still alive (no SIGPIPE)
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST(ApiServerTest, StopLetsInFlightHandlersFinishAndRemovesTheSocket) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  ApiServerOptions options = Options(path);
  options.worker_threads = 4;
  std::atomic<int> entered{0};
  auto server = MustStart(options, [&entered](const HttpRequest&) {
    entered.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    HttpResponse response;
    response.body = "done";
    return response;
  });
  ASSERT_NE(server, nullptr);
  std::vector<std::future<StatusOr<HttpResponse>>> calls;
  for (int i = 0; i < 4; ++i) {
    calls.push_back(
        std::async(std::launch::async, [&] { return CallApi(path, "GET", "/slow", "", 10); }));
  }
  ASSERT_TRUE(WaitFor([&] { return entered.load() == 4; }));
  // A fifth request waits (being read or in the queue): every worker is busy. Either way
  // Stop() turns it away with 503.
  auto queued = std::async(std::launch::async, [&] { return CallApi(path, "GET", "/q", "", 10); });
  ASSERT_TRUE(WaitFor([&] { return server->open_connections() == 5; }));

  const auto stop_start = Clock::now();
  server->Stop();
  EXPECT_GE(SecondsSince(stop_start), 0.1);  // it waited for the handlers
  EXPECT_FALSE(Exists(path));
  for (auto& call : calls) {
    auto r = call.get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "done");
  }
  auto q = queued.get();
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->status, 503);
  EXPECT_EQ(entered.load(), 4);
  EXPECT_EQ(server->open_connections(), 0);
}

TEST(ApiServerTest, MaxConnectionsAreEnforcedWith503) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  ApiServerOptions options = Options(path);
  options.max_connections = 2;
  auto server = MustStart(options);
  ASSERT_NE(server, nullptr);
  auto a = std::make_unique<RawClient>(path);
  auto b = std::make_unique<RawClient>(path);
  ASSERT_TRUE(WaitFor([&] { return server->open_connections() == 2; }));
  auto busy = CallApi(path, "GET", "/x", "", 5);
  ASSERT_TRUE(busy.ok()) << busy.status().ToString();
  EXPECT_EQ(busy->status, 503);
  a.reset();
  b.reset();
  ASSERT_TRUE(WaitFor([&] { return server->open_connections() == 0; }));
  auto fine = CallApi(path, "GET", "/x", "", 5);
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine->status, 200);
}

TEST(CallApiTest, NothingListeningIsUnavailable) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/no/such/api.sock";
  auto r = CallApi(path, "GET", "/v1/status", "", 5);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
  EXPECT_EQ(CallApi(dir.str() + "/" + std::string(200, 'y'), "GET", "/", "", 5).status().code(),
            StatusCode::kInvalidArgument);
  // A target that would break the request line is refused before connecting.
  for (const char* target : {"/a b", "/x\r\nHost: evil", "", "relative", "/caf\xc3\xa9"}) {
    EXPECT_EQ(CallApi(path, "GET", target, "", 5).status().code(), StatusCode::kInvalidArgument)
        << target;
  }
  EXPECT_EQ(CallApi(path, "GE T", "/", "", 5).status().code(), StatusCode::kInvalidArgument);
}

TEST(CallApiTest, TimesOutWhenTheAnswerDoesNotCome) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/api.sock";
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto server = MustStart(Options(path), [released](const HttpRequest& request) {
    released.wait();
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);
  const auto start = Clock::now();
  auto r = CallApi(path, "GET", "/hang", "", 0.3);
  const double elapsed = SecondsSince(start);
  release.set_value();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find(path), std::string::npos);
  EXPECT_GE(elapsed, 0.29);
  EXPECT_LT(elapsed, 3.0);
}

TEST(CallApiTest, MalformedAnswerIsCorruption) {
  TempDir dir("vidx_api");
  const std::string path = dir.str() + "/fake.sock";
  FdHolder listener(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener.get(), 8), 0);
  std::thread fake([&] {  // answers anything with a non-HTTP line and closes
    FdHolder conn(::accept(listener.get(), nullptr, nullptr));
    char buffer[4096];
    [[maybe_unused]] ssize_t n = ::recv(conn.get(), buffer, sizeof(buffer), 0);
    const char kReply[] = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
    [[maybe_unused]] ssize_t m = ::send(conn.get(), kReply, sizeof(kReply) - 1, MSG_NOSIGNAL);
  });
  auto r = CallApi(path, "GET", "/v1/status", "", 5);
  fake.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace vidx
