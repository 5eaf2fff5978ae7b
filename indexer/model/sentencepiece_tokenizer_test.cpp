#include "indexer/model/sentencepiece_tokenizer.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace vidx {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string FixtureDir() {
  const char* b = std::getenv("VIDX_BINARY_DIR");
  return std::string(b ? b : VIDX_TEST_BINARY_DIR) + "/spm_tokenizers";
}

// Written at test time by the spm_tokenizer_corpus fixture (tools/spm_reference.py).
const json& Expected() {
  static const json* doc = [] {
    std::ifstream in(FixtureDir() + "/expected.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return new json(json::parse(ss.str(), nullptr, false));
  }();
  return *doc;
}

bool HaveFixture(std::string* why) {
  if (Expected().is_discarded() || !Expected().is_object()) {
    *why = FixtureDir() +
           "/expected.json is missing or unreadable: the spm_tokenizer_corpus CTest fixture "
           "writes it with .venv/bin/python indexer/model/tools/spm_reference.py (run the "
           "tests through ctest)";
    return false;
  }
  return true;
}

// Only under ASan/TSan, whose runtimes refuse RTLD_DEEPBIND, is the module unavailable.
#define VIDX_SKIP_IF_SPM_UNSUPPORTED()                                               \
  do {                                                                               \
    const Status module = SentencePieceTokenizer::ModuleAvailable();                 \
    if (module.code() == StatusCode::kUnsupported) GTEST_SKIP() << module.message(); \
  } while (0)

std::string Ids(const std::vector<int32_t>& v) {
  std::string s;
  for (int32_t x : v) s += std::to_string(x) + " ";
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class SentencePieceParityTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SentencePieceParityTest, MatchesTransformersOnCorpus) {
  VIDX_SKIP_IF_SPM_UNSUPPORTED();
  std::string why;
  ASSERT_TRUE(HaveFixture(&why)) << why;
  const json& doc = Expected();
  const json& ref = doc["tokenizers"][GetParam()];
  const int context = doc["context_length"].get<int>();
  auto t = SentencePieceTokenizer::Open(FixtureDir() + "/" + ref["dir"].get<std::string>());
  ASSERT_TRUE(t.ok()) << t.status().message();
  const SentencePieceTokenizer& tok = **t;
  EXPECT_EQ(tok.rules(), ref["class"] == "SiglipTokenizer" ? SentencePieceTokenizer::Rules::kSiglip
                                                           : SentencePieceTokenizer::Rules::kGemma);
  const json& texts = doc["texts"];
  const std::vector<std::string> spellings = {"</s>", "<pad>", "<unk>", "<eos>", "<bos>"};
  size_t compared = 0, mismatches = 0, long_texts = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i].get<std::string>();
    const auto want = ref["ids"][i].get<std::vector<int32_t>>();
    const auto want_padded = ref["padded"][i].get<std::vector<int32_t>>();
    const std::vector<int32_t> got = tok.Tokenize(text);
    const std::vector<int32_t> got_padded = tok.Encode(text, context);
    ++compared;
    if (want.size() > static_cast<size_t>(context)) ++long_texts;
    if (got != want || got_padded != want_padded) {
      if (++mismatches <= 5) {
        ADD_FAILURE() << GetParam() << " case " << i << " text " << json(text).dump()
                      << "\n  got    " << Ids(got) << "\n  want   " << Ids(want) << "\n  padded "
                      << Ids(got_padded) << "\n  want   " << Ids(want_padded);
      }
    }
    // User text never yields a control id: only the BOS/EOS the rules add.
    std::vector<int32_t> body = got;
    if (tok.rules() == SentencePieceTokenizer::Rules::kGemma) {
      if (!body.empty() && tok.bos_id() >= 0 && body.front() == tok.bos_id())
        body.erase(body.begin());
    }
    if (!body.empty() && body.back() == tok.eos_id()) body.pop_back();
    for (int32_t id : body) {
      EXPECT_TRUE(id != tok.eos_id() && id != tok.pad_id() && id != tok.bos_id())
          << GetParam() << " case " << i << " yields control id " << id;
    }
  }
  // transformers' default differs only where the text spells a special token.
  size_t special_spellings = 0;
  for (auto it = ref["default_ids"].begin(); it != ref["default_ids"].end(); ++it) {
    const std::string text = Lower(texts[std::stoul(it.key())].get<std::string>());
    bool spelled = std::any_of(spellings.begin(), spellings.end(), [&](const std::string& s) {
      return text.find(s) != std::string::npos;
    });
    EXPECT_TRUE(spelled) << GetParam() << " differs from transformers' default on "
                         << json(text).dump();
    ++special_spellings;
  }
  std::cout << GetParam() << ": " << (compared - mismatches) << "/" << compared
            << " strings identical to transformers (unpadded and padded to " << context << "; "
            << long_texts << " past the limit); " << special_spellings
            << " of them spell a special token that transformers' default would make a control "
               "id\n";
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GE(compared, 2000u);
  EXPECT_GE(long_texts, 50u);
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, SentencePieceParityTest,
                         ::testing::Values("siglip_en", "siglip_mul", "gemma_mul",
                                           "gemma_mul_eos"));

