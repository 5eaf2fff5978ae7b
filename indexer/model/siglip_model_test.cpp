// SiglipModel against transformers 4.40: parity on three tiny random configs, strict-loading
// refusals naming the key, and the config and preprocessor files.
#include "indexer/model/siglip_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "indexer/model/embedder_registry.h"
#include "indexer/model/linear_kernel.h"
#include "indexer/model/safetensors.h"
#include "indexer/model/sentencepiece_tokenizer.h"
#include "indexer/model/siglip_config.h"
#include "indexer/model/strict_loader.h"

namespace vidx {
namespace {

template <typename T>
std::vector<T> ReadRaw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

std::string Tiny() { return VIDX_TINY_SIGLIP_DIR; }

bool Present() { return std::ifstream(Tiny() + "/STAMP").good(); }

constexpr char kMissing[] =
    "tiny SigLIP models are missing: run the tests through ctest (fixture "
    "model_tiny_siglip_fixture) or .venv/bin/python indexer/model/tools/make_tiny_siglip.py "
    "--out " VIDX_TINY_SIGLIP_DIR;

// Loads <dir> strictly; the model is null when loading failed (report and status say why).
SiglipModel Load(const std::string& dir, LoadReport* report, Status* status) {
  auto config = LoadSiglipConfig(dir);
  if (!config.ok()) {
    *status = config.status();
    return SiglipModel(nullptr);
  }
  auto file = SafetensorsFile::Open(dir + "/model.safetensors");
  if (!file.ok()) {
    *status = file.status();
    return SiglipModel(nullptr);
  }
  SiglipModel model(*config);
  model->eval();
  StrictLoadOptions options;
  options.key_map = BuiltinKeyMap("hf").value();
  *status = StrictLoad(*model, {file->get()}, options, report);
  return status->ok() ? model : SiglipModel(nullptr);
}

struct Diff {
  double worst_cos = 1.0;
  double max_abs = 0.0;
};

Diff Compare(const torch::Tensor& got, const std::vector<float>& want) {
  Diff d;
  const torch::Tensor w =
      torch::from_blob(const_cast<float*>(want.data()), {static_cast<int64_t>(want.size())})
          .view_as(got)
          .to(torch::kDouble);
  const torch::Tensor g = got.to(torch::kDouble);
  d.max_abs = (g - w).abs().max().item<double>();
  d.worst_cos = torch::cosine_similarity(g, w, -1).min().item<double>();
  return d;
}

// The fixture's reference inputs (dir/ref/: pixels, token ids, meta.json) embedded by `model`,
// against the embeddings transformers wrote next to them.
struct ReferenceComparison {
  Diff image, text;
  int64_t image_dim = 0;
  nlohmann::json meta;
};

ReferenceComparison CompareWithReference(SiglipModel& model, const std::string& dir) {
  ReferenceComparison r;
  std::ifstream in(dir + "/ref/meta.json");
  r.meta = nlohmann::json::parse(in);
  std::vector<float> pixels = ReadRaw<float>(dir + "/ref/pixels.f32");
  std::vector<int64_t> ids = ReadRaw<int64_t>(dir + "/ref/ids.i64");
  const auto ps = r.meta["pixels"].get<std::vector<int64_t>>();
  const auto is = r.meta["ids"].get<std::vector<int64_t>>();
  torch::Tensor img = model->EncodeImage(torch::from_blob(pixels.data(), ps));
  torch::Tensor txt = model->EncodeText(torch::from_blob(ids.data(), is, torch::kLong));
  r.image_dim = img.size(1);
  r.image = Compare(img, ReadRaw<float>(dir + "/ref/image_emb.f32"));
  r.text = Compare(txt, ReadRaw<float>(dir + "/ref/text_emb.f32"));
  return r;
}

class SiglipParityTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SiglipParityTest, MatchesTransformersFp32Cpu) {
  if (!Present()) FAIL() << kMissing;
  torch::NoGradGuard no_grad;
  const std::string dir = Tiny() + "/" + GetParam();
  LoadReport report;
  Status st;
  SiglipModel model = Load(dir, &report, &st);
  ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << report.ToString();
  const ReferenceComparison ref = CompareWithReference(model, dir);
  ASSERT_EQ(ref.image_dim, ref.meta["dim"].get<int64_t>());
  const Diff& di = ref.image;
  const Diff& dt = ref.text;
  std::printf(
      "[parity %s] image: worst cos %.9f max abs %.3g | text: worst cos %.9f max abs %.3g\n",
      GetParam(), di.worst_cos, di.max_abs, dt.worst_cos, dt.max_abs);
  EXPECT_GE(di.worst_cos, 0.99999);
  EXPECT_LE(di.max_abs, 1e-4);
  EXPECT_GE(dt.worst_cos, 0.99999);
  EXPECT_LE(dt.max_abs, 1e-4);
  EXPECT_NEAR(model->logit_scale(), ref.meta["logit_scale"].get<double>(), 1e-6);
  EXPECT_NEAR(model->logit_bias(), ref.meta["logit_bias"].get<double>(), 1e-6);
}

// Int8 Linear layers (QuantizeLinearLayers after the strict fp32 load, as the Embedder does for
// model.precision int8) against the same fp32 references: cosine >= 0.99 per embedding.
TEST_P(SiglipParityTest, Int8AgreesWithTheFp32Reference) {
  if (!Present()) FAIL() << kMissing;
  torch::NoGradGuard no_grad;
  const std::string dir = Tiny() + "/" + GetParam();
  LoadReport report;
  Status st;
  SiglipModel model = Load(dir, &report, &st);
  ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << report.ToString();
  int layers = 0;
  st = QuantizeLinearLayers(*model, &layers);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const SiglipConfig& c = model->config();
  // Per encoder layer q, k, v, out, fc1, fc2; the text head; the pooling head's packed
  // attention (one module), its out_proj, fc1 and fc2.
  EXPECT_EQ(layers, 6 * (c.text.num_hidden_layers + c.vision.num_hidden_layers) + 1 + 4);
  const ReferenceComparison ref = CompareWithReference(model, dir);
  const Diff& di = ref.image;
  const Diff& dt = ref.text;
  std::printf("[int8 %s] image: worst cos %.6f max abs %.3g | text: worst cos %.6f max abs %.3g\n",
              GetParam(), di.worst_cos, di.max_abs, dt.worst_cos, dt.max_abs);
  EXPECT_GE(di.worst_cos, 0.99);
  EXPECT_GE(dt.worst_cos, 0.99);
  EXPECT_GT(di.max_abs + dt.max_abs, 1e-6);  // quantized, not the float path
}

INSTANTIATE_TEST_SUITE_P(Tiny, SiglipParityTest,
                         ::testing::Values("siglip_a", "siglip_b", "siglip_c"));

class SiglipBrokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Present()) FAIL() << kMissing;
  }
  LoadReport MustRefuse(const std::string& variant) {
    LoadReport report;
    Status st;
    SiglipModel model = Load(Tiny() + "/variants/" + variant, &report, &st);
    EXPECT_FALSE(st.ok()) << variant << " loaded but must be refused";
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
    EXPECT_FALSE(report.ok());
    return report;
  }
};

