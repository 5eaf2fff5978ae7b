// The model-family registry and the CLIP Embedder, on the committed demo model (models/demo:
// a small CLIP with its Hugging Face tokenizer).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "indexer/model/embedder_registry.h"
#include "indexer/model/fingerprint.h"
#include "indexer/model/model_verifier.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

const std::string kDemo = std::string(VIDX_SOURCE_DIR) + "/models/demo";

class TempModelDir {
 public:
  explicit TempModelDir(const std::string& config_json) {
    dir_ = fs::temp_directory_path() /
           ("vidx_embedder_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (!config_json.empty()) std::ofstream(dir_ / "config.json") << config_json;
  }
  ~TempModelDir() { fs::remove_all(dir_); }
  std::string path() const { return dir_.string(); }

 private:
  fs::path dir_;
};

EmbedderOptions Options(const std::string& dir) {
  EmbedderOptions o;
  o.model_dir = dir;
  o.device = "cpu";
  o.precision = "fp32";
  return o;
}

TEST(EmbedderRegistryTest, AnUnknownFamilyIsRefusedNamingTheFileAndTheValue) {
  TempModelDir dir(R"({"model_type": "blip", "text_config": {}, "vision_config": {}})");
  StatusOr<std::unique_ptr<Embedder>> e = LoadEmbedder(Options(dir.path()), nullptr);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(e.status().message(), dir.path() +
                                      "/config.json: model_type \"blip\" is not a "
                                      "supported model family (supported: clip, siglip)");
}

TEST(EmbedderRegistryTest, ModelTypeIsReadFromConfigJson) {
  EXPECT_EQ(*ReadModelType(kDemo), "clip");
  TempModelDir absent(R"({"text_config": {}, "vision_config": {}})");
  EXPECT_EQ(*ReadModelType(absent.path()), "clip");  // older CLIP exports omit it
  TempModelDir number(R"({"model_type": 7})");
  EXPECT_EQ(ReadModelType(number.path()).status().code(), StatusCode::kInvalidArgument);
  TempModelDir broken("{not json");
  EXPECT_EQ(ReadModelType(broken.path()).status().code(), StatusCode::kInvalidArgument);
  TempModelDir empty("");
  StatusOr<std::string> missing = ReadModelType(empty.path());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("config.json"), std::string::npos);
  EXPECT_EQ(ReadModelType(empty.path() + "/nope").status().code(), StatusCode::kNotFound);
  ASSERT_FALSE(EmbedderFamilies().empty());
  EXPECT_STREQ(EmbedderFamilies()[0].model_type, "clip");
}

TEST(ClipEmbedderTest, DemoModelEmbedsTextsAndImagesNormalised) {
  LoadReport report;
  StatusOr<std::unique_ptr<Embedder>> loaded = LoadEmbedder(Options(kDemo), &report);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Embedder& e = **loaded;
  EXPECT_EQ(e.family(), "clip");
  EXPECT_EQ(e.checkpoint_files(), std::vector<std::string>{kDemo + "/model.safetensors"});
  const ImagePreprocessSpec& in = e.image_input();
  ASSERT_GT(in.height, 0);
  EXPECT_EQ(in.height, in.width);
  const size_t dim = static_cast<size_t>(e.dim());

  // A batch of texts gives the same vectors as the texts one by one.
  const std::vector<std::string> texts = {"a red car", "a dog on a beach"};
  std::vector<float> both(2 * dim), first(dim);
  ASSERT_TRUE(e.EmbedTexts(2, texts.data(), both.data()).ok());
  ASSERT_TRUE(e.EmbedTexts(1, texts.data(), first.data()).ok());
  double norm = 0;
  for (size_t i = 0; i < dim; ++i) {
    EXPECT_NEAR(both[i], first[i], 1e-5) << i;
    norm += static_cast<double>(first[i]) * first[i];
  }
  EXPECT_NEAR(norm, 1.0, 1e-4);

  // Prepared frames equal arbitrary-size images that need no resize.
  std::vector<uint8_t> rgb(static_cast<size_t>(in.height) * in.width * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 31) % 251);
  std::vector<float> prepared(dim), image(dim);
  if (in.resize != ImagePreprocessSpec::Resize::kShortestEdge || in.shortest_edge == in.height) {
    ASSERT_TRUE(e.EmbedPreparedImages(1, rgb.data(), prepared.data()).ok());
    ASSERT_TRUE(e.EmbedImages(1, in.height, in.width, rgb.data(), image.data()).ok());
    for (size_t i = 0; i < dim; ++i) EXPECT_NEAR(prepared[i], image[i], 1e-5) << i;
  }
  EXPECT_EQ(e.EmbedTexts(0, texts.data(), both.data()).code(), StatusCode::kInvalidArgument);

  StatusOr<std::vector<int32_t>> ids = e.Tokenize("a photo of a cat");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{577, 353, 112, 104, 111, 116, 367, 111, 358, 353, 99, 97,
                                        372, 578}));
}

