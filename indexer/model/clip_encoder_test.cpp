// ClipEncoder against transformers: parity on tiny random configs, OpenAI / open_clip layouts,
// strict-loading refusals with exact key names, dtype conversions, determinism.
#include "indexer/model/clip_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <thread>

#include "indexer/model/model_test_util.h"
#include "nlohmann/json.hpp"

namespace vidx {
namespace {

using testing_util::ReadRaw;
using testing_util::TinyModels;

struct Diff {
  double worst_cos = 1.0;
  double max_abs = 0.0;
};

Diff Compare(const std::vector<float>& a, const std::vector<float>& b, int dim) {
  Diff d;
  EXPECT_EQ(a.size(), b.size());
  if (a.size() != b.size() || dim <= 0) return {0.0, 1e9};
  for (size_t r = 0; r < a.size() / dim; ++r) {
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < dim; ++i) {
      const double x = a[r * dim + i], y = b[r * dim + i];
      dot += x * y;
      na += x * x;
      nb += y * y;
      d.max_abs = std::max(d.max_abs, std::fabs(x - y));
    }
    d.worst_cos = std::min(d.worst_cos, dot / std::sqrt(na * nb));
  }
  return d;
}

nlohmann::json Meta(const std::string& model) {
  std::ifstream in(TinyModels() + "/" + model + "/ref/meta.json");
  return nlohmann::json::parse(in);
}

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing_util::TinyModelsPresent()) FAIL() << testing_util::kNoTinyModels;
  }

  std::unique_ptr<ClipEncoder> MustLoad(const std::string& dir, const std::string& key_map = "hf",
                                        LoadReport* report = nullptr, bool map_weights = false) {
    ClipEncoderOptions o;
    o.model_dir = TinyModels() + "/" + dir;
    o.key_map = BuiltinKeyMap(key_map).value();
    o.map_weights = map_weights;
    LoadReport local;
    auto enc = ClipEncoder::Load(o, report ? report : &local);
    EXPECT_TRUE(enc.ok()) << enc.status().ToString() << "\n"
                          << (report ? report : &local)->ToString();
    return enc.ok() ? std::move(enc).value() : nullptr;
  }

  // Loading must fail; returns the report.
  LoadReport MustRefuse(const std::string& variant, bool map_weights = false) {
    ClipEncoderOptions o;
    o.model_dir = TinyModels() + "/variants/" + variant;
    o.map_weights = map_weights;
    LoadReport report;
    auto enc = ClipEncoder::Load(o, &report);
    EXPECT_FALSE(enc.ok()) << variant << " loaded but must be refused";
    if (!enc.ok()) {
      EXPECT_EQ(enc.status().code(), StatusCode::kFailedPrecondition) << enc.status().ToString();
    }
    EXPECT_FALSE(report.ok());
    return report;
  }

  // Image and text embeddings of `enc` vs the reference of model `ref`.
  Diff ParityAgainst(const ClipEncoder& enc, const std::string& ref) {
    const nlohmann::json meta = Meta(ref);
    const int dim = meta["dim"];
    const std::string r = TinyModels() + "/" + ref + "/ref/";
    std::vector<float> pixels = ReadRaw<float>(r + "pixels.f32");
    std::vector<int64_t> ids = ReadRaw<int64_t>(r + "ids.i64");
    std::vector<float> img, txt;
    EXPECT_TRUE(enc.EncodePixels(pixels.data(), meta["pixels"][0], &img).ok());
    Status s = enc.EncodeTokens(ids.data(), meta["ids"][0], meta["ids"][1], &txt);
    EXPECT_TRUE(s.ok()) << s.ToString();
    const Diff di = Compare(img, ReadRaw<float>(r + "image_emb.f32"), dim);
    const Diff dt = Compare(txt, ReadRaw<float>(r + "text_emb.f32"), dim);
    std::printf(
        "[parity %s] image: worst cos %.9f max abs %.3g | text: worst cos %.9f max abs %.3g\n",
        ref.c_str(), di.worst_cos, di.max_abs, dt.worst_cos, dt.max_abs);
    return {std::min(di.worst_cos, dt.worst_cos), std::max(di.max_abs, dt.max_abs)};
  }
};