TEST_F(SiglipBrokenTest, RenamedPoolingHeadKeyIsNamed) {
  LoadReport r = MustRefuse("renamed_head");
  ASSERT_EQ(r.missing.size(), 1u);
  EXPECT_EQ(r.missing[0].key, "vision_model.head.attention.in_proj_weight");
  EXPECT_EQ(r.missing[0].nearest, "vision_model.head.attn.in_proj_weight");
  EXPECT_EQ(r.unexpected, std::vector<std::string>{"vision_model.head.attn.in_proj_weight"});
}

TEST_F(SiglipBrokenTest, MissingLogitBiasIsNamed) {
  LoadReport r = MustRefuse("no_logit_bias");
  ASSERT_EQ(r.missing.size(), 1u);
  EXPECT_EQ(r.missing[0].key, "logit_bias");
  EXPECT_TRUE(r.unexpected.empty());
}

TEST_F(SiglipBrokenTest, ProbeOfTheWrongShapeIsNamed) {
  LoadReport r = MustRefuse("probe_shape");
  ASSERT_EQ(r.mismatched.size(), 1u);
  EXPECT_EQ(r.mismatched[0].key, "vision_model.head.probe");
  EXPECT_EQ(r.mismatched[0].expected, "[1, 1, 32]");
  EXPECT_EQ(r.mismatched[0].found, "[1, 2, 32]");
  EXPECT_TRUE(r.missing.empty());
}

class SiglipEmbedderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status module = SentencePieceTokenizer::ModuleAvailable();
    if (module.code() == StatusCode::kUnsupported) GTEST_SKIP() << module.message();
    if (!Present()) FAIL() << kMissing;
    dir_ = Tiny() + "/siglip_a";
    std::ifstream in(dir_ + "/ref/meta.json");
    meta_ = nlohmann::json::parse(in);
    EmbedderOptions o;
    o.model_dir = dir_;
    LoadReport report;
    auto e = LoadEmbedder(o, &report);
    ASSERT_TRUE(e.ok()) << e.status().ToString() << "\n" << report.ToString();
    embedder_ = std::move(e).value();
  }
  std::string dir_;
  nlohmann::json meta_;
  std::unique_ptr<Embedder> embedder_;
};

TEST_F(SiglipEmbedderTest, RegistryLoadsTheFamilyWithExactResizePreprocessing) {
  EXPECT_EQ(embedder_->family(), "siglip");
  EXPECT_EQ(embedder_->dim(), 32);
  const ImagePreprocessSpec& in = embedder_->image_input();
  EXPECT_EQ(in.height, 32);
  EXPECT_EQ(in.width, 32);
  EXPECT_EQ(in.resize, ImagePreprocessSpec::Resize::kExact);
  EXPECT_EQ(in.resize_height, 32);
  EXPECT_FALSE(in.center_crop);
  EXPECT_DOUBLE_EQ(in.mean[0], 0.5);
  EXPECT_NE(embedder_->Describe().find("sentencepiece:siglip"), std::string::npos);
}

TEST_F(SiglipEmbedderTest, TextsThroughTheTokenizerMatchTransformers) {
  std::ifstream in(dir_ + "/ref/texts.json");
  const auto texts = nlohmann::json::parse(in).get<std::vector<std::string>>();
  std::vector<float> got(texts.size() * 32);
  ASSERT_TRUE(
      embedder_->EmbedTexts(static_cast<int64_t>(texts.size()), texts.data(), got.data()).ok());
  const Diff d = Compare(torch::from_blob(got.data(), {static_cast<int64_t>(texts.size()), 32}),
                         ReadRaw<float>(dir_ + "/ref/tok_text_emb.f32"));
  std::printf("[siglip embedder texts] worst cos %.9f max abs %.3g\n", d.worst_cos, d.max_abs);
  EXPECT_GE(d.worst_cos, 0.99999);
  EXPECT_LE(d.max_abs, 1e-4);
  const std::vector<int64_t> ids = ReadRaw<int64_t>(dir_ + "/ref/tok_ids.i64");
  auto tokens = embedder_->Tokenize(texts[0]);
  ASSERT_TRUE(tokens.ok());
  for (size_t i = 0; i < tokens->size(); ++i) EXPECT_EQ((*tokens)[i], ids[i]) << i;
}

