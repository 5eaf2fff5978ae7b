// Linked with sentencepiece_tokenizer_test.cpp into a binary that also links LibTorch (and so
// LibTorch's libprotobuf): the whole parity suite runs there too, and this file checks that torch
// keeps working around the tokenizer.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <string>

#include "indexer/model/sentencepiece_tokenizer.h"

namespace vidx {
namespace {

float TorchProbe() {
  torch::manual_seed(3);
  torch::Tensor a = torch::randn({16, 16});
  return torch::matmul(a, a.t()).trace().item<float>();
}

TEST(SentencePieceTorchTest, TokenizerAndTorchShareOneProcess) {
  const Status module = SentencePieceTokenizer::ModuleAvailable();
  if (module.code() == StatusCode::kUnsupported) GTEST_SKIP() << module.message();
  ASSERT_TRUE(module.ok()) << module.message();
  const float before = TorchProbe();
  const char* b = std::getenv("VIDX_BINARY_DIR");
  auto t = SentencePieceTokenizer::Open(std::string(b ? b : VIDX_TEST_BINARY_DIR) +
                                        "/spm_tokenizers/siglip_en");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ((*t)->Tokenize("A Photo, of a CAT!"), (*t)->Tokenize("a photo of a cat"));
  EXPECT_EQ((*t)->Encode("a dog", 64).size(), 64u);
  EXPECT_EQ(TorchProbe(), before);
}

}  // namespace
}  // namespace vidx