TEST(SentencePieceTokenizerTest, RulesComeFromTheFiles) {
  VIDX_SKIP_IF_SPM_UNSUPPORTED();
  std::string why;
  ASSERT_TRUE(HaveFixture(&why)) << why;
  auto siglip = SentencePieceTokenizer::Open(FixtureDir() + "/siglip_en");
  ASSERT_TRUE(siglip.ok()) << siglip.status().message();
  EXPECT_EQ((*siglip)->model_max_length(), 64);
  EXPECT_EQ((*siglip)->eos_id(), 1);
  EXPECT_EQ((*siglip)->pad_id(), 1);  // SiglipTokenizer pads with </s>
  EXPECT_EQ((*siglip)->Tokenize("").size(), 1u);
  EXPECT_EQ((*siglip)->Tokenize("A Photo, of a CAT!"), (*siglip)->Tokenize("a photo of a cat"));
  auto gemma = SentencePieceTokenizer::Open(FixtureDir() + "/gemma_mul");
  ASSERT_TRUE(gemma.ok()) << gemma.status().message();
  EXPECT_EQ((*gemma)->bos_id(), 2);
  EXPECT_EQ((*gemma)->pad_id(), 0);
  EXPECT_EQ((*gemma)->Tokenize(""), std::vector<int32_t>{2});
  EXPECT_NE((*gemma)->Tokenize("Dog"), (*gemma)->Tokenize("dog"));  // no lower-casing
  auto eos = SentencePieceTokenizer::Open(FixtureDir() + "/gemma_mul_eos");
  ASSERT_TRUE(eos.ok()) << eos.status().message();
  std::vector<int32_t> padded = (*eos)->Encode("dog", 8);
  ASSERT_EQ(padded.size(), 8u);
  EXPECT_EQ(padded.front(), 0);  // padding_side: left
  EXPECT_EQ(padded.back(), 1);   // add_eos_token
  EXPECT_EQ((*eos)->Decode((*eos)->Tokenize("собака")), "собака");
}

class SentencePieceBrokenDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIDX_SKIP_IF_SPM_UNSUPPORTED();
    std::string why;
    if (!HaveFixture(&why)) GTEST_FAIL() << why;
    dir_ = fs::temp_directory_path() / ("vidx_spm_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy(FixtureDir() + "/siglip_en", dir_, fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Rewrite(const std::string& key, const json& value) {
    std::ifstream in(dir_ / "tokenizer_config.json");
    json cfg = json::parse(in);
    cfg[key] = value;
    std::ofstream(dir_ / "tokenizer_config.json") << cfg.dump();
  }
  fs::path dir_;
};

TEST_F(SentencePieceBrokenDirTest, MissingModelIsNotFound) {
  fs::remove(dir_ / "spiece.model");
  fs::remove(dir_ / "tokenizer_config.json");
  auto t = SentencePieceTokenizer::Open(dir_.string());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find("spiece.model"), std::string::npos);
}

TEST_F(SentencePieceBrokenDirTest, UnknownClassIsRefusedByName) {
  Rewrite("tokenizer_class", "T5Tokenizer");
  auto t = SentencePieceTokenizer::Open(dir_.string());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("tokenizer_config.json"), std::string::npos);
  EXPECT_NE(t.status().message().find("T5Tokenizer"), std::string::npos);
}

TEST_F(SentencePieceBrokenDirTest, SpecialTokenOutsideVocabularyIsCorruption) {
  Rewrite("pad_token", "<nope>");
  fs::remove(dir_ / "special_tokens_map.json");
  auto t = SentencePieceTokenizer::Open(dir_.string());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kCorruption);
  EXPECT_NE(t.status().message().find("<nope>"), std::string::npos);
}

TEST_F(SentencePieceBrokenDirTest, GarbageModelIsCorruption) {
  std::ofstream(dir_ / "spiece.model") << "not a model";
  auto t = SentencePieceTokenizer::Open(dir_.string());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kCorruption);
  EXPECT_NE(t.status().message().find("spiece.model"), std::string::npos);
}

TEST_F(SentencePieceBrokenDirTest, VocabularyLargerThanTheTowerIsRefused) {
  auto t = SentencePieceTokenizer::Open(dir_.string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  const int64_t n = (*t)->vocab_size();
  EXPECT_TRUE((*t)->CheckFitsTextTower(n, "config.json").ok());
  Status st = (*t)->CheckFitsTextTower(n - 1, "/m/config.json");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("/m/config.json"), std::string::npos);
  EXPECT_NE(st.message().find(std::to_string(n)), std::string::npos);
  EXPECT_NE(st.message().find(std::to_string(n - 1)), std::string::npos);
}

TEST(SentencePieceTokenizerTest, ModuleLoadsOrSaysWhy) {
  const Status st = SentencePieceTokenizer::ModuleAvailable();
  if (st.code() == StatusCode::kUnsupported) {
    EXPECT_NE(st.message().find("RTLD_DEEPBIND"), std::string::npos) << st.message();
    GTEST_SKIP() << st.message();
  }
  EXPECT_TRUE(st.ok()) << st.message();
  // libsentencepiece stays out of the global scope: nothing of it is visible by name.
  EXPECT_EQ(::dlsym(RTLD_DEFAULT, "_ZN13sentencepiece22SentencePieceProcessorC1Ev"), nullptr);
  EXPECT_EQ(::dlsym(RTLD_DEFAULT, "vidx_spm_load"), nullptr);
}

TEST(SentencePieceTokenizerTest, ConcurrentEncodeIsConsistent) {
  VIDX_SKIP_IF_SPM_UNSUPPORTED();
  std::string why;
  ASSERT_TRUE(HaveFixture(&why)) << why;
  auto t = SentencePieceTokenizer::Open(FixtureDir() + "/gemma_mul");
  ASSERT_TRUE(t.ok()) << t.status().message();
  const std::vector<int32_t> want = (*t)->Encode("a dog running on the beach 犬 собака", 64);
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < 200; ++i) {
        if ((*t)->Encode("a dog running on the beach 犬 собака", 64) != want) ++bad[k];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int b : bad) EXPECT_EQ(b, 0);
}

}  // namespace
}  // namespace vidx