class ParityTest : public ModelTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(ParityTest, MatchesTransformersFp32Cpu) {
  const std::string name = GetParam();
  LoadReport report;
  auto enc = MustLoad(name, "hf", &report);
  ASSERT_NE(enc, nullptr);
  EXPECT_TRUE(report.conversions.empty());
  const Diff d = ParityAgainst(*enc, name);
  EXPECT_GE(d.worst_cos, 0.99999);
  EXPECT_LE(d.max_abs, 1e-4);
}

TEST_P(ParityTest, ThroughPreprocessingMatchesClipImageProcessor) {
  const std::string name = GetParam();
  auto enc = MustLoad(name);
  ASSERT_NE(enc, nullptr);
  const nlohmann::json meta = Meta(name);
  const std::string r = TinyModels() + "/" + name + "/ref/";
  std::vector<uint8_t> rgb = ReadRaw<uint8_t>(r + "rgb.u8");
  std::vector<float> emb;
  Status s = enc->EncodeImages(rgb.data(), 1, meta["rgb"][0], meta["rgb"][1], &emb);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const Diff d = Compare(emb, ReadRaw<float>(r + "pp_image_emb.f32"), meta["dim"]);
  std::printf("[preprocess+image %s] cos %.9f max abs %.3g\n", name.c_str(), d.worst_cos,
              d.max_abs);
  // The resize reproduces Pillow bit for bit on these inputs (preprocess_test asserts the
  // pixels), so the embedding agrees as tightly as the fp32 parity above.
  EXPECT_GE(d.worst_cos, 0.99999);
  EXPECT_LE(d.max_abs, 1e-4);
}

// model.precision int8 (Linear layers dynamically quantized after the fp32 load) against the
// same fp32 references: every embedding within cosine 0.99; the worst is printed.
TEST_P(ParityTest, Int8AgreesWithTheFp32Reference) {
  const std::string name = GetParam();
  ClipEncoderOptions o;
  o.model_dir = TinyModels() + "/" + name;
  o.precision = "int8";
  LoadReport report;
  auto enc = ClipEncoder::Load(o, &report);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString() << "\n" << report.ToString();
  EXPECT_EQ((*enc)->precision(), "int8");
  EXPECT_NE((*enc)->Describe().find(";precision=int8;int8{"), std::string::npos);
  std::printf("[int8] ");
  const Diff d = ParityAgainst(**enc, name);
  EXPECT_GE(d.worst_cos, 0.99);
  EXPECT_LT(d.worst_cos, 0.9999999);  // quantized, not the float path
  auto a = (*enc)->Probe();
  auto b = (*enc)->Probe();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->image, b->image);  // bit-exact, as the verifier requires on the CPU
  EXPECT_EQ(a->text, b->text);
  // One activation range per call (linear_kernel.h): an image embedded alone and in its batch
  // differ a little, far less than int8 differs from fp32.
  const nlohmann::json meta = Meta(name);
  const int n = meta["pixels"][0], dim = meta["dim"];
  std::vector<float> pixels = ReadRaw<float>(TinyModels() + "/" + name + "/ref/pixels.f32");
  std::vector<float> batch, alone;
  ASSERT_TRUE((*enc)->EncodePixels(pixels.data(), n, &batch).ok());
  const size_t per_image = pixels.size() / static_cast<size_t>(n);
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE((*enc)->EncodePixels(pixels.data() + i * per_image, 1, &alone).ok());
  }
  const Diff d_batch = Compare(alone, batch, dim);
  std::printf("[int8 %s] alone vs in a batch of %d: worst cos %.9f\n", name.c_str(), n,
              d_batch.worst_cos);
  EXPECT_GE(d_batch.worst_cos, 0.999);
}

