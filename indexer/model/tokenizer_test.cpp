#include "indexer/model/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "indexer/model/text_clean.h"
#include "indexer/model/unicode_text.h"

namespace vidx {
namespace {

const char kBpe[] = "../shared/data/clip/bpe_simple_vocab_16e6.txt.gz";

std::string BinaryDir() {
  const char* b = std::getenv("VIDX_BINARY_DIR");
  return b ? b : VIDX_TEST_BINARY_DIR;
}

std::unique_ptr<Tokenizer> LoadOpenAi() {
  auto t = Tokenizer::FromOpenAiVocab(kBpe);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : nullptr;
}

TEST(TokenizerTest, KnownIds) {
  auto t = LoadOpenAi();
  ASSERT_NE(t, nullptr);
  std::vector<int32_t> ids = t->Encode("a photo of a cat");
  ASSERT_EQ(ids.size(), 77u);
  std::vector<int32_t> head(ids.begin(), ids.begin() + 8);
  EXPECT_EQ(head, (std::vector<int32_t>{49406, 320, 1125, 539, 320, 2368, 49407, 0}));
  EXPECT_EQ(t->EncodeUnpadded("a photo of a cat"),
            (std::vector<int32_t>{320, 1125, 539, 320, 2368}));
  EXPECT_EQ(t->sot_id(), 49406);
  EXPECT_EQ(t->eot_id(), 49407);
  EXPECT_EQ(t->Decode(t->EncodeUnpadded("A Photo of a CAT!")), "a photo of a cat ! ");
}

TEST(TokenizerTest, TruncationKeepsEotLast) {
  auto t = LoadOpenAi();
  ASSERT_NE(t, nullptr);
  std::string many;
  for (int i = 0; i < 100; ++i) many += "cat ";
  std::vector<int32_t> ids = t->Encode(many, 77);
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids.front(), 49406);
  EXPECT_EQ(ids.back(), 49407);
  EXPECT_EQ(ids[75], 2368);
  std::vector<int32_t> short_ids = t->Encode("cat cat cat", 4);
  EXPECT_EQ(short_ids, (std::vector<int32_t>{49406, 2368, 2368, 49407}));
  EXPECT_EQ(t->Encode("", 5), (std::vector<int32_t>{49406, 49407, 0, 0, 0}));
}

TEST(TokenizerTest, ConcurrentEncodeIsConsistent) {
  auto t = LoadOpenAi();
  ASSERT_NE(t, nullptr);
  const std::vector<int32_t> want = t->Encode("a dog running on a beach at sunset");
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < 200; ++i) {
        if (t->Encode("a dog running on a beach at sunset") != want) ++bad[k];
        (void)t->Encode("word" + std::to_string(i * 7 + k));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int b : bad) EXPECT_EQ(b, 0);
}

TEST(TokenizerTest, MissingVocabIsNotFound) {
  auto t = Tokenizer::FromOpenAiVocab("/nonexistent/bpe.txt.gz");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
}

struct Corpus {
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> ids;
  std::vector<bool> mojibake;
  std::vector<bool> control;
  std::vector<std::pair<std::string, std::string>> ftfy;  // text, ftfy.fix_text(text)
};

// Written at test time by the tokenizer_corpus fixture (tools/tokenizer_reference.py run with
// the Python reference environment, open_clip's SimpleTokenizer and ftfy).
bool LoadCorpus(Corpus* c, std::string* err) {
  std::string path = BinaryDir() + "/tokenizer_corpus.json";
  std::ifstream in(path);
  if (!in) {
    *err = path +
           " is missing: the tokenizer_corpus CTest fixture writes it with "
           ".venv/bin/python indexer/model/tools/tokenizer_reference.py (the Python reference "
           "environment is "
           "required; run the tests through ctest)";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) {
    *err = path + " is not valid JSON";
    return false;
  }
  for (const auto& e : j["cases"]) {
    c->texts.push_back(e["text"].get<std::string>());
    c->ids.push_back(e["ids"].get<std::vector<int32_t>>());
    c->mojibake.push_back(e["mojibake"].get<bool>());
    c->control.push_back(e["control"].get<bool>());
  }
  for (const auto& e : j["ftfy"])
    c->ftfy.emplace_back(e["text"].get<std::string>(), e["fixed"].get<std::string>());
  return true;
}

