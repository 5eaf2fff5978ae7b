// The real `vidx daemon` on temporary directories with the tiny model tiny_c: it follows the
// library (copies, slow copies, new sub-directories, renames, deletions), reindexes blue/green
// on SIGHUP, survives kill -9 mid-reindex, answers many concurrent searches and malformed
// requests, and speaks the systemd notify protocol to a socket the test owns; a switch to the
// tiny SigLIP model siglip_a reindexes blue/green like any other fingerprint change.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon/api_client.h"
#include "search/catalog.h"
#include "search/index_loader.h"
#include "tests/daemon_process.h"
#include "tests/needs_sentencepiece.h"
#include "tests/run_command.h"
#include "tests/search_recorder.h"
#include "tests/tiny_library.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::DaemonProcess;
using testing::RunCommand;
using testing::ShellQuote;

constexpr int kSources = 12;
const char* const kColours[kSources] = {"red",     "blue", "green",  "yellow", "white",  "black",
                                        "magenta", "cyan", "orange", "navy",   "purple", "olive"};

class DaemonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("vidx_daemon_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_ / "videos");
    // tiny_c2: another checkpoint of the same architecture (another fingerprint).
    const std::string models = testing::MakeTinyModels(VIDX_TINY_MODELS_DIR, dir_->string());
    ASSERT_TRUE(models.empty()) << models;
    // One-colour-per-second-pair videos: colour i for 2 s, then colour i+1 for 2 s.
    std::string cmd = "ffmpeg -v error -y";
    std::string maps;
    for (int i = 0; i < kSources; ++i) {
      cmd +=
          " -f lavfi -i " + ShellQuote(std::string("color=c=") + kColours[i] + ":s=64x48:r=5:d=4");
      maps += " -map " + std::to_string(i) +
              ":v -c:v libx264 -preset ultrafast -threads:v 1 -g 5 " + "-pix_fmt yuv420p " +
              ShellQuote(Source(i));
    }
    CommandResult r = RunCommand(cmd + maps);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override {
    ASSERT_TRUE(fs::exists(testing::kClipVocab))
        << testing::kClipVocab << " is missing (see ../shared/data/clip/README.md)";
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    work_ = *dir_ / name;
    fs::remove_all(work_);
    fs::create_directories(work_ / "lib");
  }

  static std::string Source(int i) {
    return (*dir_ / "videos" / ("v" + std::to_string(i) + ".mp4")).string();
  }
  std::string Lib() const { return (work_ / "lib").string(); }
  std::string State() const { return (work_ / "state").string(); }
  std::string Socket() const { return (work_ / "vidx.sock").string(); }
  std::string ConfigPath() const { return (work_ / "vidx.yaml").string(); }

  // `skip_similar`: the sampling.skip_similar value, or "" to leave it out (off).
  void WriteConfig(double fps = 1, const std::string& model = "tiny_c",
                   const std::string& skip_similar = "") {
    std::ofstream(ConfigPath()) << "state_dir: " << State() << "\nlibrary:\n  roots: [" << Lib()
                                << "]\n  settle_seconds: 1.5\nmodel:\n  path: "
                                << (*dir_ / model).string() << "\n  batch_size: 8\n"
                                << "sampling:\n  fps: " << fps
                                << (skip_similar.empty() ? "" : "\n  skip_similar: " + skip_similar)
                                << "\ndaemon:\n  socket: " << Socket()
                                << "\nweb:\n  listen: \"127.0.0.1:0\"\n";
  }
  std::unique_ptr<DaemonProcess> Daemon(std::map<std::string, std::string> env = {}) {
    auto d = std::make_unique<DaemonProcess>(VIDX_BINARY, ConfigPath(), Socket(),
                                             (work_ / "daemon.log").string(), std::move(env));
    EXPECT_TRUE(d->Start());
    return d;
  }
  void AddVideo(int i, const std::string& rel) const {
    fs::create_directories((work_ / "lib" / rel).parent_path());
    fs::copy_file(Source(i), work_ / "lib" / rel);
  }
  json Search(const DaemonProcess& d, const json& request) const {
    HttpResponse r = d.Call("POST", "/v1/search", request.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  static fs::path* dir_;
  fs::path work_;
};

fs::path* DaemonTest::dir_ = nullptr;

std::vector<std::string> Paths(const json& search) {
  std::vector<std::string> out;
  if (!search.is_object()) return out;
  for (const json& h : search["results"]) out.push_back(h["path"]);
  return out;
}

TEST_F(DaemonTest, FollowsCopiesSlowCopiesNewDirectoriesRenamesAndDeletions) {
  WriteConfig();
  AddVideo(0, "a.mp4");
  AddVideo(1, "b.mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(2, 0, 60)) << d->Log();

  // A slow copy in three chunks, 0.3 s apart (settle time 1.5 s): embedded once, complete.
  {
    std::ifstream in(Source(2), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream out(work_ / "lib" / "slow.mp4", std::ios::binary);
    const size_t third = bytes.size() / 3;
    for (int part = 0; part < 3; ++part) {
      const size_t from = part * third, n = part == 2 ? bytes.size() - from : third;
      out.write(bytes.data() + from, static_cast<std::streamsize>(n));
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
  ASSERT_TRUE(d->WaitIdle(3, 0, 60)) << d->Status().dump();
  EXPECT_EQ(d->Status()["daemon"]["files_embedded"], 3);

  // A new sub-directory with a file in it.
  AddVideo(3, "new/dir/c.mp4");
  ASSERT_TRUE(d->WaitIdle(4, 0, 60)) << d->Status().dump();
  const std::string c = (work_ / "lib" / "new" / "dir" / "c.mp4").string();
  json hit = Search(*d, {{"like", c + "@1"}, {"k", 4}});
  ASSERT_FALSE(Paths(hit).empty()) << hit.dump();
  EXPECT_EQ(Paths(hit)[0], c);

  // A rename inside the library embeds nothing.
  fs::rename(work_ / "lib" / "a.mp4", work_ / "lib" / "renamed.mp4");
  json st = d->WaitForStatus([](const json& s) { return s["daemon"]["files_renamed"] == 1; }, 30);
  EXPECT_EQ(st["daemon"]["files_renamed"], 1) << st.dump();
  ASSERT_TRUE(d->WaitIdle(4, 0, 30)) << d->Status().dump();
  EXPECT_EQ(d->Status()["daemon"]["files_embedded"], 4);
  const std::string renamed = (work_ / "lib" / "renamed.mp4").string();
  hit = Search(*d, {{"like", renamed + "@1"}, {"k", 4}});
  ASSERT_FALSE(Paths(hit).empty());
  EXPECT_EQ(Paths(hit)[0], renamed);

  // A deletion removes the file from the results.
  const std::string b = (work_ / "lib" / "b.mp4").string();
  fs::remove(b);
  ASSERT_TRUE(d->WaitIdle(3, 0, 30)) << d->Status().dump();
  hit = Search(*d, {{"text", "blue"}, {"k", 10}});
  const std::vector<std::string> paths = Paths(hit);
  EXPECT_EQ(std::count(paths.begin(), paths.end(), b), 0) << hit.dump();
  EXPECT_EQ(paths.size(), 3u);
  EXPECT_EQ(d->Stop(), 0) << d->Log();
}

// Every vector of the catalog's live generations belongs to one file record, and the index a
// start-up opens holds exactly those ids.
void ExpectCatalogAndIndexAgree(const std::string& state_dir, size_t files) {
  CatalogOptions o;
  o.read_only = true;
  auto catalog = Catalog::Open(state_dir, o);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  std::vector<Generation> gens = (*catalog)->ListGenerations();
  ASSERT_EQ(gens.size(), 1u) << "one generation left";
  const Generation& g = gens[0];
  EXPECT_EQ(g.state, GenerationState::kActive);
  std::vector<uint64_t> ids;
  std::set<std::string> paths;
  Status s = (*catalog)->ForEachVector(g.id, 0, [&](const VectorRecord& v) {
    ids.push_back(v.id);
    paths.insert(v.path);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  size_t records = 0;
  s = (*catalog)->ForEachFile(g.id, [&](const FileRecord& r) {
    ++records;
    paths.erase(r.file.path);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(records, files);
  EXPECT_TRUE(paths.empty()) << "vectors without a file record";
  std::vector<uint64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "duplicate ids";
  auto opened = OpenIndexForGeneration(**catalog, g.id, "Flat", state_dir);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->index->LiveIds(), sorted);
}

TEST_F(DaemonTest, SighupReindexesBlueGreenWhileEverySearchIsAnswered) {
  WriteConfig(1);
  for (int i = 0; i < 6; ++i) AddVideo(i, "v" + std::to_string(i) + ".mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(6, 0, 90)) << d->Log();

  for (const auto& [fps, model] : {std::pair<double, std::string>{2, "tiny_c"}, {2, "tiny_c2"}}) {
    SCOPED_TRACE("fps " + std::to_string(fps) + ", model " + model);
    const json before = d->Status();
    const std::string old_fp = before["fingerprint"];
    const uint64_t old_gen = before["generation"]["active"];
    testing::SearchRecorder searches(*d);
    WriteConfig(fps, model);
    d->Signal(SIGHUP);
    json st = testing::WaitForReindex(*d, old_fp, 120);
    searches.Stop();
    ASSERT_NE(st["fingerprint"], old_fp) << st.dump() << d->Log();
    EXPECT_EQ(st["files"]["indexed"], 6);
    // Every search answered, each from one generation: the old one until the flip, then the new.
    EXPECT_EQ(searches.CheckOneFlip(old_fp, st["fingerprint"]), "");
    std::printf("[ reindex  ] %zu searches answered during the reindex (%zu before the flip)\n",
                searches.answered(), searches.before_flip());
    // The old generation is gone from disk.
    EXPECT_FALSE(fs::exists(fs::path(State()) / "index" / std::to_string(old_gen)));
    EXPECT_NE(st["generation"]["active"], old_gen);
  }
  // A model that fails strict loading on reload leaves the running model and index in
  // service; the reason shows in status.
  const json serving = d->Status();
  fs::create_directories(work_ / "broken");
  fs::copy_file(*dir_ / "tiny_c" / "config.json", work_ / "broken" / "config.json");
  WriteConfig(2, work_.filename().string() + "/broken");  // a model without weights
  d->Signal(SIGHUP);
  json st = d->WaitForStatus(
      [](const json& s) { return !s["daemon"]["reload_error"].get<std::string>().empty(); }, 60);
  EXPECT_NE(st["daemon"]["reload_error"].get<std::string>().find("broken"), std::string::npos)
      << st.dump();
  EXPECT_EQ(st["fingerprint"], serving["fingerprint"]);
  EXPECT_EQ(st["generation"]["active"], serving["generation"]["active"]);
  json hit = Search(*d, {{"text", "red"}, {"k", 3}});
  EXPECT_EQ(hit["fingerprint"], serving["fingerprint"]);
  EXPECT_EQ(Paths(hit).size(), 3u);
  EXPECT_EQ(d->Stop(), 0) << d->Log();
  ExpectCatalogAndIndexAgree(State(), 6);
}

// A library indexed with sampling.skip_similar on (the videos are still colours: one vector
// each) and then switched back to off is a fingerprint change like any other: it reindexes
// blue/green, searches answered by the old generation until the new one holds every file.
TEST_F(DaemonTest, TurningSkipSimilarOffReindexesBlueGreen) {
  WriteConfig(1, "tiny_c", "2");
  for (int i = 0; i < 6; ++i) AddVideo(i, "v" + std::to_string(i) + ".mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(6, 0, 90)) << d->Log();
  const json before = d->Status();
  EXPECT_EQ(before["vectors"], 6) << before.dump();  // 4 s of one colour: one frame each
  const std::string old_fp = before["fingerprint"];
  const uint64_t old_gen = before["generation"]["active"];
  testing::SearchRecorder searches(*d);
  WriteConfig(1, "tiny_c");
  d->Signal(SIGHUP);
  json st = testing::WaitForReindex(*d, old_fp, 120);
  searches.Stop();
  ASSERT_NE(st["fingerprint"], old_fp) << st.dump() << d->Log();
  EXPECT_EQ(st["files"]["indexed"], 6);
  EXPECT_EQ(st["vectors"], 6 * 4) << st.dump();  // every sampled frame embedded again
  EXPECT_EQ(searches.CheckOneFlip(old_fp, st["fingerprint"]), "");
  EXPECT_FALSE(fs::exists(fs::path(State()) / "index" / std::to_string(old_gen)));
  EXPECT_NE(st["generation"]["active"], old_gen);
  // Each video's one moment still spans the whole video.
  json hit = Search(*d, {{"text", "red"}, {"k", 6}});
  EXPECT_EQ(Paths(hit).size(), 6u);
  EXPECT_EQ(d->Stop(), 0) << d->Log();
  ExpectCatalogAndIndexAgree(State(), 6);
}

// Switching the library from the tiny CLIP model to the tiny SigLIP model (another family,
// another dimension, pictures squashed instead of cropped) is a fingerprint change like any
// other: the CLIP generation keeps answering until the SigLIP one holds every file, then
// searches are answered by SigLIP.
TEST_F(DaemonTest, SwitchingFromClipToSiglipReindexesBlueGreen) {
  VIDX_SKIP_WITHOUT_SENTENCEPIECE();
  const fs::path siglip = fs::path(VIDX_TINY_SIGLIP_DIR) / "siglip_a";
  ASSERT_TRUE(fs::exists(siglip / "config.json")) << "the vidx_tiny_siglip fixture makes it";
  WriteConfig(1);
  for (int i = 0; i < 6; ++i) AddVideo(i, "v" + std::to_string(i) + ".mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(6, 0, 90)) << d->Log();
  const json before = d->Status();
  ASSERT_EQ(before["model"]["family"], "clip") << before.dump();
  const std::string old_fp = before["fingerprint"];
  const uint64_t old_gen = before["generation"]["active"];

  testing::SearchRecorder searches(*d);
  WriteConfig(1, siglip.string());
  d->Signal(SIGHUP);
  json st = testing::WaitForReindex(*d, old_fp, 120);
  searches.Stop();
  ASSERT_NE(st["fingerprint"], old_fp) << st.dump() << d->Log();
  EXPECT_EQ(st["files"]["indexed"], 6);
  EXPECT_EQ(st["model"]["family"], "siglip") << st.dump();
  const std::string new_fp = st["fingerprint"];
  EXPECT_EQ(searches.CheckOneFlip(old_fp, new_fp), "");
  EXPECT_GT(searches.before_flip(), 0u) << "answers from the CLIP generation during the reindex";
  std::printf("[ reindex  ] CLIP -> SigLIP: %zu searches answered (%zu before the flip)\n",
              searches.answered(), searches.before_flip());
  EXPECT_FALSE(fs::exists(fs::path(State()) / "index" / std::to_string(old_gen)));

  // The SigLIP generation answers text and picture queries over all six files.
  json hit = Search(*d, {{"text", "red"}, {"k", 6}});
  EXPECT_EQ(hit["fingerprint"], new_fp);
  EXPECT_EQ(Paths(hit).size(), 6u) << hit.dump();
  CommandResult png = RunCommand("ffmpeg -v error -y -ss 1 -i " + ShellQuote(Source(2)) +
                                 " -frames:v 1 " + ShellQuote((work_ / "q.png").string()));
  ASSERT_EQ(png.exit_code, 0) << png.err;
  json by_picture = Search(*d, {{"image", (work_ / "q.png").string()}, {"k", 1}});
  ASSERT_EQ(Paths(by_picture).size(), 1u) << by_picture.dump();
  EXPECT_EQ(Paths(by_picture)[0], (work_ / "lib" / "v2.mp4").string());
  EXPECT_EQ(d->Stop(), 0) << d->Log();
  ExpectCatalogAndIndexAgree(State(), 6);
  // The vectors served are SigLIP's (32 floats; tiny_c's are 24).
  CatalogOptions o;
  o.read_only = true;
  auto catalog = Catalog::Open(State(), o);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  std::optional<Generation> gen = (*catalog)->ActiveGeneration();
  ASSERT_TRUE(gen.has_value());
  EXPECT_EQ(gen->fingerprint, new_fp);
  size_t vectors = 0;
  Status s = (*catalog)->ForEachVector(gen->id, 0, [&](const VectorRecord& v) {
    EXPECT_EQ(v.vector.size(), 32u);
    ++vectors;
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(vectors, 6u * 4);  // 4 s at fps 1
}

TEST_F(DaemonTest, KillNineDuringReindexResumesWithoutDuplicates) {
  // 36 files; the reindex samples 5 fps (720 frames), long enough to be caught mid-way.
  constexpr int kFiles = 3 * kSources;
  WriteConfig(1);
  for (int i = 0; i < kFiles; ++i) AddVideo(i % kSources, "v" + std::to_string(i) + ".mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(kFiles, 0, 120)) << d->Log();
  const std::string old_fp = d->Status()["fingerprint"];
  WriteConfig(5);
  d->Signal(SIGHUP);
  json st = d->WaitForStatus(
      [](const json& s) {
        return !s["daemon"]["reindex"].is_null() && s["daemon"]["reindex"]["done"] >= 1;
      },
      60);
  ASSERT_FALSE(st["daemon"]["reindex"].is_null()) << st.dump();
  d->Kill();
  std::printf("[ kill     ] killed at reindex %s/%s files\n",
              st["daemon"]["reindex"]["done"].dump().c_str(),
              st["daemon"]["reindex"]["total"].dump().c_str());
  auto again = Daemon();
  ASSERT_TRUE(again->WaitIdle(kFiles, 0, 120)) << again->Log();
  EXPECT_NE(again->Status()["fingerprint"], old_fp);
  EXPECT_EQ(again->Stop(), 0) << again->Log();
  ExpectCatalogAndIndexAgree(State(), kFiles);
}

long PeakRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST_F(DaemonTest, AThousandConcurrentSearchesWhileIndexing) {
  WriteConfig(2);
  for (int i = 0; i < 3; ++i) AddVideo(i, "v" + std::to_string(i) + ".mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(3, 0, 60)) << d->Log();
  for (int i = 3; i < kSources; ++i) AddVideo(i, "more/v" + std::to_string(i) + ".mp4");
  constexpr int kThreads = 20, kEach = 50;
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const json req = (i % 5 == 4)
                             ? json{{"like", Source(0) + "@1"}, {"k", 2}}
                             : json{{"text", std::string(kColours[(t + i) % kSources])}, {"k", 3}};
        HttpResponse r = d->Call("POST", "/v1/search", req.dump());
        json j = json::parse(r.body, nullptr, false);
        if (r.status == 200 && j.is_object() && j["results"].is_array() && !j["results"].empty() &&
            j["fingerprint"].is_string()) {
          ++ok;
        } else {
          ++bad;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_EQ(bad.load(), 0);
  ASSERT_TRUE(d->WaitIdle(kSources, 0, 90)) << d->Status().dump();
  const long rss = PeakRssKb(d->pid());
  std::printf("[ load     ] %d searches in %.2f s while indexing; daemon peak RSS %.1f MiB\n",
              kThreads * kEach, seconds, rss / 1024.0);
  EXPECT_GT(rss, 0);
  EXPECT_LT(rss, 1536L * 1024) << "peak RSS bounded by 1.5 GiB with the tiny model";
  EXPECT_EQ(d->Stop(), 0) << d->Log();
}

// Sends raw bytes and returns what came back before the daemon closed (or 2 s passed).
std::string RawExchange(const std::string& socket, const std::string& bytes, bool close_early) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "<connect failed>";
  }
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out;
  if (!close_early) {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST_F(DaemonTest, MalformedRequestsGetErrorsAndTheDaemonKeepsServing) {
  WriteConfig();
  AddVideo(0, "a.mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(1, 0, 60)) << d->Log();
  EXPECT_EQ(d->Call("POST", "/v1/search", "{not json").status, 400);
  EXPECT_EQ(d->Call("POST", "/v1/search", R"({"text": 5})").status, 400);
  EXPECT_EQ(d->Call("POST", "/v1/search", R"({"txet": "dog"})").status, 400);
  EXPECT_EQ(d->Call("POST", "/v1/search", R"({"text": "dog", "k": 0})").status, 400);
  EXPECT_EQ(d->Call("POST", "/v1/search", R"({"image": "/no/such/picture.png"})").status, 400);
  EXPECT_EQ(d->Call("GET", "/v1/search").status, 405);
  EXPECT_EQ(d->Call("GET", "/v1/nothing-here").status, 404);
  EXPECT_EQ(d->Call("POST", "/v1/search", std::string(3 << 20, 'x')).status, 413);
  EXPECT_NE(RawExchange(Socket(), "GARBAGE\r\n\r\n", false).find(" 400 "), std::string::npos);
  RawExchange(Socket(), "POST /v1/search HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"te", true);
  RawExchange(Socket(), "GET /v1/sta", true);
  EXPECT_EQ(d->Call("GET", "/v1/status").status, 200);
  json hit = Search(*d, {{"text", "red"}});
  EXPECT_EQ(Paths(hit).size(), 1u);
  EXPECT_TRUE(d->running());
  EXPECT_EQ(d->Stop(), 0) << d->Log();
}

// A datagram socket the test owns stands in for systemd.
class NotifyListener {
 public:
  explicit NotifyListener(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ::unlink(path.c_str());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{0, 200000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifyListener() { ::close(fd_); }
  bool bound() const { return bound_; }
  // Messages until one contains `what` or the timeout; true when it came.
  bool WaitFor(const std::string& what, double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      messages_.emplace_back(buf, static_cast<size_t>(n));
      if (messages_.back().find(what) != std::string::npos) return true;
    }
    return false;
  }
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> messages_;
};

TEST_F(DaemonTest, SpeaksTheSystemdNotifyProtocol) {
  WriteConfig();
  AddVideo(0, "a.mp4");
  const std::string notify = (work_ / "notify.sock").string();
  NotifyListener systemd(notify);
  ASSERT_TRUE(systemd.bound());
  auto d = Daemon({{"NOTIFY_SOCKET", notify}, {"WATCHDOG_USEC", "1000000"}});
  EXPECT_TRUE(systemd.WaitFor("READY=1", 60)) << d->Log();
  EXPECT_TRUE(systemd.WaitFor("WATCHDOG=1", 5));
  EXPECT_TRUE(systemd.WaitFor("STATUS=idle", 30));
  d->Signal(SIGTERM);
  EXPECT_TRUE(systemd.WaitFor("STOPPING=1", 30));
  EXPECT_EQ(d->Wait(30), 0) << d->Log();
  EXPECT_FALSE(fs::exists(Socket())) << "the socket file is removed on stop";
  std::string all;
  for (const std::string& m : systemd.messages()) all += m + " | ";
  std::printf("[ notify   ] %s\n", all.substr(0, 400).c_str());
}

// systemd goes away after READY=1: the failure is logged, once, not on every tick.
TEST_F(DaemonTest, AFailingNotificationIsLoggedOnce) {
  WriteConfig();
  const std::string notify = (work_ / "notify.sock").string();
  auto systemd = std::make_unique<NotifyListener>(notify);
  ASSERT_TRUE(systemd->bound());
  auto d = Daemon({{"NOTIFY_SOCKET", notify}, {"WATCHDOG_USEC", "200000"}});
  ASSERT_TRUE(systemd->WaitFor("READY=1", 60)) << d->Log();
  systemd.reset();
  fs::remove(notify);
  const std::string failure = "sd_notify: sending to " + notify;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (d->Log().find(failure) == std::string::npos && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The stop sends STOPPING=1, which fails the same way: still one line.
  d->Signal(SIGTERM);
  EXPECT_EQ(d->Wait(30), 0) << d->Log();
  const std::string log = d->Log();
  size_t lines = 0;
  for (size_t at = log.find(failure); at != std::string::npos; at = log.find(failure, at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << log;
}

}  // namespace
}  // namespace vidx