// One int8 model used from several threads at once (a search while the daemon indexes): every
// call gives the bits a call alone gives (linear_kernel.h: Apply may run concurrently).
TEST(Int8ThreadsTest, TwoThreadsGetWhatOneGets) {
  ClipEncoderOptions o;
  o.model_dir = TinyModels() + "/tiny_a";
  o.precision = "int8";
  o.threads = 1;
  LoadReport report;
  auto enc = ClipEncoder::Load(o, &report);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString() << "\n" << report.ToString();
  const nlohmann::json meta = Meta("tiny_a");
  const int n = meta["pixels"][0];
  const std::vector<float> pixels = ReadRaw<float>(TinyModels() + "/tiny_a/ref/pixels.f32");
  std::vector<float> want_images;
  ASSERT_TRUE((*enc)->EncodePixels(pixels.data(), n, &want_images).ok());
  auto want_probe = (*enc)->Probe();
  ASSERT_TRUE(want_probe.ok());
  std::atomic<int> mismatches{0}, failures{0};
  auto work = [&](bool images) {
    for (int i = 0; i < 30; ++i) {
      if (images) {
        std::vector<float> got;
        if (!(*enc)->EncodePixels(pixels.data(), n, &got).ok()) ++failures;
        if (got != want_images) ++mismatches;
      } else {
        auto got = (*enc)->Probe();
        if (!got.ok()) ++failures;
        if (got.ok() && (got->text != want_probe->text || got->image != want_probe->image)) {
          ++mismatches;
        }
      }
    }
  };
  std::thread a(work, true), b(work, false), c(work, true);
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(TinyConfigs, ParityTest, ::testing::Values("tiny_a", "tiny_b", "tiny_c"));

TEST_F(ModelTest, OpenAILayoutLoadsWithOpenAIKeyMap) {
  // Mapped weights too: transposed and q/k/v-split tensors are copied, the others aliased.
  for (bool map_weights : {false, true}) {
    auto enc = MustLoad("variants/layout_openai", "openai", nullptr, map_weights);
    ASSERT_NE(enc, nullptr);
    const Diff d = ParityAgainst(*enc, "tiny_a");
    EXPECT_GE(d.worst_cos, 0.99999);
    EXPECT_LE(d.max_abs, 1e-4);
  }
}

TEST_F(ModelTest, OpenClipLayoutLoadsWithOpenClipKeyMap) {
  auto enc = MustLoad("variants/layout_open_clip", "open_clip");
  ASSERT_NE(enc, nullptr);
  const Diff d = ParityAgainst(*enc, "tiny_b");
  EXPECT_GE(d.worst_cos, 0.99999);
  EXPECT_LE(d.max_abs, 1e-4);
}

TEST_F(ModelTest, OpenAILayoutIsRefusedWithHfKeyMap) {
  LoadReport report = MustRefuse("layout_openai");
  EXPECT_FALSE(report.missing.empty());
  EXPECT_NE(std::find(report.unexpected.begin(), report.unexpected.end(), "visual.proj"),
            report.unexpected.end());
}

TEST_F(ModelTest, RenamedKeyIsRefusedWithNearestSuggestion) {
  LoadReport r = MustRefuse("renamed");
  ASSERT_EQ(r.missing.size(), 1u);
  EXPECT_EQ(r.missing[0].key, "vision_model.encoder.layers.0.mlp.fc1.weight");
  EXPECT_EQ(r.missing[0].nearest, "vision_model.encoder.layers.0.mlp.fc_1.weight");
  EXPECT_EQ(r.unexpected,
            std::vector<std::string>{"vision_model.encoder.layers.0.mlp.fc_1.weight"});
  EXPECT_TRUE(r.mismatched.empty());
}

TEST_F(ModelTest, DroppedKeyIsRefused) {
  LoadReport r = MustRefuse("dropped");
  ASSERT_EQ(r.missing.size(), 1u);
  EXPECT_EQ(r.missing[0].key, "text_model.final_layer_norm.bias");
  EXPECT_FALSE(r.missing[0].nearest.empty());
  EXPECT_TRUE(r.unexpected.empty());
}

TEST_F(ModelTest, AddedKeyIsRefusedUnlessIgnored) {
  LoadReport r = MustRefuse("added");
  EXPECT_TRUE(r.missing.empty());
  EXPECT_EQ(r.unexpected, std::vector<std::string>{"vision_model.extra_head.weight"});

  ClipEncoderOptions o;
  o.model_dir = TinyModels() + "/variants/added";
  o.ignore_unexpected = {"vision_model.extra_*"};
  LoadReport ok_report;
  auto enc = ClipEncoder::Load(o, &ok_report);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  EXPECT_EQ(ok_report.ignored, std::vector<std::string>{"vision_model.extra_head.weight"});
}

TEST_F(ModelTest, ShapeMismatchIsRefused) {
  LoadReport r = MustRefuse("reshaped");
  ASSERT_EQ(r.mismatched.size(), 1u);
  EXPECT_EQ(r.mismatched[0].key, "text_projection.weight");
  EXPECT_EQ(r.mismatched[0].expected, "[16, 32]");
  EXPECT_EQ(r.mismatched[0].found, "[17, 32]");
  EXPECT_TRUE(r.missing.empty());
  EXPECT_TRUE(r.unexpected.empty());
}

TEST_F(ModelTest, CheckpointOfAnotherConfigurationIsRefused) {
  LoadReport r = MustRefuse("other_config");
  // tiny_a has 2 text layers and 2 vision layers; tiny_b 1 text layer and 3 vision layers.
  EXPECT_EQ(r.missing.size(), 16u);     // text layer 1: 4 linears + 2 norms + 2 mlp, weight+bias
  EXPECT_EQ(r.unexpected.size(), 16u);  // vision layer 2
  auto has_missing = [&](const std::string& k) {
    return std::any_of(r.missing.begin(), r.missing.end(), [&](const LoadReport::Missing& m) {
      return m.key == k && !m.nearest.empty();
    });
  };
  EXPECT_TRUE(has_missing("text_model.encoder.layers.1.self_attn.q_proj.weight"));
  EXPECT_NE(std::find(r.unexpected.begin(), r.unexpected.end(),
                      "vision_model.encoder.layers.2.mlp.fc1.weight"),
            r.unexpected.end());
  bool proj = false;
  for (const auto& m : r.mismatched) {
    if (m.key == "text_projection.weight") {
      proj = true;
      EXPECT_EQ(m.expected, "[16, 32]");
      EXPECT_EQ(m.found, "[24, 48]");
    }
  }
  EXPECT_TRUE(proj);
  EXPECT_GT(r.mismatched.size(), 20u);
}

TEST_F(ModelTest, NaNInCheckpointIsRefused) {
  LoadReport r = MustRefuse("nan");
  EXPECT_EQ(r.nan, std::vector<std::string>{"vision_model.pre_layrnorm.weight"});
  EXPECT_TRUE(r.missing.empty());
}

TEST_F(ModelTest, NaNInCheckpointIsRefusedWhenWeightsAreMapped) {
  LoadReport r = MustRefuse("nan", /*map_weights=*/true);
  EXPECT_EQ(r.nan, std::vector<std::string>{"vision_model.pre_layrnorm.weight"});
  EXPECT_TRUE(r.missing.empty());
}

// Weights aliasing the mapped checkpoint give the same bits as copied ones, and stay valid
// after Load() has released its SafetensorsFile (the tensors keep the mapping alive).
TEST_F(ModelTest, MappedWeightsGiveTheSameEmbeddingsAsCopiedOnes) {
  for (const std::string name : {"tiny_a", "tiny_b", "tiny_c"}) {
    auto copied = MustLoad(name);
    auto mapped = MustLoad(name, "hf", nullptr, /*map_weights=*/true);
    ASSERT_TRUE(copied && mapped);
    const nlohmann::json meta = Meta(name);
    const std::string r = TinyModels() + "/" + name + "/ref/";
    std::vector<float> pixels = ReadRaw<float>(r + "pixels.f32");
    std::vector<int64_t> ids = ReadRaw<int64_t>(r + "ids.i64");
    std::vector<float> img_c, img_m, txt_c, txt_m;
    ASSERT_TRUE(copied->EncodePixels(pixels.data(), meta["pixels"][0], &img_c).ok());
    ASSERT_TRUE(mapped->EncodePixels(pixels.data(), meta["pixels"][0], &img_m).ok());
    ASSERT_TRUE(copied->EncodeTokens(ids.data(), meta["ids"][0], meta["ids"][1], &txt_c).ok());
    ASSERT_TRUE(mapped->EncodeTokens(ids.data(), meta["ids"][0], meta["ids"][1], &txt_m).ok());
    EXPECT_EQ(img_c, img_m) << name;  // bit-identical
    EXPECT_EQ(txt_c, txt_m) << name;
    auto p_c = copied->Probe();
    auto p_m = mapped->Probe();
    ASSERT_TRUE(p_c.ok() && p_m.ok());
    EXPECT_EQ(p_c->image, p_m->image) << name;
    EXPECT_EQ(p_c->text, p_m->text) << name;
  }
  // Half-precision files cannot alias a float32 model: converted copies, as without mapping.
  LoadReport report;
  auto f16 = MustLoad("variants/f16", "hf", &report, /*map_weights=*/true);
  ASSERT_NE(f16, nullptr);
  EXPECT_GT(report.conversions.size(), 30u);
  EXPECT_GE(ParityAgainst(*f16, "tiny_a").worst_cos, 0.999);
}

TEST_F(ModelTest, HalfPrecisionCheckpointsLoadWithReportedConversions) {
  for (const std::string v : {"f16", "bf16"}) {
    LoadReport report;
    auto enc = MustLoad("variants/" + v, "hf", &report);
    ASSERT_NE(enc, nullptr);
    EXPECT_GT(report.conversions.size(), 30u);
    for (const auto& c : report.conversions) {
      EXPECT_EQ(c.from, v == "f16" ? "F16" : "BF16");
      EXPECT_EQ(c.to, "F32");
    }
    EXPECT_NE(report.ToString().find("converted"), std::string::npos);
    const Diff d = ParityAgainst(*enc, "tiny_a");  // rounded weights: close, not exact
    EXPECT_GE(d.worst_cos, 0.999);
  }
}

TEST_F(ModelTest, LegacyPositionIdsAreVerifiedAndDropped) {
  LoadReport report;
  auto enc = MustLoad("variants/legacy_position_ids", "hf", &report);
  ASSERT_NE(enc, nullptr);
  std::vector<std::string> dropped = report.legacy_dropped;
  std::sort(dropped.begin(), dropped.end());
  EXPECT_EQ(dropped, (std::vector<std::string>{"text_model.embeddings.position_ids",
                                               "vision_model.embeddings.position_ids"}));
  const Diff d = ParityAgainst(*enc, "tiny_a");
  EXPECT_GE(d.worst_cos, 0.99999);

  LoadReport bad = MustRefuse("bad_position_ids");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].find("vision_model.embeddings.position_ids"), std::string::npos);
  EXPECT_TRUE(bad.unexpected.empty());
}

