// Files that are not what they claim: the sampler answers with a clear error (or the frames
// of the decodable part), quickly, and never opens anything but the file it was given.
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>

#include "indexer/video/frame_at.h"
#include "indexer/video/sampler.h"
#include "tests/fixtures/video_fixtures.h"

namespace vidx {
namespace {

#define VIDX_REQUIRE_FFMPEG()      \
  if (!testing::FfmpegAvailable()) \
  GTEST_SKIP() << "the ffmpeg command is not installed; it makes the test videos"

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

struct Result {
  Status status;
  std::vector<Frame> frames;
  double seconds = 0;
};

Result Sample(const std::string& path, double max_seconds = 10) {
  SamplerOptions o;
  o.sampling.fps = 2;
  o.output_size = 0;
  o.max_seconds = max_seconds;
  Result r;
  const auto start = std::chrono::steady_clock::now();
  r.status = FrameSampler(o).SampleAll(path, nullptr, &r.frames);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::string FixturePath(const testing::VideoFixture& f) {
  testing::FixtureCache cache;
  auto p = cache.Get(f);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? p.value() : "";
}

testing::VideoFixture H264Mp4() {
  for (const auto& f : testing::CodecMatrix()) {
    if (f.name == "h264_mp4") return f;
  }
  return {};
}

TEST(HostileInputTest, MissingFile) {
  Result r = Sample("/nonexistent/dir/video.mp4");
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound);
  EXPECT_NE(r.status.message().find("/nonexistent/dir/video.mp4"), std::string::npos);
}

TEST(HostileInputTest, DirectoryAndFifoAreNotOpened) {
  testing::TempDir dir;
  Result r = Sample(dir.path());
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << r.status.ToString();
  const std::string fifo = dir.File("pipe.mp4");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  r = Sample(fifo);  // opening a FIFO without a writer would block forever
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << r.status.ToString();
  EXPECT_NE(r.status.message().find("not a regular file"), std::string::npos);
}

TEST(HostileInputTest, ZeroByteFile) {
  testing::TempDir dir;
  WriteAll(dir.File("empty.mp4"), "");
  Result r = Sample(dir.File("empty.mp4"));
  EXPECT_EQ(r.status.code(), StatusCode::kCorruption);
  EXPECT_NE(r.status.message().find("empty"), std::string::npos) << r.status.message();
}

TEST(HostileInputTest, RandomBytes) {
  testing::TempDir dir;
  std::mt19937 rng(1234);
  for (int i = 0; i < 4; ++i) {
    std::string bytes(1000 + i * 20000, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    const std::string path = dir.File("random" + std::to_string(i) + ".mp4");
    WriteAll(path, bytes);
    Result r = Sample(path);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find(path), std::string::npos) << r.status.message();
    EXPECT_LT(r.seconds, 5);
  }
}

TEST(HostileInputTest, TruncatedFiles) {
  VIDX_REQUIRE_FFMPEG();
  testing::TempDir dir;
  for (const auto& f : testing::CodecMatrix()) {
    const std::string src = FixturePath(f);
    ASSERT_FALSE(src.empty());
    const std::string bytes = ReadAll(src);
    for (double part : {0.5, 0.9}) {
      const std::string path = dir.File("cut_" + f.name + "." + f.ext);
      WriteAll(path, bytes.substr(0, static_cast<size_t>(bytes.size() * part)));
      Result r = Sample(path);
      SCOPED_TRACE(f.name + " cut at " + std::to_string(part) + ": " + r.status.ToString());
      EXPECT_LT(r.seconds, 10);
      if (r.status.ok()) {
        EXPECT_FALSE(r.frames.empty());
        for (const Frame& fr : r.frames) EXPECT_LE(fr.t, f.frames / f.fps);
      } else {
        EXPECT_NE(r.status.message().find(path), std::string::npos);
      }
    }
  }
}

TEST(HostileInputTest, AbsurdResolutionInY4mHeaderIsRefused) {
  testing::TempDir dir;
  std::string y4m = "YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n";
  y4m += std::string(4096, '\x80');
  WriteAll(dir.File("huge.y4m"), y4m);
  Result r = Sample(dir.File("huge.y4m"));
  EXPECT_FALSE(r.status.ok());
  EXPECT_TRUE(r.status.code() == StatusCode::kResourceExhausted ||
              r.status.code() == StatusCode::kCorruption)
      << r.status.ToString();
  EXPECT_LT(r.seconds, 2);
}

TEST(HostileInputTest, AbsurdResolutionInMp4HeaderIsRefusedByThePixelLimit) {
  VIDX_REQUIRE_FFMPEG();
  const std::string src = FixturePath(H264Mp4());
  ASSERT_FALSE(src.empty());
  std::string bytes = ReadAll(src);
  // The avc1 sample entry: size, 'avc1', 6 reserved, data ref index, 16 bytes, width, height.
  const size_t avc1 = bytes.find("avc1", bytes.find("stsd"));  // not the ftyp brand
  ASSERT_NE(avc1, std::string::npos);
  const size_t wpos = avc1 + 4 + 6 + 2 + 16;
  ASSERT_EQ(
      static_cast<unsigned char>(bytes[wpos]) * 256 + static_cast<unsigned char>(bytes[wpos + 1]),
      128);
  for (size_t i = 0; i < 4; ++i) bytes[wpos + i] = '\xff';  // 65535 x 65535
  testing::TempDir dir;
  WriteAll(dir.File("huge.mp4"), bytes);
  Result r = Sample(dir.File("huge.mp4"));
  EXPECT_EQ(r.status.code(), StatusCode::kResourceExhausted) << r.status.ToString();
  EXPECT_NE(r.status.message().find("65535x65535"), std::string::npos) << r.status.message();
  EXPECT_LT(r.seconds, 2);
}

// Watches a file for opens through inotify; no event means nobody opened it.
class OpenWatch {
 public:
  explicit OpenWatch(const std::string& path) : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ >= 0) inotify_add_watch(fd_, path.c_str(), IN_OPEN | IN_ACCESS);
  }
  ~OpenWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool Opened() {
    alignas(inotify_event) char buf[4096];
    return ::read(fd_, buf, sizeof(buf)) > 0;
  }

