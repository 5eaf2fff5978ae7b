#include "web/web_token.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

namespace vidx {
namespace {

namespace fs = std::filesystem;

class WebTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vidx_web_token_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string TokenPath() const { return (dir_ / kWebTokenFile).string(); }
  void Write(const std::string& text, mode_t mode) const {
    std::ofstream(TokenPath()) << text;
    ASSERT_EQ(::chmod(TokenPath().c_str(), mode), 0);
  }
  fs::path dir_;
};

bool IsToken(const std::string& t) {
  if (t.size() != 64) return false;
  for (char c : t) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST_F(WebTokenTest, CreatedOnceWithMode0600AndKept) {
  ::umask(0);  // the mode must not depend on the umask
  auto first = LoadOrCreateWebToken(dir_.string());
  ::umask(022);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(IsToken(*first)) << *first;
  struct stat st {};
  ASSERT_EQ(::stat(TokenPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  std::ifstream in(TokenPath());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, *first + "\n");
  auto again = LoadOrCreateWebToken(dir_.string());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
}

TEST_F(WebTokenTest, TokensDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) {
    fs::remove(TokenPath());
    auto t = LoadOrCreateWebToken(dir_.string());
    ASSERT_TRUE(t.ok());
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 8u);
}

TEST_F(WebTokenTest, RefusesAFileOthersCanRead) {
  Write(std::string(64, 'a') + "\n", 0640);
  auto t = LoadOrCreateWebToken(dir_.string());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(t.status().message(), "the web token " + TokenPath() +
                                      " is open to other users (mode 0640); refusing to use it "
                                      "(fix it with: chmod 600 " +
                                      TokenPath() + ")");
  Write(std::string(64, 'a'), 0604);
  EXPECT_EQ(ReadWebToken(TokenPath()).status().code(), StatusCode::kFailedPrecondition);
  Write(std::string(64, 'a'), 0600);
  auto ok = ReadWebToken(TokenPath());
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok, std::string(64, 'a'));
}

TEST_F(WebTokenTest, RefusesMalformedContents) {
  for (const std::string& bad :
       {std::string(), std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'A'),
        std::string(64, 'g'), std::string(64, 'a') + "\n\n", " " + std::string(63, 'a')}) {
    Write(bad, 0600);
    auto t = ReadWebToken(TokenPath());
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), StatusCode::kCorruption) << bad;
    EXPECT_NE(t.status().message().find(TokenPath()), std::string::npos);
  }
}

TEST_F(WebTokenTest, MissingSymlinkAndDirectory) {
  EXPECT_EQ(ReadWebToken(TokenPath()).status().code(), StatusCode::kNotFound);
  Write(std::string(64, 'b'), 0600);
  const std::string link = (dir_ / "link").string();
  fs::create_symlink(TokenPath(), link);
  EXPECT_EQ(ReadWebToken(link).status().code(), StatusCode::kFailedPrecondition);
  fs::create_directory(dir_ / "d");
  ::chmod((dir_ / "d").c_str(), 0700);
  EXPECT_EQ(ReadWebToken((dir_ / "d").string()).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(WebTokenTest, CompareAndParseHeaders) {
  EXPECT_TRUE(TokensEqual("abc", "abc"));
  EXPECT_FALSE(TokensEqual("abc", "abd"));
  EXPECT_FALSE(TokensEqual("abc", "abcd"));
  EXPECT_FALSE(TokensEqual("", "a"));
  EXPECT_EQ(CookieValue("vidx_token=abc", "vidx_token"), "abc");
  EXPECT_EQ(CookieValue("a=1; vidx_token=abc; b=2", "vidx_token"), "abc");
  EXPECT_EQ(CookieValue("a=1;vidx_token=\"abc\"", "vidx_token"), "abc");
  EXPECT_EQ(CookieValue("xvidx_token=abc", "vidx_token"), std::nullopt);
  EXPECT_EQ(CookieValue("", "vidx_token"), std::nullopt);
  EXPECT_EQ(CookieValue("vidx_token", "vidx_token"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer   abc "), "abc");
  EXPECT_EQ(BearerToken("Basic abc"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer "), std::nullopt);
  EXPECT_EQ(BearerToken("Bearerabc"), std::nullopt);
}

TEST_F(WebTokenTest, AtomicWrite) {
  const std::string path = (dir_ / kWebAddressFile).string();
  ASSERT_TRUE(WriteFileAtomically(path, "127.0.0.1:5\n").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "127.0.0.1:6\n").ok());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "127.0.0.1:6\n");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

}  // namespace
}  // namespace vidx
