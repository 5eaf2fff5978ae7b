#include "indexer/model/sha256.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

namespace vidx {
namespace {

TEST(Sha256Test, FipsVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      Sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnop"
                "qklmnopqrlmnopqrsmnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  Sha256 h;
  std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(chunk);
  EXPECT_EQ(h.HexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Every split of a message into two Update() calls gives the same digest, across the
// 55/56/63/64-byte padding boundaries.
TEST(Sha256Test, SplitsAndPaddingBoundaries) {
  std::string msg;
  for (int i = 0; i < 200; ++i) msg.push_back(static_cast<char>(i * 7 + 3));
  for (size_t len : {55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u, 200u}) {
    std::string whole = Sha256Hex(std::string_view(msg.data(), len));
    for (size_t cut = 0; cut <= len; cut += 5) {
      Sha256 h;
      h.Update(msg.data(), cut);
      h.Update(msg.data() + cut, len - cut);
      ASSERT_EQ(h.HexDigest(), whole) << "len " << len << " cut " << cut;
    }
  }
  Sha256 h;
  h.Update("abc");
  (void)h.HexDigest();
  h.Reset();
  h.Update("abc");
  EXPECT_EQ(h.HexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, FileMatchesPythonHashlib) {
  const char* src = std::getenv("VIDX_SOURCE_DIR");
  std::string python = std::string(src ? src : ".") + "/.venv/bin/python";
  ASSERT_EQ(access(python.c_str(), X_OK), 0)
      << python << " is missing: the Python reference environment is required for this test";
  char tmpl[] = "/tmp/vidx_sha256_XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  std::string path = tmpl;
  {
    // 5 MB + an odd tail so the 4 MB read buffer boundary and block padding are exercised.
    std::mt19937 rng(1234);
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 5 * 1024 * 1024 + 37; ++i) out.put(static_cast<char>(rng() & 0xff));
  }
  auto got = Sha256File(path);
  ASSERT_TRUE(got.ok()) << got.status().message();
  std::string cmd = python +
                    " -c \"import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb')"
                    ".read()).hexdigest())\" " +
                    path;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[128] = {0};
  ASSERT_NE(fgets(buf, sizeof(buf), p), nullptr);
  ASSERT_EQ(pclose(p), 0);
  EXPECT_EQ(*got, std::string(buf, 64));
  std::remove(path.c_str());
}

TEST(Sha256Test, MissingFileIsNotFound) {
  auto r = Sha256File("/nonexistent/vidx/weights.bin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vidx

namespace vidx {
namespace {

// An empty update may come with a null pointer (an empty vector's data()).
TEST(Sha256Test, EmptyUpdateWithNullPointer) {
  Sha256 h;
  h.Update("ab", 2);
  h.Update(nullptr, 0);
  h.Update("c", 1);
  EXPECT_EQ(h.HexDigest(), Sha256Hex("abc"));
}

TEST(Sha256Test, DescribeFileHashesNamesThePresentFilesInOrder) {
  const std::string dir = "/tmp/vidx_sha256_describe_" + std::to_string(::getpid());
  ASSERT_EQ(std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  std::ofstream(dir + "/b.json") << "abc";
  std::ofstream(dir + "/a.model") << "";
  StatusOr<std::string> d = DescribeFileHashes(dir, {"b.json", "missing.txt", "a.model"});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, "b.json=" + Sha256Hex("abc") + ",a.model=" + Sha256Hex(""));
  EXPECT_EQ(*DescribeFileHashes(dir, {"missing.txt"}), "");
  std::ofstream(dir + "/b.json") << "abd";
  EXPECT_NE(*DescribeFileHashes(dir, {"b.json"}), "b.json=" + Sha256Hex("abc"));
  ASSERT_EQ(std::system(("rm -rf " + dir).c_str()), 0);
}

}  // namespace
}  // namespace vidx
