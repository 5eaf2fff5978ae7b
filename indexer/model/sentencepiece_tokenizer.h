// SentencePieceTokenizer: the SigLIP and SigLIP 2 (Gemma) tokenizers, producing the same ids
// as transformers 4.40's SiglipTokenizer and GemmaTokenizer for the same model directory.
// Segmentation is done by the SentencePiece library (sentencepiece::SentencePieceProcessor);
// this class only applies the rules around it, read from the directory's files:
//
//   tokenizer_config.json   tokenizer_class, do_lower_case, add_bos_token, add_eos_token,
//                           model_max_length, padding_side, truncation_side, the special
//                           tokens and added_tokens_decoder (all optional; transformers'
//                           defaults for the class otherwise)
//   special_tokens_map.json special tokens; overrides tokenizer_config.json, as in transformers
//   spiece.model            SiglipTokenizer's SentencePiece model
//   tokenizer.model         GemmaTokenizer's SentencePiece model
//
// The rules family is tokenizer_class (SiglipTokenizer, GemmaTokenizer, GemmaTokenizerFast);
// without one, the model file that is present decides. Rules applied:
//   siglip: "▁" + text (with U+2581 written as a space); lower-cased character by character
//           except where a special token is spelled, when do_lower_case (default true); ASCII
//           punctuation removed, whitespace runs collapsed to one space, stripped; encoded by
//           the model with add_dummy_prefix off, after the unk token's spelling whose pieces are
//           then dropped (SiglipTokenizer's trick); EOS appended unless already last.
//   gemma:  the text as it is, encoded with the model's own normaliser; BOS prepended when
//           add_bos_token (default true), EOS appended when add_eos_token (default false).
// User text never produces a control piece: text that spells a special token ("</s>",
// "<pad>", "<eos>", ...) is encoded as text, as transformers does with split_special_tokens.
// (transformers' default would turn such spellings into the special ids.)
//
// The SentencePiece library runs inside libvidx_sentencepiece.so, loaded on first Open() with
// RTLD_LOCAL | RTLD_DEEPBIND (sentencepiece_module.h): Debian's libsentencepiece exports the
// protobuf-lite it embeds, which would clash with LibTorch's libprotobuf in the same process
// (docs/model-formats.md, "Tokenizers"). So this class may be used in LibTorch binaries, except
// under ASan/TSan, where Open() returns kUnsupported.
//
// Thread-safety: immutable after Open(); every method may be called from several threads.
#ifndef VIDX_INDEXER_MODEL_SENTENCEPIECE_TOKENIZER_H_
#define VIDX_INDEXER_MODEL_SENTENCEPIECE_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vidx {

class SpmProcessor;

class SentencePieceTokenizer {
 public:
  enum class Rules { kSiglip, kGemma };

  // Reads the tokenizer of a Hugging Face model directory. Errors: kNotFound (no spiece.model
  // or tokenizer.model), kCorruption (a file that does not parse, a special token missing from
  // the vocabulary), kInvalidArgument (an unsupported tokenizer_class or setting); each names
  // the file and the value at fault; and those of ModuleAvailable().
  static StatusOr<std::unique_ptr<SentencePieceTokenizer>> Open(const std::string& model_dir);
  ~SentencePieceTokenizer();

  // Ok when the SentencePiece module can be loaded in this process. Errors: kUnsupported under
  // a sanitizer runtime (which refuses RTLD_DEEPBIND), kNotFound naming the paths tried,
  // kInternal when the module found cannot be loaded.
  static Status ModuleAvailable();

  // The ids for one text with BOS/EOS as the rules say; not truncated, not padded
  // (tokenizer(text)["input_ids"]). For `vidx model tokenize`.
  std::vector<int32_t> Tokenize(std::string_view utf8) const;
  // Exactly context_length ids: the text's ids truncated (on truncation_side) so that they fit
  // with BOS/EOS, then padded with pad_id on padding_side (tokenizer(text,
  // padding="max_length", truncation=True, max_length=context_length)). What the text tower
  // takes. REQUIRES: context_length > the number of BOS/EOS ids added (smaller values are
  // raised to that plus one).
  std::vector<int32_t> Encode(std::string_view utf8, int context_length) const;
  // Pieces back to text, for debugging and the CLI.
  std::string Decode(const std::vector<int32_t>& ids) const;

  // Checks that every id fits a text tower of text_vocab_size tokens. Error:
  // kFailedPrecondition naming config_path and both sizes.
  Status CheckFitsTextTower(int64_t text_vocab_size, const std::string& config_path) const;

  Rules rules() const { return rules_; }
  int32_t pad_id() const { return pad_id_; }
  int32_t eos_id() const { return eos_id_; }
  int32_t bos_id() const { return bos_id_; }  // -1 when the rules have none
  // model_max_length from tokenizer_config.json, or 0 when absent or absurdly large.
  int model_max_length() const { return model_max_length_; }
  // One id past the largest id the tokenizer can produce.
  int64_t vocab_size() const { return vocab_size_; }
  // The SentencePiece model file read (for the fingerprint and messages).
  const std::string& model_file() const { return model_file_; }
  // A canonical one-line description of the rules and of the files read (the sha256 of the
  // SentencePiece model, tokenizer_config.json and special_tokens_map.json), for the feature
  // fingerprint.
  std::string Describe() const;

 private:
  SentencePieceTokenizer();
  // The ids of the text alone (no BOS/EOS).
  std::vector<int32_t> Body(std::string_view utf8) const;
  std::vector<int32_t> AddSpecials(std::vector<int32_t> body) const;
  int SpecialCount() const;

  std::unique_ptr<SpmProcessor> sp_;
  Rules rules_ = Rules::kSiglip;
  std::string model_file_;
  std::string files_;  // DescribeFileHashes of the files read
  bool lower_ = false;
  bool add_bos_ = false, add_eos_ = false;
  bool pad_left_ = false, truncate_left_ = false;
  int32_t pad_id_ = 0, eos_id_ = -1, bos_id_ = -1;
  int model_max_length_ = 0;
  int64_t vocab_size_ = 0;
  std::string unk_text_;
  size_t unk_pieces_ = 0;                   // siglip: pieces of unk_text_ alone
  std::vector<std::string> special_texts_;  // transformers' all_special_tokens, in order
};

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_SENTENCEPIECE_TOKENIZER_H_
