// torch.save checkpoints (torch_checkpoint.h) on the files tools/make_torch_checkpoints.py
// writes from the tiny CLIP and SigLIP models: the twins give exactly the embeddings of the
// safetensors originals, hostile pickles are refused without running anything.
#include "indexer/model/torch_checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "indexer/model/checkpoint_hash.h"
#include "indexer/model/clip_encoder.h"
#include "indexer/model/siglip_embedder.h"

namespace vidx {
namespace {

const std::string kDir = VIDX_TORCH_CHECKPOINTS_DIR;
const std::string kClip = VIDX_TINY_MODELS_DIR;
const std::string kSiglip = VIDX_TINY_SIGLIP_DIR;

bool Exists(const std::string& p) { return std::ifstream(p).good(); }

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

EmbedderOptions Options(const std::string& dir) {
  EmbedderOptions o;
  o.model_dir = dir;
  o.key_map = BuiltinKeyMap("hf").value();
  return o;
}

ClipProbe ClipProbeOf(const std::string& dir, LoadReport* report, bool map_weights = false) {
  EmbedderOptions o = Options(dir);
  o.map_weights = map_weights;
  auto enc = ClipEncoder::Load(o, report);
  EXPECT_TRUE(enc.ok()) << dir << ": " << enc.status().ToString() << "\n" << report->ToString();
  if (!enc.ok()) return {};
  auto probe = (*enc)->Probe();
  EXPECT_TRUE(probe.ok()) << probe.status().ToString();
  return probe.ok() ? *probe : ClipProbe{};
}

bool BitEqual(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && !a.empty() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class TorchCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Exists(kDir + "/tiny_a_plain/pytorch_model.bin")) {
      GTEST_SKIP() << "torch.save fixtures missing: run through ctest (fixture "
                      "model_torch_checkpoints_fixture)";
    }
  }
};

TEST_F(TorchCheckpointTest, ClipTwinsGiveBitIdenticalEmbeddings) {
  for (const std::string model : {"tiny_a", "tiny_b"}) {
    LoadReport ref_report;
    const ClipProbe ref = ClipProbeOf(kClip + "/" + model, &ref_report);
    for (const std::string variant : {"plain", "nested", "module", "sharded"}) {
      SCOPED_TRACE(model + "_" + variant);
      LoadReport report;
      const ClipProbe got = ClipProbeOf(kDir + "/" + model + "_" + variant, &report);
      EXPECT_TRUE(BitEqual(ref.image, got.image));
      EXPECT_TRUE(BitEqual(ref.text, got.text));
      const std::string layout = Joined(report.layout);
      if (variant == "nested") {
        EXPECT_NE(layout.find("entry \"state_dict\""), std::string::npos) << layout;
        EXPECT_NE(layout.find("entries ignored: epoch, optimizer"), std::string::npos) << layout;
      } else if (variant == "module") {
        EXPECT_NE(layout.find("\"module.\""), std::string::npos) << layout;
      } else {
        EXPECT_TRUE(report.layout.empty()) << layout;
      }
      if (!report.layout.empty()) {
        EXPECT_NE(report.ToString().find("layout: "), std::string::npos);
      }
    }
  }
}

TEST_F(TorchCheckpointTest, AliasedTensorsPointIntoTheMapping) {
  LoadReport ref_report, report;
  const ClipProbe ref = ClipProbeOf(kClip + "/tiny_a", &ref_report);
  const ClipProbe got = ClipProbeOf(kDir + "/tiny_a_plain", &report, /*map_weights=*/true);
  EXPECT_TRUE(BitEqual(ref.image, got.image));
  EXPECT_TRUE(BitEqual(ref.text, got.text));
}

TEST_F(TorchCheckpointTest, SiglipTwinsGiveBitIdenticalEmbeddings) {
  LoadReport ref_report;
  auto ref = LoadSiglipEmbedder(Options(kSiglip + "/siglip_a"), &ref_report);
  if (!ref.ok() && ref.status().code() == StatusCode::kUnsupported) {
    GTEST_SKIP() << ref.status().ToString();  // SentencePiece is refused under sanitizers
  }
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  auto ref_probe = (*ref)->Probe();
  ASSERT_TRUE(ref_probe.ok());
  for (const std::string variant : {"plain", "nested", "module", "sharded"}) {
    SCOPED_TRACE(variant);
    LoadReport report;
    auto e = LoadSiglipEmbedder(Options(kDir + "/siglip_a_" + variant), &report);
    ASSERT_TRUE(e.ok()) << e.status().ToString() << "\n" << report.ToString();
    auto probe = (*e)->Probe();
    ASSERT_TRUE(probe.ok());
    EXPECT_TRUE(BitEqual(ref_probe->image, probe->image));
    EXPECT_TRUE(BitEqual(ref_probe->text, probe->text));
    EXPECT_EQ((*e)->checkpoint_files().size(), variant == "sharded" ? 2u : 1u);
  }
}

