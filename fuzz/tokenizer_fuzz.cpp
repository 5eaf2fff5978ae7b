// libFuzzer target: the CLIP tokenizer on arbitrary bytes (invalid UTF-8 included) must not
// crash, must return exactly context_length ids starting with sot, and ids within the vocab.
// Needs the real vocabulary: run from the repository root (../shared/data/clip/...).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "indexer/model/tokenizer.h"

namespace {
const vidx::Tokenizer* Get() {
  static std::unique_ptr<vidx::Tokenizer> t = [] {
    auto r = vidx::Tokenizer::FromOpenAiVocab("../shared/data/clip/bpe_simple_vocab_16e6.txt.gz");
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }();
  return t.get();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const vidx::Tokenizer* t = Get();
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto ids = t->Encode(s, 77);
  if (ids.size() != 77 || ids[0] != t->sot_id()) std::abort();
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= t->vocab_size()) std::abort();
  }
  (void)t->Decode(ids);
  return 0;
}