 private:
  int fd_;
};

// The same file through the thumbnail entry point, at a few times.
Result FrameAt(const std::string& path, double seconds, double max_seconds = 10) {
  FrameAtOptions o;
  o.width = 320;
  o.max_seconds = max_seconds;
  Result r;
  const auto start = std::chrono::steady_clock::now();
  auto frame = DecodeFrameAt(path, seconds, o);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.status = frame.status();
  if (frame.ok()) r.frames.push_back(std::move(frame).value());
  return r;
}

void ExpectPlaylistRefused(const std::string& playlist, const std::string& referenced,
                           const std::string& format, bool frame_at = false) {
  OpenWatch watch(referenced);
  ASSERT_TRUE(watch.ok());
  Result r = frame_at ? FrameAt(playlist, 1) : Sample(playlist);
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported) << r.status.ToString();
  EXPECT_NE(r.status.message().find("'" + format + "' format is refused"), std::string::npos)
      << r.status.message();
  EXPECT_TRUE(r.frames.empty());
  EXPECT_LT(r.seconds, 2);
  EXPECT_FALSE(watch.Opened()) << referenced << " was opened";
  // The watch does see opens: prove it.
  { std::ifstream probe(referenced); }
  EXPECT_TRUE(watch.Opened());
}

TEST(HostileInputTest, HlsPlaylistDoesNotOpenOtherFiles) {
  VIDX_REQUIRE_FFMPEG();
  testing::TempDir dir;
  const std::string secret = dir.File("secret.ts");
  WriteAll(secret, ReadAll(FixturePath(H264Mp4())));
  const std::string m3u8 =
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:0\n"
      "#EXTINF:3.0,\nsecret.ts\n#EXTINF:3.0,\n" +
      secret + "\n#EXTINF:3.0,\nhttp://127.0.0.1:9/x.ts\n#EXT-X-ENDLIST\n";
  WriteAll(dir.File("list.m3u8"), m3u8);
  ExpectPlaylistRefused(dir.File("list.m3u8"), secret, "hls");
  ExpectPlaylistRefused(dir.File("list.m3u8"), secret, "hls", /*frame_at=*/true);
  WriteAll(dir.File("list_named.mp4"), m3u8);  // the name does not matter, the content does
  ExpectPlaylistRefused(dir.File("list_named.mp4"), secret, "hls");
}

