#include "indexer/model/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace vidx {
namespace {

std::vector<uint8_t> Build(const std::string& header, size_t data_bytes, uint64_t declared = 0) {
  uint64_t n = declared ? declared : header.size();
  // Sized once and filled by index: growing an 8-byte vector with insert() trips a GCC 12
  // -O3 -Warray-bounds false positive.
  std::vector<uint8_t> out(8 + header.size() + data_bytes);
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(n >> (8 * i));
  std::copy(header.begin(), header.end(), out.begin() + 8);
  for (size_t i = 0; i < data_bytes; ++i) {
    out[8 + header.size() + i] = static_cast<uint8_t>(i);
  }
  return out;
}

StatusOr<std::unique_ptr<SafetensorsFile>> Parse(const std::vector<uint8_t>& b) {
  return SafetensorsFile::FromBuffer(b.data(), b.size(), "model.safetensors");
}

// Expects a kCorruption whose message contains every string in `parts`.
void ExpectCorrupt(const std::vector<uint8_t>& b, std::vector<std::string> parts) {
  auto r = Parse(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().message();
  EXPECT_EQ(r.status().message().rfind("model.safetensors: ", 0), 0u) << r.status().message();
  for (const auto& p : parts) {
    EXPECT_NE(r.status().message().find(p), std::string::npos)
        << "'" << p << "' not in: " << r.status().message();
  }
}

TEST(SafetensorsTest, ParsesHandBuiltFile) {
  // Header padded with spaces, as the reference writer does.
  auto b = Build(R"({"b":{"dtype":"I64","shape":[2],"data_offsets":[8,24]},)"
                 R"("a":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},)"
                 R"("e":{"dtype":"F32","shape":[0,3],"data_offsets":[24,24]},)"
                 R"("__metadata__":{"format":"pt"}}   )",
                 24);
  auto r = Parse(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const SafetensorsFile& f = **r;
  EXPECT_EQ(f.names(), (std::vector<std::string>{"a", "b", "e"}));
  EXPECT_EQ(f.metadata().at("format"), "pt");
  const TensorView* a = f.Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::kF16);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(a->numel(), 4);
  EXPECT_EQ(a->nbytes, 8u);
  const TensorView* bt = f.Find("b");
  ASSERT_NE(bt, nullptr);
  EXPECT_EQ(bt->data - a->data, 8);
  EXPECT_EQ(bt->data[0], 8);
  EXPECT_EQ(f.Find("e")->numel(), 0);
  EXPECT_EQ(f.Find("missing"), nullptr);
  EXPECT_STREQ(DTypeName(DType::kBF16), "BF16");
  EXPECT_EQ(DTypeSize(DType::kI64), 8u);
}

TEST(SafetensorsTest, EmptyHeaderIsValid) {
  auto r = Parse(Build("{}", 0));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE((*r)->tensors().empty());
}

TEST(SafetensorsTest, RejectsTruncatedAndBadHeaderLengths) {
  std::vector<uint8_t> tiny = {1, 2, 3};
  ExpectCorrupt(tiny, {"too small"});
  ExpectCorrupt(Build("{}", 0, 1), {"below 2"});
  ExpectCorrupt(Build("{}", 0, 500), {"past the end"});
  ExpectCorrupt(Build("{}", 0, 200000000ull), {"exceeds the limit"});
  ExpectCorrupt(Build("{}", 0, 0xffffffffffffffffull), {"exceeds the limit"});
  // Data truncated: offsets past the end of the data region.
  ExpectCorrupt(Build(R"({"x.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 10),
                {"tensor 'x.weight'", "[0, 16]", "past the end"});
}

TEST(SafetensorsTest, RejectsOverlapGapAndUncoveredBytes) {
  ExpectCorrupt(Build(R"({"x.weight":{"dtype":"U8","shape":[10],"data_offsets":[10,20]},)"
                      R"("y":{"dtype":"U8","shape":[15],"data_offsets":[0,15]}})",
                      20),
                {"tensor 'x.weight'", "[10, 20]", "overlapping", "'y'"});
  ExpectCorrupt(Build(R"({"x":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                      R"("y":{"dtype":"U8","shape":[4],"data_offsets":[6,10]}})",
                      10),
                {"tensor 'y'", "gap of 2 bytes", "'x'"});
  ExpectCorrupt(Build(R"({"x":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})", 6),
                {"cover 4 bytes", "has 6 bytes"});
  ExpectCorrupt(Build(R"({"x":{"dtype":"U8","shape":[4],"data_offsets":[4,0]}})", 4),
                {"end before begin"});
}

TEST(SafetensorsTest, RejectsByteCountMismatch) {
  ExpectCorrupt(Build(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 20),
                {"tensor 'w'", "24 bytes", "span 20 bytes"});
}

TEST(SafetensorsTest, RejectsInvalidJsonAndUtf8) {
  ExpectCorrupt(Build(R"({"w":{"dtype":"F32",)", 0), {"not valid JSON"});
  ExpectCorrupt(Build("[1,2]", 0), {"does not start with '{'"});
  ExpectCorrupt(Build("{\"w\xff\":1}", 0), {"not valid UTF-8"});
  ExpectCorrupt(Build("{\"w\xc0\x80\":1}", 0), {"not valid UTF-8"});      // overlong NUL
  ExpectCorrupt(Build("{\"w\xed\xa0\x80\":1}", 0), {"not valid UTF-8"});  // surrogate
  ExpectCorrupt(Build(R"({"w":[1]})", 0), {"tensor 'w' is not an object"});
  ExpectCorrupt(Build(R"({"w":{"dtype":"F32","shape":[1]}})", 4), {"lacks"});
  ExpectCorrupt(Build(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", 4),
                {"unknown field 'x'"});
  ExpectCorrupt(Build(R"({"__metadata__":{"a":1}})", 0), {"not a string"});
}

TEST(SafetensorsTest, RejectsBadDtypesAndShapes) {
  ExpectCorrupt(Build(R"({"w":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}})", 4),
                {"tensor 'w'", "unknown dtype 'F31'"});
  auto u = Parse(Build(R"({"w":{"dtype":"U32","shape":[1],"data_offsets":[0,4]}})", 4));
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), StatusCode::kUnsupported);
  ExpectCorrupt(Build(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
                {"tensor 'w'", "non-negative"});
  ExpectCorrupt(Build(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4),
                {"non-negative"});
  ExpectCorrupt(
      Build(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4),
      {"overflows"});
  ExpectCorrupt(
      Build(R"({"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]}})", 4),
      {"overflows"});
  // Zero dim next to huge ones: still rejected, numel() would overflow on the way.
  ExpectCorrupt(
      Build(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}})", 0),
      {"overflows"});
  // numel fits int64 but the byte count does not fit.
  ExpectCorrupt(
      Build(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,4]}})", 4),
      {"byte count overflows"});
  ExpectCorrupt(Build(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}})", 4),
                {"not non-negative integers"});
  ExpectCorrupt(Build(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4),
                {"[begin, end] pair"});
}