TEST_F(SiglipEmbedderTest, ImagesThroughPreprocessingMatchSiglipImageProcessor) {
  const auto shape = meta_["rgb"].get<std::vector<int>>();
  std::vector<uint8_t> rgb = ReadRaw<uint8_t>(dir_ + "/ref/rgb.u8");
  std::vector<float> got(32);
  ASSERT_TRUE(embedder_->EmbedImages(1, shape[0], shape[1], rgb.data(), got.data()).ok());
  const Diff d = Compare(torch::from_blob(got.data(), {1, 32}),
                         ReadRaw<float>(dir_ + "/ref/pp_image_emb.f32"));
  std::printf("[siglip embedder image] worst cos %.9f max abs %.3g\n", d.worst_cos, d.max_abs);
  EXPECT_GE(d.worst_cos, 0.99999);
  EXPECT_LE(d.max_abs, 1e-4);
}

TEST_F(SiglipEmbedderTest, ProbeIsDeterministic) {
  auto a = embedder_->Probe();
  auto b = embedder_->Probe();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->image, b->image);
  EXPECT_EQ(a->text, b->text);
  EXPECT_EQ(a->image.size(), 32u);
}

TEST(SiglipConfigTest, DefaultsAreTransformers) {
  auto c = ParseSiglipConfig(R"({"model_type": "siglip", "text_config": {},
                                 "vision_config": {"image_size": 384}})",
                             "/m/config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->text.vocab_size, 32000);
  EXPECT_EQ(c->text.max_position_embeddings, 64);
  EXPECT_EQ(c->vision.image_size, 384);
  EXPECT_EQ(c->vision.patch_size, 16);
  EXPECT_EQ(c->vision.hidden_act, Activation::kGeluTanh);
  EXPECT_DOUBLE_EQ(c->vision.layer_norm_eps, 1e-6);
  EXPECT_EQ(c->dim(), 768);
  EXPECT_NE(std::find(c->defaulted.begin(), c->defaulted.end(), "text_config.vocab_size=32000"),
            c->defaulted.end());
}

TEST(SiglipConfigTest, RefusesOtherFamiliesAndBadFields) {
  auto clip = ParseSiglipConfig(R"({"model_type": "clip", "text_config": {},
                                    "vision_config": {}})",
                                "/m/config.json");
  ASSERT_FALSE(clip.ok());
  EXPECT_NE(clip.status().message().find("/m/config.json"), std::string::npos);
  EXPECT_NE(clip.status().message().find("\"clip\""), std::string::npos);
  auto act = ParseSiglipConfig(R"({"model_type": "siglip", "text_config": {"hidden_act": "relu"},
                                   "vision_config": {}})",
                               "/m/config.json");
  ASSERT_FALSE(act.ok());
  EXPECT_NE(act.status().message().find("text_config.hidden_act"), std::string::npos);
  auto patch = ParseSiglipConfig(R"({"model_type": "siglip", "text_config": {},
                                     "vision_config": {"image_size": 30, "patch_size": 16}})",
                                 "/m/config.json");
  ASSERT_FALSE(patch.ok());
  EXPECT_NE(patch.status().message().find("patch_size"), std::string::npos);
}

TEST(SiglipConfigTest, PreprocessingIsAnExactResizeWithoutCrop) {
  ClipTowerConfig vision;
  vision.image_size = 256;
  auto p = ParseSiglipPreprocessConfig(
      R"({"image_processor_type": "SiglipImageProcessor", "size": {"height": 256, "width": 256}})",
      "/m/preprocessor_config.json", vision);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->do_center_crop);
  EXPECT_EQ(p->resize_height, 256);
  EXPECT_EQ(p->resize_width, 256);
  EXPECT_EQ(p->output_height(), 256);
  EXPECT_EQ(p->resample, 3);
  EXPECT_DOUBLE_EQ(p->image_mean[1], 0.5);
  EXPECT_DOUBLE_EQ(p->image_std[2], 0.5);
  EXPECT_DOUBLE_EQ(p->rescale_factor, 1.0 / 255.0);
  auto crop = ParseSiglipPreprocessConfig(R"({"do_center_crop": true})",
                                          "/m/preprocessor_config.json", vision);
  ASSERT_FALSE(crop.ok());
  EXPECT_NE(crop.status().message().find("do_center_crop"), std::string::npos);
}

}  // namespace
}  // namespace vidx
