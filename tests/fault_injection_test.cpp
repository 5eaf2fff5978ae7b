// Faults from the environment against the real `vidx daemon` with the tiny model tiny_c:
// a full disk under the state directory (a small tmpfs), unreadable files and directories,
// files that vanish while they are decoded, a state directory owned by someone else, and the
// API socket's exposure (mode, owner, other users, no network listener).
// Most cases need root (mount, chown, another uid, dropping CAP_DAC_OVERRIDE) and skip
// with the reason otherwise.
#include <grp.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "search/catalog.h"
#include "search/index_loader.h"
#include "tests/daemon_process.h"
#include "tests/run_command.h"
#include "tests/tiny_library.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::DaemonProcess;
using testing::RunCommand;
using testing::ShellQuote;

constexpr int kSources = 6;
const char* const kColours[kSources] = {"red", "blue", "green", "yellow", "white", "magenta"};
constexpr uid_t kNobody = 65534;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

class FaultTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("vidx_fault_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_ / "videos");
    const std::string models = testing::MakeTinyModels(VIDX_TINY_MODELS_DIR, dir_->string());
    ASSERT_TRUE(models.empty()) << models;
    std::string cmd = "ffmpeg -v error -y";
    std::string maps;
    for (int i = 0; i < kSources; ++i) {
      cmd +=
          " -f lavfi -i " + ShellQuote(std::string("color=c=") + kColours[i] + ":s=64x48:r=5:d=3");
      maps += " -map " + std::to_string(i) + ":v -c:v libx264 -preset ultrafast -threads:v 1 " +
              "-g 5 -pix_fmt yuv420p " + ShellQuote(Source(i));
    }
    // A longer file whose decoding takes a while: every frame is a target at fps 25.
    cmd += " -f lavfi -i testsrc2=s=320x240:r=25:d=40";
    maps += " -map " + std::to_string(kSources) + ":v -c:v libx264 -preset ultrafast " +
            "-threads:v 1 -g 250 -pix_fmt yuv420p " + ShellQuote(LongSource());
    CommandResult r = RunCommand(cmd + maps);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::permissions(*dir_, fs::perms::all);  // other uids reach the sockets below it
    fs::permissions(*dir_, fs::perms::others_write | fs::perms::group_write,
                    fs::perm_options::remove);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override {
    ASSERT_TRUE(fs::exists(testing::kClipVocab))
        << testing::kClipVocab << " is missing (see ../shared/data/clip/README.md)";
    work_ = *dir_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(work_);
    fs::create_directories(work_ / "lib");
    fs::permissions(work_, fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
  }

  static std::string Source(int i) {
    return (*dir_ / "videos" / ("v" + std::to_string(i) + ".mp4")).string();
  }
  static std::string LongSource() { return (*dir_ / "videos" / "long.mp4").string(); }
  std::string Lib(const std::string& rel = "") const { return (work_ / "lib" / rel).string(); }
  std::string State() const { return (work_ / "state").string(); }
  std::string Socket() const { return (work_ / "vidx.sock").string(); }
  std::string ConfigPath() const { return (work_ / "vidx.yaml").string(); }

  void WriteConfig(double fps = 1, double rescan_interval = 3600) const {
    std::ofstream(ConfigPath()) << "state_dir: " << State() << "\nlibrary:\n  roots: [" << Lib()
                                << "]\n  settle_seconds: 0.5\n  rescan_interval: "
                                << rescan_interval
                                << "\nmodel:\n  path: " << (*dir_ / "tiny_c").string()
                                << "\n  batch_size: 8\n"
                                << "sampling:\n  fps: " << fps << "\ndaemon:\n  socket: "
                                << Socket()
                                // No web listener: a test below checks that nothing listens
                                // on the network.
                                << "\nweb:\n  listen: \"\"\n";
  }
  // `binary`: the vidx binary or a wrapper script that execs it.
  std::unique_ptr<DaemonProcess> Daemon(const std::string& binary = VIDX_BINARY) const {
    auto d = std::make_unique<DaemonProcess>(binary, ConfigPath(), Socket(),
                                             (work_ / "daemon.log").string());
    EXPECT_TRUE(d->Start());
    return d;
  }
  void AddVideo(int i, const std::string& rel) const {
    fs::create_directories(fs::path(Lib(rel)).parent_path());
    fs::copy_file(Source(i), Lib(rel));
  }
  // A wrapper that runs vidx without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, so that file
  // modes bind root too.
  std::string WithoutDacOverride() const {
    const std::string script = (work_ / "vidx_nodac.sh").string();
    std::ofstream(script) << "#!/bin/sh\nexec setpriv --inh-caps=-dac_override,-dac_read_search "
                          << "--bounding-set=-dac_override,-dac_read_search "
                          << ShellQuote(VIDX_BINARY) << " \"$@\"\n";
    fs::permissions(script, fs::perms::owner_all);
    return script;
  }
  json Search(const DaemonProcess& d, const std::string& text) const {
    HttpResponse r = d.Call("POST", "/v1/search", json{{"text", text}, {"k", 10}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  static fs::path* dir_;
  fs::path work_;
};

fs::path* FaultTest::dir_ = nullptr;

#define VIDX_REQUIRE_ROOT(why) \
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: " << why

std::set<std::string> Paths(const json& search) {
  std::set<std::string> out;
  if (!search.is_object()) return out;
  for (const json& h : search["results"]) out.insert(h["path"].get<std::string>());
  return out;
}

json FailedFile(const json& status, const std::string& path) {
  for (const json& f : status["failed_files"]) {
    if (f["path"] == path) return f;
  }
  return nullptr;
}

// The catalog's active generation and the index a start-up opens hold the same vectors, each
// with a file record, and `files` records.
void ExpectCatalogAndIndexAgree(const std::string& state_dir, size_t files) {
  CatalogOptions o;
  o.read_only = true;
  auto catalog = Catalog::Open(state_dir, o);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  std::optional<Generation> g = (*catalog)->ActiveGeneration();
  ASSERT_TRUE(g.has_value());
  std::vector<uint64_t> ids;
  std::set<std::string> paths;
  Status s = (*catalog)->ForEachVector(g->id, 0, [&](const VectorRecord& v) {
    ids.push_back(v.id);
    paths.insert(v.path);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  size_t records = 0;
  s = (*catalog)->ForEachFile(g->id, [&](const FileRecord& r) {
    ++records;
    paths.erase(r.file.path);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(records, files);
  EXPECT_TRUE(paths.empty()) << "vectors without a file record";
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "duplicate ids";
  auto opened = OpenIndexForGeneration(**catalog, g->id, "Flat", state_dir);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->index->LiveIds(), ids);
}

// A tmpfs mounted on `path` for the life of the object (unmounted even when a test fails).
class TmpfsMount {
 public:
  TmpfsMount(std::string path, const std::string& size) : path_(std::move(path)) {
    fs::create_directories(path_);
    const std::string opts = "size=" + size + ",mode=0755";
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, opts.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_ && ::umount2(path_.c_str(), 0) != 0) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// Writes zeros to `path` until the file system is full.
void FillUp(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::vector<char> chunk(1 << 16, 0);
  while (std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size()) {
  }
  std::fclose(f);
}

TEST_F(FaultTest, DiskFullPausesIndexingKeepsSearchingAndResumes) {
  VIDX_REQUIRE_ROOT("mounts a small tmpfs as the state directory");
  // RocksDB clears its out-of-space error by itself once its write buffer size (64 MiB) is
  // free again (SstFileManager polls every 5 s): the file system must be larger than that.
  TmpfsMount tmpfs(State(), "96m");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here: " << tmpfs.error();
  WriteConfig();
  AddVideo(0, "v0.mp4");
  AddVideo(1, "v1.mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(2, 0, 60)) << d->Log();

  FillUp(State() + "/filler");
  for (int i = 2; i < kSources; ++i) AddVideo(i, "v" + std::to_string(i) + ".mp4");
  const auto t0 = std::chrono::steady_clock::now();
  json st = d->WaitForStatus([](const json& s) { return s["daemon"]["phase"] == "paused"; }, 60);
  const double to_pause = Seconds(t0);
  ASSERT_EQ(st["daemon"]["phase"], "paused") << st.dump() << d->Log();
  const std::string error = st["daemon"]["last_error"];
  std::printf("[ disk full] paused after %.1f s: %s\n", to_pause, error.c_str());
  EXPECT_NE(error.find(State()), std::string::npos) << error;
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  EXPECT_NE(d->Log().find("indexing paused"), std::string::npos);
  // What was indexed still answers.
  EXPECT_TRUE(d->running());
  const std::set<std::string> hits = Paths(Search(*d, "red"));
  EXPECT_TRUE(hits.count(Lib("v0.mp4")) == 1 && hits.count(Lib("v1.mp4")) == 1);
  CommandResult cli =
      RunCommand(std::string(VIDX_BINARY) + " --config " + ConfigPath() + " status --json");
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("paused"), std::string::npos) << cli.out;

  fs::remove(State() + "/filler");
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(d->WaitIdle(kSources, 0, 90)) << d->Status().dump() << d->Log();
  std::printf("[ disk full] resumed and completed %.1f s after space returned\n", Seconds(t1));
  EXPECT_EQ(Paths(Search(*d, "blue")).size(), static_cast<size_t>(kSources));
  EXPECT_NE(d->Log().find("indexing resumed"), std::string::npos);
  EXPECT_EQ(d->Stop(), 0) << d->Log();
  ExpectCatalogAndIndexAgree(State(), kSources);
}

TEST_F(FaultTest, UnreadableFilesAndDirectoriesAreReportedAndTheRestIndexed) {
  VIDX_REQUIRE_ROOT("drops CAP_DAC_OVERRIDE with setpriv so that file modes bind");
  if (RunCommand("command -v setpriv").exit_code != 0) GTEST_SKIP() << "setpriv is not installed";
  WriteConfig(1, 3600);  // no full rescan during the test: inotify alone must bring them back
  AddVideo(0, "ok.mp4");
  AddVideo(1, "secret.mp4");
  AddVideo(2, "locked/inside.mp4");
  AddVideo(3, "open/fine.mp4");
  fs::permissions(Lib("secret.mp4"), fs::perms::none);
  fs::permissions(Lib("locked"), fs::perms::none);
  auto d = Daemon(WithoutDacOverride());
  ASSERT_TRUE(d->WaitIdle(2, 1, 60)) << d->Status().dump() << d->Log();
  json st = d->Status();
  const json failed = FailedFile(st, Lib("secret.mp4"));
  ASSERT_TRUE(failed.is_object()) << st.dump();
  const std::string reason = failed["error"];
  std::printf("[ unreadable] file: %s\n", reason.c_str());
  EXPECT_NE(reason.find(Lib("secret.mp4")), std::string::npos) << reason;
  EXPECT_NE(reason.find("ermission denied"), std::string::npos) << reason;
  const std::string log = d->Log();
  const size_t at = log.find(Lib("locked"));
  std::printf("[ unreadable] directory in the log: %s\n",
              at == std::string::npos ? "(not mentioned)" : log.substr(at, 120).c_str());
  EXPECT_NE(at, std::string::npos) << "the unreadable directory is not reported:\n" << log;
  EXPECT_EQ(Paths(Search(*d, "red")), (std::set<std::string>{Lib("ok.mp4"), Lib("open/fine.mp4")}));

  // Readable again, by chmod alone: the file (failed for want of permission) is retried and
  // the directory (which inotify could not watch) is walked, both on the IN_ATTRIB event.
  const auto t0 = std::chrono::steady_clock::now();
  fs::permissions(Lib("secret.mp4"), fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(Lib("locked"), fs::perms::owner_all);
  EXPECT_TRUE(d->WaitIdle(4, 0, 60)) << d->Status().dump() << d->Log();
  std::printf("[ unreadable] all 4 indexed %.1f s after they became readable\n", Seconds(t0));
  EXPECT_EQ(d->Stop(), 0) << d->Log();
  ExpectCatalogAndIndexAgree(State(), 4);
}

// Whether the process `pid` has a descriptor open on `path`.
bool HasOpen(pid_t pid, const std::string& path) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code lec;
    if (fs::read_symlink(e.path(), lec).string() == path) return true;
  }
  return false;
}

TEST_F(FaultTest, FilesVanishingMidDecodeAreRecordedWithoutHalfWrites) {
  WriteConfig(25);  // every frame of the long file is a target: decoding takes a while
  AddVideo(0, "keep.mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(1, 0, 60)) << d->Log();
  struct Case {
    std::string name;
    bool truncate;
  };
  for (const Case& c : {Case{"truncated.mp4", true}, Case{"deleted.mp4", false}}) {
    SCOPED_TRACE(c.name);
    const std::string path = Lib(c.name);
    const std::string tmp = Lib("." + c.name + ".part");
    fs::copy_file(LongSource(), tmp);
    fs::rename(tmp, path);
    const auto t0 = std::chrono::steady_clock::now();
    bool caught = false;
    while (Seconds(t0) < 30 && !(caught = HasOpen(d->pid(), path))) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(caught) << "the daemon never opened " << path << "\n" << d->Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // well into the decode
    if (c.truncate) {
      fs::resize_file(path, fs::file_size(path) / 3);
    } else {
      fs::remove(path);
    }
    std::printf("[ vanish   ] %s %s %.2f s after it was opened\n", c.name.c_str(),
                c.truncate ? "truncated" : "deleted", Seconds(t0));
  }
  // The truncated file ends indexed (its decodable part), failed or queued again for its new
  // content; the deleted one is gone. Either way: one record per existing file, no strays.
  json st = d->WaitForStatus(
      [](const json& s) {
        return s["daemon"]["phase"] == "idle" && s["daemon"]["queued"] == 0 &&
               s["files"]["indexed"].get<int64_t>() + s["files"]["failed"].get<int64_t>() == 2;
      },
      90);
  ASSERT_TRUE(d->running()) << d->Log();
  ASSERT_EQ(st["files"]["indexed"].get<int64_t>() + st["files"]["failed"].get<int64_t>(), 2)
      << st.dump() << d->Log();
  const json failed = FailedFile(st, Lib("truncated.mp4"));
  std::printf("[ vanish   ] status: indexed %s, failed %s; truncated file: %s\n",
              st["files"]["indexed"].dump().c_str(), st["files"]["failed"].dump().c_str(),
              failed.is_object() ? failed["error"].dump().c_str() : "indexed");
  EXPECT_FALSE(FailedFile(st, Lib("deleted.mp4")).is_object());
  EXPECT_EQ(Paths(Search(*d, "red")).count(Lib("deleted.mp4")), 0u);
  EXPECT_EQ(d->Stop(), 0) << d->Log();
  ExpectCatalogAndIndexAgree(State(), 2);
}

TEST_F(FaultTest, StateDirOwnedByAnotherUserIsRefused) {
  VIDX_REQUIRE_ROOT("chowns the state directory to another user");
  WriteConfig();
  fs::create_directories(State());
  ASSERT_EQ(::chown(State().c_str(), kNobody, kNobody), 0);
  const std::string expected =
      "is owned by uid 65534, not by uid 0 that runs vidx; refusing to "
      "use it (run vidx as its owner, or fix it with: chown -R 0 " +
      State() + ")";
  for (const char* command : {"daemon", "index"}) {
    SCOPED_TRACE(command);
    CommandResult r =
        RunCommand("timeout 30 " + std::string(VIDX_BINARY) + " --config " + ConfigPath() + " " +
                   command + (std::string(command) == "index" ? " " + Lib() : ""));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("state_dir '" + State() + "' " + expected), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one sentence:\n" << r.err;
  }
  EXPECT_FALSE(fs::exists(fs::path(State()) / "catalog")) << "nothing written into it";
}

// The daemon opens media with the `file` protocol and single-file demuxers only: playlists in
// the library (whatever their name) are recorded as failed and nothing they name is opened,
// neither a file outside the library nor a URL.
TEST_F(FaultTest, PlaylistsInTheLibraryOpenNothingElse) {
  WriteConfig();
  const std::string outside = (work_ / "outside.mp4").string();
  fs::copy_file(Source(1), outside);
  const std::string hls = "#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n" + outside +
                          "\n#EXTINF:3.0,\nfile:" + outside +
                          "\n#EXTINF:3.0,\nhttp://127.0.0.1:9/x.ts\n#EXT-X-ENDLIST\n";
  const std::string concat = "ffconcat version 1.0\nfile '" + outside +
                             "'\nfile 'http://127.0.0.1:9/x.mp4'\nfile 'subfile,,start,0,end,"
                             "0,,:" +
                             outside + "'\n";
  const int watch = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(watch, 0);
  ASSERT_GE(::inotify_add_watch(watch, outside.c_str(), IN_OPEN | IN_ACCESS), 0);
  std::ofstream(Lib("list.mp4")) << hls;
  std::ofstream(Lib("list.m3u8.mkv")) << hls;
  std::ofstream(Lib("concat.mov")) << concat;
  AddVideo(0, "real.mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(1, 3, 60)) << d->Status().dump() << d->Log();
  const json st = d->Status();
  for (const auto& [name, format] : {std::pair<std::string, std::string>{"list.mp4", "hls"},
                                     {"list.m3u8.mkv", "hls"},
                                     {"concat.mov", "concat"}}) {
    const json f = FailedFile(st, Lib(name));
    ASSERT_TRUE(f.is_object()) << name << " " << st.dump();
    EXPECT_NE(f["error"].get<std::string>().find("'" + format + "' format is refused"),
              std::string::npos)
        << f.dump();
  }
  alignas(inotify_event) char buf[4096];
  EXPECT_LE(::read(watch, buf, sizeof buf), 0) << outside << " was opened";
  { std::ifstream probe(outside); }  // the watch does see opens
  EXPECT_GT(::read(watch, buf, sizeof buf), 0);
  ::close(watch);
  EXPECT_EQ(d->Stop(), 0) << d->Log();
}

// connect() to `socket` as `uid`/`gid` in a child process: 0 or the errno.
int ConnectAs(const std::string& socket, uid_t uid, gid_t gid) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(250);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::_exit(rc == 0 ? 0 : (errno & 0xff));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Socket inodes of `pid`'s descriptors.
std::set<std::string> SocketInodes(pid_t pid) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code lec;
    const std::string target = fs::read_symlink(e.path(), lec).string();
    if (target.rfind("socket:[", 0) == 0) out.insert(target.substr(8, target.size() - 9));
  }
  return out;
}

TEST_F(FaultTest, ApiSocketRefusesOtherUsersAndNothingListensOnTheNetwork) {
  WriteConfig();
  AddVideo(0, "a.mp4");
  auto d = Daemon();
  ASSERT_TRUE(d->WaitIdle(1, 0, 60)) << d->Log();
  struct stat st {};
  ASSERT_EQ(::stat(Socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_EQ(st.st_gid, ::getegid());
  if (::geteuid() == 0) {
    EXPECT_EQ(ConnectAs(Socket(), kNobody, kNobody), EACCES) << "uid 65534 got in";
    EXPECT_EQ(ConnectAs(Socket(), 0, 0), 0) << "the owner is refused";
  } else {
    std::printf("[ skipped  ] connecting as another uid needs root\n");
  }

  // No TCP/UDP socket at all: every socket the daemon holds is a unix socket.
  const std::set<std::string> inodes = SocketInodes(d->pid());
  EXPECT_FALSE(inodes.empty());
  size_t network = 0;
  for (const char* table : {"tcp", "tcp6", "udp", "udp6", "raw", "raw6"}) {
    std::ifstream in(std::string("/proc/net/") + table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string f;
      for (int i = 0; i < 10 && fields >> f; ++i) {
      }
      if (inodes.count(f) > 0) {
        ++network;
        ADD_FAILURE() << "a " << table << " socket: " << line;
      }
    }
  }
  std::ifstream unix_table("/proc/net/unix");
  std::string all((std::istreambuf_iterator<char>(unix_table)), std::istreambuf_iterator<char>());
  size_t unix_sockets = 0;
  for (const std::string& inode : inodes) {
    if (all.find(" " + inode + " ") != std::string::npos) ++unix_sockets;
  }
  std::printf("[ sockets  ] %zu sockets: %zu unix, %zu network\n", inodes.size(), unix_sockets,
              network);
  EXPECT_EQ(unix_sockets, inodes.size());
  EXPECT_EQ(d->Stop(), 0) << d->Log();
}

}  // namespace
}  // namespace vidx
