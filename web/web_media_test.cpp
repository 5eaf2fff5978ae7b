// GET|HEAD /v1/media and GET /v1/thumb over the real server with a fake backend: byte
// ranges compared with the file, and every way a request could reach a file it must not.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "web/byte_range.h"
#include "web/fake_web_backend.h"
#include "web/web_media.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using testing::TestResponse;

constexpr size_t kSize = 100000;

class WebMediaTest : public testing::WebRoutesFixture {
 protected:
  void SetUp() override {
    WebRoutesFixture::SetUp();
    dir_ = fs::temp_directory_path() /
           ("vidx_web_media_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "lib" / "sub");
    fs::create_directories(dir_ / "outside");
    for (size_t i = 0; i < kSize; ++i) data_ += static_cast<char>((i * 131 + i / 7) % 256);
    Write("lib/a.mp4", data_);
    Write("lib/sub/b.webm", "webm bytes");
    Write("outside/secret.mp4", "secret");
    Write("lib/gone.mp4", "soon gone");
    Write("lib/changed.mp4", "before");
    fs::create_symlink(dir_ / "outside" / "secret.mp4", dir_ / "lib" / "escape.mp4");
    fs::create_symlink(dir_ / "lib" / "a.mp4", dir_ / "lib" / "inner.mp4");
    fs::create_directories(dir_ / "lib" / "dir.mp4");
    // The root is configured through a symbolic link: realpaths on both sides.
    fs::create_symlink(dir_ / "lib", dir_ / "root");
    backend_.roots = {(dir_ / "root").string()};
    Catalogue(1, "lib/a.mp4");
    Catalogue(2, "lib/escape.mp4");
    Catalogue(3, "lib/gone.mp4");
    Catalogue(4, "lib/changed.mp4");
    Catalogue(5, "outside/secret.mp4");
    Catalogue(6, "lib/dir.mp4");
    Catalogue(7, "lib/inner.mp4");
    Catalogue(8, "lib/sub/b.webm");
    Catalogue(9, "lib/a.mp4");
    backend_.files[9].status = FileStatus::kFailed;
    fs::remove(dir_ / "lib" / "gone.mp4");
    Write("lib/changed.mp4", "after, longer");
  }
  void TearDown() override {
    WebRoutesFixture::TearDown();
    fs::remove_all(dir_);
  }
  void Write(const std::string& rel, const std::string& bytes) const {
    std::ofstream(dir_ / rel, std::ios::binary) << bytes;
  }
  void Catalogue(uint64_t id, const std::string& rel) {
    FileRecord r;
    auto identity = IdentifyFile((dir_ / rel).string());
    ASSERT_TRUE(identity.ok()) << identity.status().message();
    r.file = *identity;
    r.status = FileStatus::kIndexed;
    r.vector_ids = {id};
    backend_.files[id] = r;
  }
  std::string Etag() const {
    struct stat st {};
    ::stat((dir_ / "lib" / "a.mp4").c_str(), &st);
    return MediaEtag(kSize, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
  }

  fs::path dir_;
  std::string data_;
};

TEST_F(WebMediaTest, WholeFileWithValidators) {
  TestResponse r = Authed("GET", "/v1/media/1");
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(r.body, data_);
  EXPECT_EQ(r.Header("content-type"), "video/mp4");
  EXPECT_EQ(r.Header("accept-ranges"), "bytes");
  EXPECT_EQ(r.Header("etag"), Etag());
  EXPECT_TRUE(ParseHttpDate(r.Header("last-modified")).has_value()) << r.Header("last-modified");
  EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
  r = Authed("HEAD", "/v1/media/1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-length"), std::to_string(kSize));
  EXPECT_EQ(r.body, "");
  r = Authed("GET", "/v1/media/8");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "video/webm");
  EXPECT_EQ(r.body, "webm bytes");
  r = Authed("GET", "/v1/media/7");  // a link that stays inside the library
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, data_);
  EXPECT_EQ(Authed("POST", "/v1/media/1", {}, "x").status, 405);
}

TEST_F(WebMediaTest, RangesGiveExactlyTheRequestedBytes) {
  struct Case {
    std::string range;
    size_t first, last;
  };
  for (const Case& c :
       {Case{"bytes=0-0", 0, 0}, Case{"bytes=10-109", 10, 109},
        Case{"bytes=99990-200000", 99990, kSize - 1}, Case{"bytes=-100", kSize - 100, kSize - 1},
        Case{"bytes=50000-", 50000, kSize - 1}, Case{"bytes=0-99999", 0, kSize - 1}}) {
    TestResponse r = Authed("GET", "/v1/media/1", {{"Range", c.range}});
    ASSERT_EQ(r.status, 206) << c.range << " " << r.body;
    EXPECT_EQ(r.body, data_.substr(c.first, c.last - c.first + 1)) << c.range;
    EXPECT_EQ(r.Header("content-range"), "bytes " + std::to_string(c.first) + "-" +
                                             std::to_string(c.last) + "/" + std::to_string(kSize))
        << c.range;
    EXPECT_EQ(r.Header("content-length"), std::to_string(c.last - c.first + 1));
  }
  TestResponse r = Authed("HEAD", "/v1/media/1", {{"Range", "bytes=10-19"}});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.Header("content-length"), "10");
  EXPECT_EQ(r.body, "");
}