// Every string must give open_clip's ids; the few where open_clip turns its own special-token
// names into control ids give the ids of the same pre-token encoded as text (see tokenizer.h).
void CheckParity(const Tokenizer& t, const Corpus& c) {
  size_t mismatches = 0, mojibake = 0, control = 0;
  for (size_t i = 0; i < c.texts.size(); ++i) {
    std::vector<int32_t> got = t.Encode(c.texts[i], 77);
    if (c.mojibake[i]) ++mojibake;
    if (c.control[i]) ++control;
    if (got != c.ids[i]) {
      if (++mismatches <= 5) {
        std::string g, w;
        for (int32_t x : got) g += std::to_string(x) + " ";
        for (int32_t x : c.ids[i]) w += std::to_string(x) + " ";
        ADD_FAILURE() << "case " << i << " text " << nlohmann::json(c.texts[i]).dump()
                      << "\n  got  " << g << "\n  want " << w;
      }
    }
    // sot first, eot once: user text never yields either.
    EXPECT_EQ(std::count(got.begin(), got.end(), t.sot_id()), 1) << "case " << i;
    EXPECT_EQ(std::count(got.begin(), got.end(), t.eot_id()), 1) << "case " << i;
  }
  std::cout << "tokenizer parity: " << (c.texts.size() - mismatches) << "/" << c.texts.size()
            << " identical, of which " << mojibake << " need ftfy's mojibake repair and " << control
            << " spell open_clip's special-token names (text here, control ids in "
            << "open_clip)\n";
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GE(c.texts.size(), 2000u);
  EXPECT_GE(mojibake, 100u);
}

TEST(TokenizerParityTest, MatchesOpenClipOnCorpus) {
  Corpus c;
  std::string err;
  ASSERT_TRUE(LoadCorpus(&c, &err)) << err;
  auto t = LoadOpenAi();
  ASSERT_NE(t, nullptr);
  CheckParity(*t, c);
}

TEST(TokenizerParityTest, HfVocabGivesSameIds) {
  Corpus c;
  std::string err;
  ASSERT_TRUE(LoadCorpus(&c, &err)) << err;
  std::string dir = BinaryDir() + "/tokenizer_hf";
  auto t = Tokenizer::FromHfFiles(dir + "/vocab.json", dir + "/merges.txt");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ((*t)->sot_id(), 49406);
  EXPECT_EQ((*t)->eot_id(), 49407);
  CheckParity(**t, c);
  EXPECT_NE((*t)->Encode("<|startoftext|>dog")[1], 49406);
}

TEST(TokenizerParityTest, FtfyFixTextMatchesOnMojibakeCorpus) {
  Corpus c;
  std::string err;
  ASSERT_TRUE(LoadCorpus(&c, &err)) << err;
  size_t mismatches = 0, changed = 0;
  for (const auto& [text, want] : c.ftfy) {
    std::string got = unicode::EncodeUtf8(FtfyFixText(unicode::DecodeUtf8(text)));
    if (want != text) ++changed;
    if (got != want && ++mismatches <= 10) {
      ADD_FAILURE() << "text " << nlohmann::json(text).dump() << "\n  got  "
                    << nlohmann::json(got).dump() << "\n  want " << nlohmann::json(want).dump();
    }
  }
  std::cout << "ftfy parity: " << (c.ftfy.size() - mismatches) << "/" << c.ftfy.size()
            << " identical to ftfy.fix_text (" << changed << " changed by it)\n";
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GE(c.ftfy.size(), 2000u);
}

TEST(TokenizerTest, SpecialTokenSpellingsStayText) {
  auto t = LoadOpenAi();
  ASSERT_NE(t, nullptr);
  // open_clip 2.24: "a <|endoftext|> b" -> a, <, |, endof, text, |, >, b.
  EXPECT_EQ(t->EncodeUnpadded("a <|endoftext|> b"),
            (std::vector<int32_t>{320, 27, 347, 40786, 4160, 91, 285, 321}));
  for (const char* s : {"<start_of_text>", "<end_of_text>", "<|startoftext|>", "<|endoftext|>"}) {
    std::vector<int32_t> ids = t->EncodeUnpadded(s);
    EXPECT_FALSE(ids.empty()) << s;
    for (int32_t id : ids) {
      EXPECT_NE(id, t->sot_id()) << s;
      EXPECT_NE(id, t->eot_id()) << s;
    }
  }
}

TEST(TokenizerTest, MojibakeIsRepairedBeforeTokenizing) {
  auto t = LoadOpenAi();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->EncodeUnpadded("cafÃ©"), t->EncodeUnpadded("café"));
  EXPECT_EQ(t->EncodeUnpadded("doesnÃ¢â‚¬â„¢t"), t->EncodeUnpadded("doesn't"));
  EXPECT_EQ(t->EncodeUnpadded("ÐŸÑ€Ð¸Ð²ÐµÑ‚"), t->EncodeUnpadded("привет"));
  // Legitimate text with the same characters is left alone (ftfy's badness guard).
  EXPECT_EQ(unicode::EncodeUtf8(FtfyFixText(U"São Paulo ÃO naïve")), "São Paulo ÃO naïve");
}

}  // namespace
}  // namespace vidx