TEST_F(ModelTest, DeterministicWithinProcess) {
  auto a = MustLoad("tiny_c");
  auto b = MustLoad("tiny_c");
  ASSERT_TRUE(a && b);
  auto p1 = a->Probe();
  auto p2 = a->Probe();
  auto p3 = b->Probe();
  ASSERT_TRUE(p1.ok() && p2.ok() && p3.ok());
  ASSERT_EQ(p1->image.size(), static_cast<size_t>(a->dim()));
  ASSERT_EQ(p1->text.size(), static_cast<size_t>(a->dim()));
  EXPECT_EQ(p1->image, p2->image);  // bit-identical
  EXPECT_EQ(p1->text, p2->text);
  EXPECT_EQ(p1->image, p3->image);
  EXPECT_EQ(p1->text, p3->text);
  EXPECT_NE(a->Describe().find("act=quick_gelu"), std::string::npos);
}

// The text tower stops at the batch's last end-of-text token: the same embeddings as running
// every position, for rows of any length, alone or batched with longer ones.
TEST_F(ModelTest, TextTowerStoppingAtEndOfTextMatchesFullLength) {
  for (const char* name : {"tiny_a", "tiny_b", "tiny_c"}) {
    auto enc = MustLoad(name);
    ASSERT_NE(enc, nullptr);
    const ClipTowerConfig& t = enc->config().text;
    const int len = enc->context_length();
    const int64_t vocab = t.vocab_size;
    const int64_t eos =
        (t.eos_token_id == 2 || t.eos_token_id >= vocab) ? vocab - 1 : t.eos_token_id;
    const int rows = 6;
    std::vector<int64_t> ids(static_cast<size_t>(rows) * len, 0);
    for (int r = 0; r < rows; ++r) {
      const int end = 1 + (r * 5) % (len - 1);  // end-of-text position, 1 .. len-1
      for (int i = 0; i < end; ++i) ids[r * len + i] = 1 + (r * 31 + i * 7) % (vocab - 2);
      ids[r * len + end] = eos;
    }
    std::vector<float> cut, full, alone;
    ASSERT_TRUE(enc->EncodeTokens(ids.data(), rows, len, &cut).ok());
    ASSERT_TRUE(
        enc->EncodeTokens(ids.data(), rows, len, &full, ClipEncoder::TextLength::kFull).ok());
    for (int r = 0; r < rows; ++r) {
      ASSERT_TRUE(enc->EncodeTokens(ids.data() + r * len, 1, len, &alone).ok());
    }
    const Diff d = Compare(cut, full, enc->dim());
    const Diff a = Compare(alone, full, enc->dim());
    std::printf("[end of text %s] batched: worst cos %.9f max abs %.3g | alone: %.9f %.3g\n", name,
                d.worst_cos, d.max_abs, a.worst_cos, a.max_abs);
    EXPECT_GE(d.worst_cos, 0.99999) << name;
    EXPECT_LE(d.max_abs, 1e-5) << name;
    EXPECT_GE(a.worst_cos, 0.99999) << name;
    EXPECT_LE(a.max_abs, 1e-5) << name;
  }
}