TEST(HostileInputTest, ConcatScriptDoesNotOpenOtherFiles) {
  VIDX_REQUIRE_FFMPEG();
  testing::TempDir dir;
  const std::string secret = dir.File("secret.mp4");
  WriteAll(secret, ReadAll(FixturePath(H264Mp4())));
  WriteAll(dir.File("list.ffconcat"), "ffconcat version 1.0\nfile 'secret.mp4'\nfile '" + secret +
                                          "'\nfile 'http://127.0.0.1:9/x.mp4'\n");
  ExpectPlaylistRefused(dir.File("list.ffconcat"), secret, "concat");
  ExpectPlaylistRefused(dir.File("list.ffconcat"), secret, "concat", /*frame_at=*/true);
}

TEST(HostileInputTest, UrlLikeNamesAreFiles) {
  testing::TempDir dir;
  // A relative name that looks like a protocol is still just a (missing) file.
  Result r = Sample("http://127.0.0.1:9/video.mp4");
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound) << r.status.ToString();
}

TEST(HostileInputTest, FrameAtRandomBytesEmptyFilesAndDirectories) {
  testing::TempDir dir;
  std::mt19937 rng(99);
  for (int i = 0; i < 3; ++i) {
    std::string bytes(2000 + i * 30000, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    const std::string path = dir.File("random" + std::to_string(i) + ".mkv");
    WriteAll(path, bytes);
    Result r = FrameAt(path, 3);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find(path), std::string::npos) << r.status.message();
    EXPECT_LT(r.seconds, 5);
  }
  WriteAll(dir.File("empty.mp4"), "");
  EXPECT_EQ(FrameAt(dir.File("empty.mp4"), 0).status.code(), StatusCode::kCorruption);
  EXPECT_EQ(FrameAt(dir.path(), 0).status.code(), StatusCode::kInvalidArgument);
}

TEST(HostileInputTest, FrameAtTruncatedFilesGiveAFrameOrAnError) {
  VIDX_REQUIRE_FFMPEG();
  testing::TempDir dir;
  for (const auto& f : testing::CodecMatrix()) {
    const std::string bytes = ReadAll(FixturePath(f));
    ASSERT_FALSE(bytes.empty());
    for (double part : {0.3, 0.8}) {
      const std::string path = dir.File("cut_" + f.name + "." + f.ext);
      WriteAll(path, bytes.substr(0, static_cast<size_t>(bytes.size() * part)));
      for (double t : {0.0, 2.5, 60.0}) {
        Result r = FrameAt(path, t);
        SCOPED_TRACE(f.name + " cut at " + std::to_string(part) + ", t=" + std::to_string(t) +
                     ": " + r.status.ToString());
        EXPECT_LT(r.seconds, 10);
        if (r.status.ok()) {
          ASSERT_EQ(r.frames.size(), 1u);
          EXPECT_EQ(r.frames[0].width, 320);
          EXPECT_EQ(r.frames[0].height % 2, 0);
        } else {
          EXPECT_NE(r.status.message().find(path), std::string::npos);
        }
      }
    }
  }
}

TEST(HostileInputTest, FrameAtKeepsThePixelAndTimeLimits) {
  VIDX_REQUIRE_FFMPEG();
  std::string bytes = ReadAll(FixturePath(H264Mp4()));
  const size_t avc1 = bytes.find("avc1", bytes.find("stsd"));
  ASSERT_NE(avc1, std::string::npos);
  const size_t wpos = avc1 + 4 + 6 + 2 + 16;
  for (size_t i = 0; i < 4; ++i) bytes[wpos + i] = '\xff';  // 65535 x 65535
  testing::TempDir dir;
  WriteAll(dir.File("huge.mp4"), bytes);
  Result r = FrameAt(dir.File("huge.mp4"), 1);
  EXPECT_EQ(r.status.code(), StatusCode::kResourceExhausted) << r.status.ToString();
  r = FrameAt(FixturePath(H264Mp4()), 1, /*max_seconds=*/1e-9);
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded) << r.status.ToString();
  EXPECT_NE(r.status.message().find(FixturePath(H264Mp4())), std::string::npos);
}

}  // namespace
}  // namespace vidx
