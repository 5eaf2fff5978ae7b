// A library full of hostile media, indexed by the real `vidx index` (one-shot, tiny model
// tiny_c) under a hard time limit: no crash, no hang, every regular video-named file ends up
// indexed or failed with a reason, non-files are skipped, the valid videos are indexed,
// `vidx status --json` stays valid JSON whatever the names hold, and nothing outside the
// library is opened (inotify on a canary file and an outside directory).
//
// The corpus (>= 50 entries) is generated here from three small ffmpeg-made videos:
// truncations, bit flips, absurd dimensions, absurd durations and timestamps, playlists and
// concat scripts that point outside (paths, file:// and http:// URLs), symlink loops and
// links leaving the library, names with invalid UTF-8 and newlines, and non-files.
//
// A symbolic link to a file is followed only when its target stays inside the library
// (indexer/pipeline/file_scan.h): a link to a video in the library is indexed, a link to one
// outside is skipped and its target is watched like the canary. Links to directories are not
// descended into.
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "search/catalog.h"
#include "tests/run_command.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::RunCommand;
using testing::ShellQuote;

const char kVocab[] = "../shared/data/clip/bpe_simple_vocab_16e6.txt.gz";
constexpr int kIndexLimitSeconds = 240;  // hard limit (SIGKILL) for one `vidx index`

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Watches a file or directory for opens and reads; no event means nobody opened it.
class OpenWatch {
 public:
  OpenWatch() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}
  ~OpenWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool Add(const fs::path& path) {
    return fd_ >= 0 && inotify_add_watch(fd_, path.c_str(), IN_OPEN | IN_ACCESS) >= 0;
  }
  // Names (relative to the watched directory, or "" for the watched item) seen opened.
  std::vector<std::string> Drain() {
    std::vector<std::string> names;
    alignas(inotify_event) char buf[8192];
    for (;;) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        names.push_back(ev->len > 0 ? std::string(ev->name) : std::string());
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
    return names;
  }

 private:
  int fd_;
};

// What the test expects of an entry in the library.
enum class Expect {
  kIndexed,  // a valid video (under any name): must be indexed
  kFailed,   // cannot be a decodable video: must be failed with a reason
  kEither,   // damaged but maybe decodable: indexed or failed with a reason
  kSkipped,  // not a regular file (or a dangling/looping link): never reaches the catalog
};

struct Entry {
  std::string kind;
  Expect expect;
};

class HostileLibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kVocab)) << kVocab << " is missing (see ../shared/data/clip/README.md)";
    ASSERT_TRUE(fs::exists(fs::path(VIDX_TINY_MODELS_DIR) / "tiny_c" / "config.json"))
        << "the vidx_tiny_clip fixture makes tiny_c";
    if (RunCommand("ffmpeg -version").exit_code != 0) {
      GTEST_SKIP() << "the ffmpeg command is not installed; it makes the test videos";
    }
    work_ = fs::temp_directory_path() / ("vidx_hostile_library_" + std::to_string(::getpid()));
    fs::remove_all(work_);
    for (const char* d : {"lib", "outside/secret_dir", "linked", "src", "model"}) {
      fs::create_directories(work_ / d);
    }
    const fs::path src = fs::path(VIDX_TINY_MODELS_DIR) / "tiny_c";
    for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"}) {
      fs::copy_file(src / f, work_ / "model" / f);
    }
    fs::copy_file(kVocab, work_ / "model" / "bpe_simple_vocab_16e6.txt.gz");
  }
  void TearDown() override {
    std::error_code ec;
    if (std::getenv("VIDX_KEEP_HOSTILE_LIBRARY") != nullptr) {  // to replay it elsewhere
      std::printf("kept %s\n", work_.c_str());                  // (e.g. through sampler_fuzz)
      return;
    }
    if (!work_.empty()) fs::remove_all(work_, ec);
  }

  void Ffmpeg(const std::string& args, const fs::path& out) {
    CommandResult r = RunCommand("ffmpeg -v error -y " + args + " " + ShellQuote(out.string()));
    ASSERT_EQ(r.exit_code, 0) << args << ": " << r.err;
  }
  static std::string Lavfi(const std::string& colour) {
    return "-f lavfi -i " + ShellQuote("testsrc2=s=64x48:r=5:d=2,drawbox=c=" + colour + ":t=4");
  }
  fs::path Lib(const std::string& name) const { return work_ / "lib" / name; }
  void Add(const std::string& name, const std::string& kind, Expect e) {
    entries_[Lib(name).string()] = Entry{kind, e};
  }

  void MakeCorpus();

  std::string WriteConfig() {
    const fs::path path = work_ / "vidx.yaml";
    std::ofstream(path) << "state_dir: " << (work_ / "state").string()
                        << "\nmodel:\n  path: " << (work_ / "model").string()
                        << "\n  batch_size: 8\nsampling:\n  fps: 1\n  max_frames: 8\n"
                        << "library:\n  roots: [" << (work_ / "lib").string() << "]\n";
    return path.string();
  }

  fs::path work_;
  std::map<std::string, Entry> entries_;  // library path -> expectation
};