TEST_F(TorchCheckpointTest, ShardedIndexIsFoundAndHashedLikeSafetensorsShards) {
  auto files = ClipWeightFiles(Options(kDir + "/tiny_a_sharded"));
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_NE((*files)[0].find("pytorch_model-00001-of-00002.bin"), std::string::npos);
  auto hash = HashCheckpoint(*files, nullptr, false);
  ASSERT_TRUE(hash.ok());
  auto plain = HashCheckpoint({kDir + "/tiny_a_plain/pytorch_model.bin"}, nullptr, false);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(hash->sha256.size(), 64u);
  EXPECT_NE(hash->sha256, plain->sha256);
}

TEST_F(TorchCheckpointTest, HostilePicklesAreRefusedNamingTheGlobalAndNothingRuns) {
  const std::string markers = kDir + "/hostile/markers";
  ::unlink((markers + "/system_ran").c_str());
  ::unlink((markers + "/eval_ran").c_str());
  struct Case {
    const char* file;
    const char* global;
  };
  for (const Case& c : {Case{"system.pt", "posix.system"}, Case{"eval.pt", "__builtin__.eval"},
                        Case{"unknown_class.pt", "__main__.UserThing"}}) {
    SCOPED_TRACE(c.file);
    auto f = OpenCheckpointFile(kDir + "/hostile/" + c.file);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(f.status().message().find(c.global), std::string::npos) << f.status().ToString();
    EXPECT_NE(f.status().message().find(c.file), std::string::npos) << f.status().ToString();
    // Through the model loader as model.weights.
    EmbedderOptions o = Options(kClip + "/tiny_a");
    o.weights = kDir + "/hostile/" + c.file;
    LoadReport report;
    auto enc = ClipEncoder::Load(o, &report);
    ASSERT_FALSE(enc.ok());
    EXPECT_NE(enc.status().message().find(c.global), std::string::npos);
  }
  EXPECT_FALSE(Exists(markers + "/system_ran"));
  EXPECT_FALSE(Exists(markers + "/eval_ran"));
}

TEST_F(TorchCheckpointTest, LegacyFormatIsRefusedWithHowToConvert) {
  auto f = OpenCheckpointFile(kDir + "/hostile/legacy.bin");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(f.status().message().find("legacy format"), std::string::npos);
  EXPECT_NE(f.status().message().find("weights_only=True"), std::string::npos);
}

TEST_F(TorchCheckpointTest, ViewsParametersAndSharedStorageRead) {
  auto f = TorchCheckpointFile::Open(kDir + "/hostile/views.pt");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const auto& t = (*f)->tensors();
  ASSERT_EQ(t.size(), 3u);
  auto values = [](const TensorView& v) {
    std::vector<float> out(v.nbytes / 4);
    std::memcpy(out.data(), v.data, v.nbytes);
    return out;
  };
  EXPECT_EQ(t.at("a").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values(t.at("a")), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(values(t.at("b")), (std::vector<float>{6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(values(t.at("p")), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(t.at("p").dtype, DType::kF32);
}

TEST_F(TorchCheckpointTest, UnusableLayoutsAreRefusedWithTheReason) {
  struct Case {
    const char* file;
    const char* says;
  };
  for (const Case& c : {Case{"strided.pt", "not contiguous"},
                        Case{"two_state_dicts.pt", "several state dicts (model, state_dict)"},
                        Case{"no_tensors.pt", "holds no state dict"}}) {
    auto f = OpenCheckpointFile(kDir + "/hostile/" + c.file);
    ASSERT_FALSE(f.ok()) << c.file;
    EXPECT_EQ(f.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(f.status().message().find(c.says), std::string::npos) << f.status().ToString();
  }
}

TEST(TorchCheckpointBufferTest, SafetensorsWhoseFirstByteIs0x80IsNotMistakenForLegacy) {
  // A header of 128 bytes: the file starts with 0x80 like a pickle does.
  std::string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  header.resize(128, ' ');
  std::string file(8, '\0');
  file[0] = static_cast<char>(0x80);
  file += header + std::string(4, '\0');
  const std::string path = ::testing::TempDir() + "/first_byte_0x80.safetensors";
  std::ofstream(path, std::ios::binary) << file;
  auto f = OpenCheckpointFile(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->tensors().size(), 1u);
  EXPECT_FALSE(IsLegacyTorchFormat(reinterpret_cast<const uint8_t*>(file.data()), file.size()));
}

TEST(TorchCheckpointBufferTest, DamagedArchivesAreCorruption) {
  auto f = OpenCheckpointFile(kDir + "/tiny_a_plain/pytorch_model.bin");
  if (!f.ok()) GTEST_SKIP() << "fixtures missing";
  std::ifstream in(kDir + "/tiny_a_plain/pytorch_model.bin", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t cut : {size_t{10}, bytes.size() / 2, bytes.size() - 30}) {
    auto r = TorchCheckpointFile::FromBuffer(reinterpret_cast<const uint8_t*>(bytes.data()), cut,
                                             "cut.bin");
    EXPECT_FALSE(r.ok()) << cut;
  }
  std::string flipped = bytes;
  for (size_t i = 64; i < flipped.size(); i += 97)
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
  auto r = TorchCheckpointFile::FromBuffer(reinterpret_cast<const uint8_t*>(flipped.data()),
                                           flipped.size(), "flipped.bin");
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace vidx