// The demo model's fingerprints, pinned so that a change to what they cover is deliberate.
// They last changed when kPipelineVersion became 2 (frames resized by the model's own
// preprocessing) and the description gained the sha256 of the tokenizer files: catalogs built
// before reindex once.
TEST(ClipEmbedderTest, DemoFingerprintIsPinned) {
  SamplingSettings defaults;
  ModelVerification v = VerifyModel(Options(kDemo), defaults, nullptr, false);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.checkpoint_sha256,
            "dc1dd369ebe86f635d66443ceb817b61116cfa5aeb5f5c4e4e54c91a89f0e352");
  EXPECT_EQ(v.fingerprint, "782529b91a39055fc94e32f62e2b44fa993a5403dec38c3378f573795ce93005");
  SamplingSettings other;
  other.fps = 1;
  other.clip_frames = 4;
  other.keyframe_tolerance = 0.25;
  ModelVerification w = VerifyModel(Options(kDemo), other, nullptr, false);
  ASSERT_TRUE(w.ok) << w.error;
  EXPECT_EQ(w.fingerprint, "948ad23bc1db4358f1e49c99b3ce182a5da8c4a37529958b4b8780515cc39989");
  EXPECT_TRUE(v.deterministic);
  ASSERT_NE(v.embedder, nullptr);
  EXPECT_EQ(v.probe.image.size(), static_cast<size_t>(v.embedder->dim()));
}

// model.precision int8: VerifyModel loads the float weights strictly, quantizes, runs the
// determinism probe on the int8 model (bit-exact on the CPU) and gives another fingerprint; the
// embeddings stay close to fp32's. The fp32 fingerprint is the pinned one above.
TEST(ClipEmbedderTest, Int8IsVerifiedDeterministicAndHasItsOwnFingerprint) {
  SamplingSettings defaults;
  ModelVerification fp32 = VerifyModel(Options(kDemo), defaults, nullptr, false);
  ASSERT_TRUE(fp32.ok) << fp32.error;
  EmbedderOptions o = Options(kDemo);
  o.precision = "int8";
  ModelVerification int8 = VerifyModel(o, defaults, nullptr, false);
  ASSERT_TRUE(int8.ok) << int8.error;
  EXPECT_TRUE(int8.deterministic);
  EXPECT_EQ(int8.embedder->precision(), "int8");
  EXPECT_EQ(int8.checkpoint_sha256, fp32.checkpoint_sha256);
  EXPECT_NE(int8.fingerprint, fp32.fingerprint);
  EXPECT_EQ(fp32.fingerprint, "782529b91a39055fc94e32f62e2b44fa993a5403dec38c3378f573795ce93005");
  EXPECT_NE(int8.embedder->Describe().find(";precision=int8;int8{"), std::string::npos);
  EXPECT_NE(int8.probe.image, fp32.probe.image);  // really quantized
  const double image = Cosine(int8.probe.image, fp32.probe.image);
  const double text = Cosine(int8.probe.text, fp32.probe.text);
  std::printf("[int8 demo probe] cosine to fp32: image %.6f, text %.6f\n", image, text);
  EXPECT_GE(image, 0.99);
  EXPECT_GE(text, 0.99);
  // Auto device means the CPU for int8; an explicit CUDA device is refused naming the key.
  o.device = "auto";
  StatusOr<std::unique_ptr<Embedder>> on_auto = LoadEmbedder(o, nullptr);
  ASSERT_TRUE(on_auto.ok()) << on_auto.status().ToString();
  EXPECT_EQ((*on_auto)->device(), "cpu");
  o.device = "cuda";
  StatusOr<std::unique_ptr<Embedder>> on_cuda = LoadEmbedder(o, nullptr);
  ASSERT_FALSE(on_cuda.ok());
  EXPECT_EQ(on_cuda.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(on_cuda.status().message(),
            "model.precision int8 runs on the CPU only, but model.device is cuda (use fp16 or "
            "bf16 on CUDA)");
}

// The tokenizer files are part of the description: two ids swapped in vocab.json (same size,
// same weights) give another fingerprint.
TEST(ClipEmbedderTest, AChangedVocabularyChangesTheFingerprint) {
  TempModelDir dir("");
  for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json",
                        "vocab.json", "merges.txt"}) {
    fs::copy_file(fs::path(kDemo) / f, fs::path(dir.path()) / f);
  }
  SamplingSettings defaults;
  ModelVerification before = VerifyModel(Options(dir.path()), defaults, nullptr, false);
  ASSERT_TRUE(before.ok) << before.error;
  const std::string description = before.embedder->Describe();
  EXPECT_NE(description.find("tokenizer_files{vocab.json="), std::string::npos) << description;
  EXPECT_NE(description.find(",merges.txt="), std::string::npos) << description;

  nlohmann::json vocab;
  {
    std::ifstream in(dir.path() + "/vocab.json");
    vocab = nlohmann::json::parse(in);
  }
  const nlohmann::json a = vocab["a</w>"], b = vocab["b</w>"];
  ASSERT_TRUE(a.is_number() && b.is_number());
  vocab["a</w>"] = b;
  vocab["b</w>"] = a;
  std::ofstream(dir.path() + "/vocab.json") << vocab.dump();
  ModelVerification after = VerifyModel(Options(dir.path()), defaults, nullptr, false);
  ASSERT_TRUE(after.ok) << after.error;
  EXPECT_EQ(after.checkpoint_sha256, before.checkpoint_sha256);
  EXPECT_NE(after.embedder->Describe(), description);
  EXPECT_NE(after.fingerprint, before.fingerprint);
}

}  // namespace
}  // namespace vidx
