// The SigLIP family on a tiny SigLIP-2-style directory (the vidx_tiny_siglip2 fixture,
// tools/make_tiny_siglip2.py): a Gemma tokenizer.model trained on several languages, and a
// text tower whose token rows make "dog", "Hund", "犬" and "собака" one embedding and "cat"
// another. Also: the model verifies, reports its match calibration, and a changed vocabulary
// changes its description and fingerprint.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "indexer/model/embedder_registry.h"
#include "indexer/model/model_verifier.h"
#include "indexer/model/sentencepiece_tokenizer.h"
#include "indexer/model/sha256.h"

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

const std::string kRoot = VIDX_TINY_SIGLIP2_DIR;
const std::string kModel = kRoot + "/model";
const std::string kOtherVocab = kRoot + "/variants/other_vocab";

EmbedderOptions Options(const std::string& dir) {
  EmbedderOptions o;
  o.model_dir = dir;
  return o;
}

double Dot(const float* a, const float* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

class Siglip2EmbedderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status module = SentencePieceTokenizer::ModuleAvailable();
    if (module.code() == StatusCode::kUnsupported) GTEST_SKIP() << module.message();
    ASSERT_TRUE(std::ifstream(kRoot + "/STAMP").good())
        << "the tiny SigLIP 2 model is missing: run the tests through ctest (fixture "
           "model_tiny_siglip2_fixture) or .venv/bin/python "
           "indexer/model/tools/make_tiny_siglip2.py --out "
        << kRoot;
    LoadReport report;
    auto e = LoadEmbedder(Options(kModel), &report);
    ASSERT_TRUE(e.ok()) << e.status().ToString() << "\n" << report.ToString();
    embedder_ = std::move(e).value();
    std::ifstream in(kModel + "/ref/meta.json");
    meta_ = nlohmann::json::parse(in);
  }
  std::unique_ptr<Embedder> embedder_;
  nlohmann::json meta_;
};

TEST_F(Siglip2EmbedderTest, OneWordInFourLanguagesGivesOneVectorAndCatAnother) {
  EXPECT_EQ(embedder_->family(), "siglip");
  EXPECT_NE(embedder_->Describe().find("sentencepiece:gemma"), std::string::npos);
  const int dim = embedder_->dim();
  ASSERT_EQ(dim, 32);
  const std::vector<std::string> texts = {"dog", "Hund", "犬", "собака", "cat"};
  std::vector<float> v(texts.size() * dim);
  ASSERT_TRUE(
      embedder_->EmbedTexts(static_cast<int64_t>(texts.size()), texts.data(), v.data()).ok());
  const std::vector<float> dog(v.begin(), v.begin() + dim);
  for (size_t i = 1; i < 4; ++i) {
    const std::vector<float> w(v.begin() + i * dim, v.begin() + (i + 1) * dim);
    EXPECT_EQ(w, dog) << texts[i] << " embeds unlike dog";  // bit for bit
  }
  const double cat = Dot(v.data() + 4 * dim, dog.data(), dim);
  EXPECT_LT(cat, 0.99) << "cat embeds like dog";
  EXPECT_NEAR(Dot(dog.data(), dog.data(), dim), 1.0, 1e-5);
  // Each word is one piece plus EOS (no BOS: add_bos_token is false, as in SigLIP 2).
  for (const std::string& t : texts) {
    auto ids = embedder_->Tokenize(t);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(ids->size(), 2u) << t;
  }

  // And the same vectors as transformers' SiglipModel with GemmaTokenizer.
  std::ifstream in(kModel + "/ref/texts.json");
  ASSERT_EQ(nlohmann::json::parse(in).get<std::vector<std::string>>(), texts);
  const std::vector<float> want = ReadRaw<float>(kModel + "/ref/text_emb.f32");
  ASSERT_EQ(want.size(), v.size());
  double max_abs = 0;
  for (size_t i = 0; i < v.size(); ++i)
    max_abs = std::max(max_abs, std::fabs(double{v[i]} - want[i]));
  EXPECT_LE(max_abs, 1e-5);
  const std::vector<int64_t> ids = ReadRaw<int64_t>(kModel + "/ref/tok_ids.i64");
  auto dog_ids = embedder_->Tokenize("dog");
  ASSERT_TRUE(dog_ids.ok());
  EXPECT_EQ((*dog_ids)[0], ids[0]);
  EXPECT_EQ((*dog_ids)[1], ids[1]);
}

TEST_F(Siglip2EmbedderTest, TheMatchCalibrationIsTheCheckpoints) {
  std::optional<MatchCalibration> c = embedder_->match_calibration();
  ASSERT_TRUE(c);
  EXPECT_NEAR(c->logit_scale, meta_["logit_scale"].get<double>(), 1e-6);
  EXPECT_NEAR(c->logit_bias, meta_["logit_bias"].get<double>(), 1e-6);
  const double cosine = 0.3;
  EXPECT_NEAR(c->Probability(cosine),
              1 / (1 + std::exp(-(cosine * std::exp(c->logit_scale) + c->logit_bias))), 1e-12);
}

TEST_F(Siglip2EmbedderTest, ADifferentVocabularyChangesTheDescriptionAndTheFingerprint) {
  const std::string d = embedder_->Describe();
  StatusOr<std::string> sha = Sha256File(kModel + "/tokenizer.model");
  ASSERT_TRUE(sha.ok());
  EXPECT_NE(d.find("tokenizer.model=" + *sha), std::string::npos) << d;
  EXPECT_NE(d.find("tokenizer_config.json="), std::string::npos) << d;

  SamplingSettings sampling;
  ModelVerification a = VerifyModel(Options(kModel), sampling, nullptr, false);
  ASSERT_TRUE(a.ok) << a.error;
  EXPECT_TRUE(a.deterministic);
  ModelVerification b = VerifyModel(Options(kOtherVocab), sampling, nullptr, false);
  ASSERT_TRUE(b.ok) << b.error;
  // Same weights, same rules: only the tokenizer files differ.
  EXPECT_EQ(a.checkpoint_sha256, b.checkpoint_sha256);
  EXPECT_NE(b.embedder->Describe(), d);
  EXPECT_NE(a.fingerprint, b.fingerprint);
}

}  // namespace
}  // namespace vidx