TEST_F(WebMediaTest, UnsatisfiableMultipleAndMalformedRanges) {
  for (const char* range : {"bytes=100000-", "bytes=200000-300000", "bytes=-0"}) {
    TestResponse r = Authed("GET", "/v1/media/1", {{"Range", range}});
    EXPECT_EQ(r.status, 416) << range;
    EXPECT_EQ(r.Header("content-range"), "bytes */100000") << range;
  }
  for (const char* range : {"bytes=0-1,5-6", "bytes=5-1", "bytes=x-", "pages=1-2"}) {
    TestResponse r = Authed("GET", "/v1/media/1", {{"Range", range}});
    EXPECT_EQ(r.status, 200) << range;
    EXPECT_EQ(r.body, data_) << range;
    EXPECT_FALSE(r.Has("content-range")) << range;
  }
}

TEST_F(WebMediaTest, IfRange) {
  TestResponse r = Authed("GET", "/v1/media/1", {{"Range", "bytes=5-9"}, {"If-Range", Etag()}});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, data_.substr(5, 5));
  r = Authed("GET", "/v1/media/1", {{"Range", "bytes=5-9"}, {"If-Range", "\"0-0\""}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, data_);
  r = Authed("GET", "/v1/media/1", {{"Range", "bytes=5-9"}, {"If-Range", "W/" + Etag()}});
  EXPECT_EQ(r.status, 200);
  const std::string modified = Authed("HEAD", "/v1/media/1").Header("last-modified");
  r = Authed("GET", "/v1/media/1", {{"Range", "bytes=5-9"}, {"If-Range", modified}});
  EXPECT_EQ(r.status, 206);
  r = Authed("GET", "/v1/media/1",
             {{"Range", "bytes=5-9"}, {"If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  EXPECT_EQ(r.status, 200);
}

TEST_F(WebMediaTest, NothingOutsideTheCatalogueOrTheLibraryIsServed) {
  for (const char* target :
       {"/v1/media/2",  // symlink leaving the library
        "/v1/media/3",  // deleted since indexing
        "/v1/media/4",  // changed since indexing
        "/v1/media/5",  // catalogued path outside every root
        "/v1/media/6",  // a directory
        "/v1/media/9",  // a failed file
        "/v1/media/999", "/v1/media/", "/v1/media/abc", "/v1/media/1x", "/v1/media/-1",
        "/v1/media/+1", "/v1/media/..", "/v1/media/%2e%2e", "/v1/media/../../etc/passwd",
        "/v1/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/v1/media/1/../2",
        "/v1/media/99999999999999999999999"}) {
    TestResponse r = Authed("GET", target);
    EXPECT_EQ(r.status, 404) << target << " " << r.body.substr(0, 200);
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << target;
  }
  // No root at all: nothing is served.
  backend_.roots.clear();
  EXPECT_EQ(Authed("GET", "/v1/media/1").status, 404);
}

TEST_F(WebMediaTest, AFileSwappedForALinkAfterIndexingIsRefused) {
  // Same size and mtime as catalogued, but now a link to a file outside.
  const fs::path a = dir_ / "lib" / "a.mp4";
  Write("outside/copy.mp4", data_);
  struct stat st {};
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  const timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir_ / "outside" / "copy.mp4").c_str(), times, 0), 0);
  fs::remove(a);
  fs::create_symlink(dir_ / "outside" / "copy.mp4", a);
  EXPECT_EQ(Authed("GET", "/v1/media/1").status, 404);
}

TEST_F(WebMediaTest, Thumbnails) {
  TestResponse r = Authed("GET", "/v1/thumb?file=1&t=2.5&w=200");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "image/jpeg");
  EXPECT_EQ(r.Header("cache-control"), "private, max-age=86400");
  EXPECT_EQ(r.body, "\xff\xd8 jpeg of " + backend_.files[1].file.path);
  EXPECT_EQ(backend_.thumb_seconds, 2.5);
  EXPECT_EQ(backend_.thumb_width, 200);
  EXPECT_EQ(backend_.thumb_file.path, backend_.files[1].file.path);
  r = Authed("GET", "/v1/thumb?file=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(backend_.thumb_seconds, 0);
  EXPECT_EQ(backend_.thumb_width, 320);
  for (const char* bad :
       {"/v1/thumb", "/v1/thumb?file=x", "/v1/thumb?file=1&w=63", "/v1/thumb?file=1&w=1281",
        "/v1/thumb?file=1&t=-1", "/v1/thumb?file=1&t=nan", "/v1/thumb?file=1&t=1s"}) {
    EXPECT_EQ(Authed("GET", bad).status, 400) << bad;
  }
  for (const char* missing : {"/v1/thumb?file=2", "/v1/thumb?file=3", "/v1/thumb?file=999"}) {
    EXPECT_EQ(Authed("GET", missing).status, 404) << missing;
  }
  backend_.thumb_status = Status::Unavailable("thumbnails are not available");
  EXPECT_EQ(Authed("GET", "/v1/thumb?file=1").status, 503);
  backend_.thumb_status = Status::Corruption("a.mp4 cannot be decoded");
  EXPECT_EQ(Authed("GET", "/v1/thumb?file=1").status, 422);
}

TEST(WebMediaTypes, ByContainer) {
  EXPECT_EQ(MediaContentType("/a/b.MP4"), "video/mp4");
  EXPECT_EQ(MediaContentType("/a/b.m4v"), "video/mp4");
  EXPECT_EQ(MediaContentType("/a/b.mov"), "video/quicktime");
  EXPECT_EQ(MediaContentType("/a/b.mkv"), "video/x-matroska");
  EXPECT_EQ(MediaContentType("/a/b.avi"), "video/x-msvideo");
  EXPECT_EQ(MediaContentType("/a.mp4/b"), "application/octet-stream");
  EXPECT_EQ(MediaEtag(255, 4096), "\"ff-1000\"");
}

}  // namespace
}  // namespace vidx
