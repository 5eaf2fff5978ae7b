// Tokenizer: the CLIP byte-level BPE tokenizer, producing the same ids as open_clip's
// SimpleTokenizer (and open_clip.tokenize) for the same vocabulary.
//
// Pipeline: CleanTextForClip (text_clean.h: ftfy fix_text, html.unescape twice, whitespace
// collapse, lowercase) -> open_clip's pre-tokenisation pattern
//   <start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (IGNORECASE) -> UTF-8 bytes mapped through the GPT-2 byte-to-unicode table -> BPE by merge
// rank. The same pattern is used whichever file the vocabulary came from.
//
// User text never produces the sot/eot ids. Text spelling "<|startoftext|>" / "<|endoftext|>"
// (the Hugging Face names) is ordinary text, exactly as in open_clip. Text spelling open_clip's
// own names "<start_of_text>" / "<end_of_text>" stays one pre-token, as in open_clip, but is
// BPE-encoded as text where open_clip would emit the special id: the one place where the ids
// differ from open_clip's, on purpose.
//
// Thread-safety: immutable after construction except an internal BPE cache guarded by a
// mutex; Encode() may be called from several threads at once.
#ifndef VIDX_INDEXER_MODEL_TOKENIZER_H_
#define VIDX_INDEXER_MODEL_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace vidx {

class Tokenizer {
 public:
  // OpenAI's bpe_simple_vocab_16e6.txt.gz (gzip; plain text accepted too). Uses the first
  // 48894 merges, like open_clip. Errors: kNotFound/kIoError, kCorruption (bad gzip/format).
  static StatusOr<std::unique_ptr<Tokenizer>> FromOpenAiVocab(const std::string& path);
  // Hugging Face vocab.json (token -> id) and merges.txt ("#version" line, then "a b" lines).
  // Every merge result and every byte symbol must be in the vocabulary (kCorruption if not).
  static StatusOr<std::unique_ptr<Tokenizer>> FromHfFiles(const std::string& vocab_json,
                                                          const std::string& merges_txt);

  // [sot] + tokens + [eot], cut to context_length with eot kept last, padded with 0 —
  // open_clip.tokenize. REQUIRES: context_length >= 2.
  std::vector<int32_t> Encode(std::string_view utf8, int context_length = 77) const;
  // Just the BPE tokens of the cleaned text: no sot/eot, no truncation, no padding.
  std::vector<int32_t> EncodeUnpadded(std::string_view utf8) const;
  // Token ids back to text ("</w>" as a space), for debugging and the CLI.
  std::string Decode(const std::vector<int32_t>& ids) const;

  int32_t sot_id() const { return sot_id_; }
  int32_t eot_id() const { return eot_id_; }
  size_t vocab_size() const { return id_to_token_.size(); }

 private:
  Tokenizer() = default;
  static StatusOr<std::unique_ptr<Tokenizer>> Build(
      std::vector<std::pair<std::string, std::string>> merges,
      std::unordered_map<std::string, int32_t> vocab, const std::string& sot,
      const std::string& eot, const std::string& origin);
  // Appends the ids of one pre-token (byte-encoded UTF-8, without "</w>").
  void Bpe(const std::string& token, std::vector<int32_t>* out) const;

  std::unordered_map<std::string, int32_t> encoder_;
  std::vector<std::string> id_to_token_;
  // (left id << 32 | right id) -> (rank << 32 | merged id)
  std::unordered_map<uint64_t, uint64_t> merges_;
  std::string byte_to_unicode_[256];  // UTF-8 of the code point each byte maps to
  int32_t sot_id_ = 0, eot_id_ = 0;

  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;  // guarded by cache_mu_
};

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_TOKENIZER_H_