TEST_F(ModelTest, RejectsBadInputsAndOptions) {
  auto enc = MustLoad("tiny_a");
  ASSERT_NE(enc, nullptr);
  std::vector<float> out;
  std::vector<int64_t> ids(16, 5);
  ids[3] = 1000;  // vocab_size is 1000
  EXPECT_EQ(enc->EncodeTokens(ids.data(), 1, 16, &out).code(), StatusCode::kInvalidArgument);
  std::vector<int64_t> longer(17, 5);
  EXPECT_EQ(enc->EncodeTokens(longer.data(), 1, 17, &out).code(), StatusCode::kInvalidArgument);
  std::vector<uint8_t> img(10 * 10 * 3, 7);
  EXPECT_EQ(enc->EncodePreparedImages(img.data(), 1, 10, 10, &out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty());

  ClipEncoderOptions o;
  o.model_dir = TinyModels() + "/tiny_a";
  o.precision = "fp16";
  auto fp16 = ClipEncoder::Load(o, nullptr);
  EXPECT_EQ(fp16.status().code(), StatusCode::kUnsupported);
  o.precision = "fp32";
  o.model_dir = TinyModels() + "/no_such_model";
  auto missing = ClipEncoder::Load(o, nullptr);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no_such_model does not exist"), std::string::npos)
      << missing.status().message();
}

}  // namespace
}  // namespace vidx