TEST(SafetensorsTest, RejectsDuplicateKeys) {
  ExpectCorrupt(Build(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                      R"("w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                      2),
                {"key 'w' twice"});
  ExpectCorrupt(Build(R"({"w":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}})", 1),
                {"key 'dtype' twice"});
}

TEST(SafetensorsTest, OpenMissingFileIsNotFound) {
  auto r = SafetensorsFile::Open("/nonexistent/model.safetensors");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

std::string TempDir() {
  char tmpl[] = "/tmp/vidx_safetensors_XXXXXX";
  char* d = mkdtemp(tmpl);
  return d ? d : "";
}

// Reads a file written by the reference `safetensors.torch.save_file`.
TEST(SafetensorsTest, ReadsFileWrittenByPythonSafetensors) {
  const char* src = std::getenv("VIDX_SOURCE_DIR");
  std::string python = std::string(src ? src : ".") + "/.venv/bin/python";
  ASSERT_EQ(access(python.c_str(), X_OK), 0)
      << python << " is missing: the Python reference environment is required for this test";
  std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  std::string path = dir + "/ref.safetensors";
  std::string script = dir + "/make.py";
  {
    std::ofstream py(script);
    py << "import sys, torch\n"
          "from safetensors.torch import save_file\n"
          "t = {\n"
          "  'f32': torch.tensor([[1.5, -2.0, 3.25], [0.0, 1e-3, -7.0]], dtype=torch.float32),\n"
          "  'f16': torch.tensor([1.0, -0.5, 65504.0], dtype=torch.float16),\n"
          "  'bf16': torch.tensor([1.0, -3.0, 0.15625], dtype=torch.bfloat16),\n"
          "  'i64': torch.tensor([1, -2, 1 << 40], dtype=torch.int64),\n"
          "  'scalar': torch.tensor(42.0),\n"
          "}\n"
          "save_file(t, sys.argv[1], metadata={'format': 'pt', 'note': 'vidx'})\n";
  }
  std::string cmd = python + " " + script + " " + path;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  auto r = SafetensorsFile::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const SafetensorsFile& f = **r;
  EXPECT_EQ(f.path(), path);
  EXPECT_EQ(f.names(), (std::vector<std::string>{"bf16", "f16", "f32", "i64", "scalar"}));
  EXPECT_EQ(f.metadata().at("note"), "vidx");

  const TensorView* f32 = f.Find("f32");
  ASSERT_NE(f32, nullptr);
  EXPECT_EQ(f32->dtype, DType::kF32);
  EXPECT_EQ(f32->shape, (std::vector<int64_t>{2, 3}));
  float fv[6];
  std::memcpy(fv, f32->data, sizeof(fv));
  EXPECT_EQ(fv[0], 1.5f);
  EXPECT_EQ(fv[2], 3.25f);
  EXPECT_EQ(fv[4], 1e-3f);
  EXPECT_EQ(fv[5], -7.0f);

  const TensorView* f16 = f.Find("f16");
  ASSERT_EQ(f16->dtype, DType::kF16);
  uint16_t hv[3];
  std::memcpy(hv, f16->data, sizeof(hv));
  EXPECT_EQ(hv[0], 0x3C00);  // 1.0
  EXPECT_EQ(hv[1], 0xB800);  // -0.5
  EXPECT_EQ(hv[2], 0x7BFF);  // 65504

  const TensorView* bf = f.Find("bf16");
  ASSERT_EQ(bf->dtype, DType::kBF16);
  uint16_t bv[3];
  std::memcpy(bv, bf->data, sizeof(bv));
  EXPECT_EQ(bv[0], 0x3F80);  // 1.0
  EXPECT_EQ(bv[1], 0xC040);  // -3.0
  EXPECT_EQ(bv[2], 0x3E20);  // 0.15625

  const TensorView* i64 = f.Find("i64");
  ASSERT_EQ(i64->dtype, DType::kI64);
  int64_t iv[3];
  std::memcpy(iv, i64->data, sizeof(iv));
  EXPECT_EQ(iv[0], 1);
  EXPECT_EQ(iv[1], -2);
  EXPECT_EQ(iv[2], int64_t{1} << 40);

  const TensorView* sc = f.Find("scalar");
  EXPECT_TRUE(sc->shape.empty());
  EXPECT_EQ(sc->numel(), 1);

  // Truncating the real file by one byte must be reported, not crash.
  {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    bytes.pop_back();
    auto t = SafetensorsFile::FromBuffer(bytes.data(), bytes.size(), "ref.safetensors");
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kCorruption);
  }
  std::remove(path.c_str());
  std::remove(script.c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace vidx