void HostileLibraryTest::MakeCorpus() {
  const fs::path mp4 = work_ / "src" / "a.mp4", fast = work_ / "src" / "fast.mp4",
                 webm = work_ / "src" / "c.webm";
  Ffmpeg(Lavfi("red") + " -c:v libx264 -pix_fmt yuv420p -g 5", mp4);
  Ffmpeg(Lavfi("blue") + " -c:v libx264 -pix_fmt yuv420p -g 5 -movflags +faststart", fast);
  Ffmpeg(Lavfi("green") + " -c:v libvpx -b:v 100k -g 5", webm);
  // The valid videos.
  fs::copy_file(mp4, Lib("valid_a.mp4"));
  fs::copy_file(fast, Lib("valid_fast.mp4"));
  fs::copy_file(webm, Lib("valid_c.webm"));
  for (const char* n : {"valid_a.mp4", "valid_fast.mp4", "valid_c.webm"})
    Add(n, "valid", Expect::kIndexed);

  // Truncations at many offsets (moov-at-end mp4, faststart mp4, webm).
  const std::map<std::string, std::string> sources = {
      {"mp4", ReadAll(mp4)}, {"fast", ReadAll(fast)}, {"webm", ReadAll(webm)}};
  for (const auto& [tag, bytes] : sources) {
    const std::string ext = tag == "webm" ? ".webm" : ".mp4";
    for (double part : {0.002, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99}) {
      const std::string name =
          "trunc_" + tag + "_" + std::to_string(static_cast<int>(part * 1000)) + ext;
      WriteAll(Lib(name), bytes.substr(0, static_cast<size_t>(bytes.size() * part)));
      Add(name, "truncation", Expect::kEither);
    }
  }
  // Random bit flips at several densities.
  std::mt19937 rng(20261129);
  for (const auto& [tag, bytes] : sources) {
    const std::string ext = tag == "webm" ? ".webm" : ".mp4";
    for (double density : {1e-4, 1e-3, 1e-2, 5e-2}) {
      std::string b = bytes;
      const size_t flips = std::max<size_t>(1, static_cast<size_t>(b.size() * 8 * density));
      for (size_t i = 0; i < flips; ++i) {
        const size_t bit = rng() % (b.size() * 8);
        b[bit / 8] = static_cast<char>(b[bit / 8] ^ (1 << (bit % 8)));
      }
      const std::string name = "flip_" + tag + "_" + std::to_string(density) + ext;
      WriteAll(Lib(name), b);
      Add(name, "bit flips", Expect::kEither);
    }
  }
  // Absurd dimensions.
  WriteAll(Lib("huge_y4m.mp4"),
           "YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + std::string(4096, '\x80'));
  Add("huge_y4m.mp4", "absurd dimensions", Expect::kFailed);
  WriteAll(Lib("zero_y4m.mkv"),
           "YUV4MPEG2 W0 H0 F25:1 Ip C420jpeg\nFRAME\n" + std::string(64, 'x'));
  Add("zero_y4m.mkv", "absurd dimensions", Expect::kFailed);
  {
    std::string b = sources.at("fast");
    const size_t avc1 = b.find("avc1", b.find("stsd"));
    ASSERT_NE(avc1, std::string::npos);
    const size_t wpos = avc1 + 4 + 6 + 2 + 16;
    for (size_t i = 0; i < 4; ++i) b[wpos + i] = '\xff';  // 65535 x 65535 in the sample entry
    WriteAll(Lib("huge_avc1.mp4"), b);
    Add("huge_avc1.mp4", "absurd dimensions", Expect::kFailed);
  }
  // Absurd durations and timestamps.
  Ffmpeg(Lavfi("white") + " -c:v libx264 -pix_fmt yuv420p -output_ts_offset 100000000",
         Lib("ts_offset_huge.mkv"));
  Add("ts_offset_huge.mkv", "absurd timestamps", Expect::kEither);
  Ffmpeg(Lavfi("black") + " -c:v mpeg2video -output_ts_offset 90000 -f mpegts",
         Lib("ts_offset_mpegts.mp4"));
  Add("ts_offset_mpegts.mp4", "absurd timestamps", Expect::kEither);
  Ffmpeg(Lavfi("yellow") + " -vf " + ShellQuote("setpts=PTS+if(gte(N\\,5)\\,100000/TB\\,0)") +
             " -c:v libx264 -pix_fmt yuv420p -fps_mode passthrough",
         Lib("pts_jump.mkv"));
  Add("pts_jump.mkv", "absurd timestamps", Expect::kEither);
  Ffmpeg(Lavfi("gray") + " -c:v libx264 -pix_fmt yuv420p -output_ts_offset 1000",
         Lib("edit_list.mp4"));  // mp4 writes the offset as an edit list
  Add("edit_list.mp4", "absurd timestamps", Expect::kEither);
  {
    std::string b = sources.at("fast");
    const size_t mvhd = b.find("mvhd");
    ASSERT_NE(mvhd, std::string::npos);
    // version 0: flags(4) creation(4) modification(4) timescale(4) duration(4)
    for (size_t i = 0; i < 4; ++i) b[mvhd + 4 + 12 + i] = "\x00\x00\x00\x01"[i];
    for (size_t i = 0; i < 4; ++i) b[mvhd + 4 + 16 + i] = '\xff';
    WriteAll(Lib("duration_huge.mp4"), b);
    Add("duration_huge.mp4", "absurd duration", Expect::kEither);
    std::string z = sources.at("fast");
    const size_t mdhd = z.find("mdhd");
    ASSERT_NE(mdhd, std::string::npos);
    for (size_t i = 0; i < 4; ++i) z[mdhd + 4 + 12 + i] = '\0';  // media timescale 0
    WriteAll(Lib("timescale_zero.mp4"), z);
    Add("timescale_zero.mp4", "absurd timestamps", Expect::kEither);
  }

  // Playlists and scripts that reference other files or URLs (the canary must stay unopened).
  const fs::path canary = work_ / "outside" / "canary.mp4";
  fs::copy_file(mp4, canary);
  fs::copy_file(mp4, work_ / "outside" / "secret_dir" / "secret.mp4");
  const std::string c = canary.string();
  const std::string hls_head = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n";
  WriteAll(Lib("hls_abs.mp4"), hls_head + "#EXTINF:2.0,\n" + c + "\n#EXT-X-ENDLIST\n");
  WriteAll(Lib("hls_rel.mkv"), hls_head + "#EXTINF:2.0,\n../outside/canary.mp4\n#EXT-X-ENDLIST\n");
  WriteAll(Lib("hls_urls.m4v"), hls_head + "#EXTINF:2.0,\nfile://" + c +
                                    "\n#EXTINF:2.0,\nhttp://127.0.0.1:9/x.ts\n#EXT-X-ENDLIST\n");
  WriteAll(Lib("hls_key.mp4"), hls_head + "#EXT-X-KEY:METHOD=AES-128,URI=\"" + c +
                                   "\"\n#EXTINF:2.0,\n" + c + "\n#EXT-X-ENDLIST\n");
  WriteAll(Lib("concat_abs.mp4"), "ffconcat version 1.0\nfile '" + c + "'\n");
  WriteAll(Lib("concat_urls.mov"),
           "ffconcat version 1.0\nfile 'file:" + c + "'\nfile 'http://127.0.0.1:9/x.mp4'\n");
  WriteAll(Lib("dash.mp4"),
           "<?xml version=\"1.0\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
           "type=\"static\"><Period><AdaptationSet><Representation id=\"1\" bandwidth=\"1\">"
           "<BaseURL>" +
               c + "</BaseURL></Representation></AdaptationSet></Period></MPD>\n");
  WriteAll(Lib("sdp.mp4"),
           "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\n"
           "m=video 9 RTP/AVP 96\na=rtpmap:96 H264/90000\n");
  for (const char* n : {"hls_abs.mp4", "hls_rel.mkv", "hls_urls.m4v", "hls_key.mp4",
                        "concat_abs.mp4", "concat_urls.mov", "dash.mp4", "sdp.mp4"}) {
    Add(n, "playlist/reference", Expect::kFailed);
  }

  // Symbolic links: loops, dangling, a directory loop, links leaving the library.
  fs::create_symlink("loop_b.mp4", Lib("loop_a.mp4"));
  fs::create_symlink("loop_a.mp4", Lib("loop_b.mp4"));
  fs::create_symlink("self.mp4", Lib("self.mp4"));
  fs::create_symlink("/nonexistent/vidx/none.mp4", Lib("dangling.mp4"));
  fs::create_directory_symlink(work_ / "lib", Lib("dir_loop"));
  fs::create_directory_symlink(work_ / "outside" / "secret_dir", Lib("outside_dir"));
  for (const char* n : {"loop_a.mp4", "loop_b.mp4", "self.mp4", "dangling.mp4"}) {
    Add(n, "symlink loop/dangling", Expect::kSkipped);
  }
  fs::copy_file(webm, work_ / "linked" / "target.webm");
  fs::create_symlink(work_ / "linked" / "target.webm", Lib("link_outside.webm"));
  Add("link_outside.webm", "symlink to a video outside the library", Expect::kSkipped);
  fs::create_symlink("valid_a.mp4", Lib("link_inside.mp4"));
  Add("link_inside.mp4", "symlink to a video inside the library", Expect::kIndexed);

  // Names: invalid UTF-8, a newline, shell- and URL-looking names.
  fs::copy_file(mp4, Lib("bad_\xff\xfe_utf8.mp4"));
  Add("bad_\xff\xfe_utf8.mp4", "invalid UTF-8 name", Expect::kIndexed);
  WriteAll(Lib("bad_\xc3\x28_random.mp4"), std::string(3000, '\x5a'));
  Add("bad_\xc3\x28_random.mp4", "invalid UTF-8 name", Expect::kFailed);
  fs::copy_file(fast, Lib("new\nline.mp4"));
  Add("new\nline.mp4", "newline in name", Expect::kIndexed);
  fs::copy_file(webm, Lib("http:x.webm"));
  Add("http:x.webm", "URL-like name", Expect::kIndexed);
  fs::copy_file(mp4, Lib("-rf $(touch pwned).mp4"));
  Add("-rf $(touch pwned).mp4", "shell-like name", Expect::kIndexed);

  // Not videos, not files.
  WriteAll(Lib("zero.mp4"), "");
  Add("zero.mp4", "zero bytes", Expect::kFailed);
  WriteAll(Lib("text.mp4"), "this is not a video\n");
  Add("text.mp4", "text", Expect::kFailed);
  {
    std::string noise(40000, '\0');
    for (char& ch : noise) ch = static_cast<char>(rng());
    WriteAll(Lib("noise.mkv"), noise);
    Add("noise.mkv", "random bytes", Expect::kFailed);
  }
  WriteAll(Lib("header_only.mp4"), sources.at("mp4").substr(0, 32));
  Add("header_only.mp4", "truncation", Expect::kFailed);
  fs::create_directory(Lib("dir.mp4"));
  Add("dir.mp4", "directory named .mp4", Expect::kSkipped);
  ASSERT_EQ(::mkfifo(Lib("fifo.mp4").c_str(), 0600), 0);
  Add("fifo.mp4", "FIFO named .mp4", Expect::kSkipped);
}

TEST_F(HostileLibraryTest, IndexesWhatDecodesAndFailsTheRestSafely) {
  MakeCorpus();
  if (HasFatalFailure()) return;
  ASSERT_GE(entries_.size(), 50u);
  const std::string config = WriteConfig();
  const std::string vidx = std::string(VIDX_BINARY) + " --config " + ShellQuote(config);

  OpenWatch watch;
  ASSERT_TRUE(watch.Add(work_ / "outside" / "canary.mp4"));
  ASSERT_TRUE(watch.Add(work_ / "outside"));
  ASSERT_TRUE(watch.Add(work_ / "outside" / "secret_dir"));
  ASSERT_TRUE(watch.Add(work_ / "linked" / "target.webm"));
  watch.Drain();

  const auto start = std::chrono::steady_clock::now();
  CommandResult r = RunCommand("timeout -s KILL " + std::to_string(kIndexLimitSeconds) + " " +
                               vidx + " index --json " + ShellQuote((work_ / "lib").string()));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("vidx index over %zu hostile entries: %.1f s, exit %d\n", entries_.size(), seconds,
              r.exit_code);
  ASSERT_NE(r.exit_code, 137) << "vidx index ran past " << kIndexLimitSeconds << " s";
  // `vidx index` exits 0 when files failed (they are counted and recorded), 1 otherwise.
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  EXPECT_TRUE(summary["ok"].get<bool>());

  CommandResult st = RunCommand(vidx + " status --json");
  ASSERT_EQ(st.exit_code, 0) << st.err;
  json status = json::parse(st.out, nullptr, false);
  ASSERT_FALSE(status.is_discarded()) << "status --json is not valid JSON: " << st.out;

  const std::vector<std::string> opened = watch.Drain();
  EXPECT_TRUE(opened.empty()) << "something outside the library was opened, e.g. '"
                              << (opened.empty() ? "" : opened[0]) << "'";
  { std::ifstream probe(work_ / "outside" / "canary.mp4"); }  // the watch does see opens
  EXPECT_FALSE(watch.Drain().empty());

  // The catalog, read directly (exact bytes of every path).
  std::map<std::string, FileRecord> records;
  std::map<std::string, std::vector<VectorRecord>> vectors;
  {
    CatalogOptions o;
    o.read_only = true;
    auto catalog = Catalog::Open((work_ / "state").string(), o);
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    std::optional<Generation> gen = (*catalog)->ActiveGeneration();
    ASSERT_TRUE(gen.has_value());
    Status s = (*catalog)->ForEachFile(gen->id, [&](const FileRecord& rec) {
      records[rec.file.path] = rec;
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = (*catalog)->ForEachVector(gen->id, 0, [&](const VectorRecord& v) {
      vectors[v.path].push_back(v);
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Moments are seconds from the start of the presentation, whatever the timestamps said.
  for (const auto& [path, list] : vectors) {
    const double duration = records.count(path) ? records[path].duration : 0;
    for (const VectorRecord& v : list) {
      EXPECT_TRUE(std::isfinite(v.start) && std::isfinite(v.end)) << path;
      EXPECT_GE(v.start, 0) << path;
      EXPECT_LE(v.start, v.end) << path;
      EXPECT_LE(v.end, duration + 1) << path << " (duration " << duration << ")";
    }
  }
  for (const auto& [path, entry] : entries_) {
    auto it = records.find(path);
    if (entry.kind.rfind("absurd", 0) == 0 && it != records.end()) {
      std::printf("  %s: %s, duration %.1f s, %zu vectors\n", fs::path(path).filename().c_str(),
                  it->second.status == FileStatus::kIndexed ? "indexed" : "failed",
                  it->second.duration, vectors[path].size());
    }
  }
  for (const char* n : {"ts_offset_huge.mkv", "ts_offset_mpegts.mp4", "edit_list.mp4"}) {
    auto it = records.find(Lib(n).string());
    if (it != records.end() && it->second.status == FileStatus::kIndexed) {
      EXPECT_LT(it->second.duration, 10) << n << ": a start offset is not duration";
    }
  }

  std::map<std::string, int> indexed_by_kind, failed_by_kind;
  std::map<std::string, std::string> reason_by_kind;
  for (const auto& [path, entry] : entries_) {
    SCOPED_TRACE(entry.kind + ": " + path);
    auto it = records.find(path);
    if (entry.expect == Expect::kSkipped) {
      EXPECT_EQ(it, records.end()) << "a non-file reached the catalog";
      continue;
    }
    ASSERT_NE(it, records.end()) << "a regular video-named file is neither indexed nor failed";
    const FileRecord& rec = it->second;
    if (rec.status == FileStatus::kIndexed) {
      ++indexed_by_kind[entry.kind];
      EXPECT_NE(entry.expect, Expect::kFailed) << "indexed, but it cannot be a video";
      EXPECT_FALSE(rec.vector_ids.empty());
    } else {
      ++failed_by_kind[entry.kind];
      EXPECT_NE(entry.expect, Expect::kIndexed) << "a valid video failed: " << rec.error;
      EXPECT_FALSE(rec.error.empty());
      if (reason_by_kind[entry.kind].empty()) reason_by_kind[entry.kind] = rec.error;
    }
  }
  // Nothing else in the catalog (a link to a directory is not descended into).
  for (const auto& [path, rec] : records) {
    EXPECT_TRUE(entries_.count(path)) << "unexpected catalog entry " << path;
  }

  // status --json: counts agree; every failed file listed with a non-empty reason, names
  // that are not UTF-8 shown with U+FFFD in place of the invalid bytes.
  int failed = 0;
  for (const auto& [path, rec] : records) failed += rec.status == FileStatus::kFailed;
  EXPECT_EQ(status["files"]["failed"], failed);
  EXPECT_EQ(status["files"]["indexed"], static_cast<int>(records.size()) - failed);
  ASSERT_EQ(status["failed_files"].size(), static_cast<size_t>(failed));
  std::set<std::string> listed;
  for (const json& f : status["failed_files"]) {
    listed.insert(f["path"].get<std::string>());
    EXPECT_FALSE(f["error"].get<std::string>().empty()) << f.dump();
  }
  EXPECT_TRUE(listed.count(Lib("zero.mp4").string()));
  EXPECT_TRUE(listed.count(Lib("bad_\xef\xbf\xbd\x28_random.mp4").string()))
      << "invalid UTF-8 is replaced by U+FFFD in JSON";

  for (const auto& [kind, n] : indexed_by_kind)
    std::printf("  %-50s indexed %d\n", kind.c_str(), n);
  for (const auto& [kind, n] : failed_by_kind) {
    std::printf("  %-50s failed  %d  e.g. %s\n", kind.c_str(), n, reason_by_kind[kind].c_str());
  }
  EXPECT_LT(seconds, kIndexLimitSeconds);
}

}  // namespace
}  // namespace vidx
