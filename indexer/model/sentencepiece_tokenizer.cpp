#include "indexer/model/sentencepiece_tokenizer.h"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "indexer/model/sentencepiece_module.h"
#include "indexer/model/sha256.h"
#include "indexer/model/unicode_text.h"

namespace vidx {
namespace {

using json = nlohmann::json;

constexpr char32_t kSpieceUnderline = 0x2581;  // "▁"
constexpr int64_t kMaxSaneLength = 1000000;    // transformers writes 1e30 for "no limit"

// A serialized NormalizerSpec {add_dummy_prefix: false} as field 3 (normalizer_spec) of
// ModelProto. Appending it to a serialized model merges it into the model's spec (protobuf's
// rule for a repeated embedded message), which is what SiglipTokenizer does with MergeFrom.
constexpr char kNoDummyPrefix[] = {0x1A, 0x02, 0x18, 0x00};

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::IoError(path + ": cannot read");
  *out = ss.str();
  return Status::Ok();
}

// An optional JSON object file; absent gives an empty object.
Status ReadJsonObject(const std::string& path, json* out) {
  *out = json::object();
  if (!Exists(path)) return Status::Ok();
  std::string text;
  VIDX_RETURN_IF_ERROR(ReadFile(path, &text));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(path + ": not a JSON object");
  }
  *out = std::move(j);
  return Status::Ok();
}

// A special token value: a string, an AddedToken object {"content": ...}, or null (none).
Status TokenText(const json& v, const std::string& file, const std::string& key, bool* present,
                 std::string* text) {
  if (v.is_null()) {
    *present = false;
    return Status::Ok();
  }
  if (v.is_string()) {
    *present = true;
    *text = v.get<std::string>();
    return Status::Ok();
  }
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    *present = true;
    *text = v["content"].get<std::string>();
    return Status::Ok();
  }
  return Status::Corruption(file + ": " + key + " is neither a string nor a token object");
}

Status GetBool(const json& cfg, const std::string& file, const char* key, bool* value) {
  if (!cfg.contains(key) || cfg[key].is_null()) return Status::Ok();
  if (!cfg[key].is_boolean()) return Status::InvalidArgument(file + ": " + key + " is not a bool");
  *value = cfg[key].get<bool>();
  return Status::Ok();
}

Status GetSide(const json& cfg, const std::string& file, const char* key, bool* left) {
  if (!cfg.contains(key) || cfg[key].is_null()) return Status::Ok();
  const json& v = cfg[key];
  if (v == "left" || v == "right") {
    *left = v == "left";
    return Status::Ok();
  }
  return Status::InvalidArgument(file + ": " + key + " must be \"left\" or \"right\", not " +
                                 v.dump());
}

bool IsAsciiPunctuation(char32_t c) {  // Python's string.punctuation
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer() = default;
SentencePieceTokenizer::~SentencePieceTokenizer() = default;

Status SentencePieceTokenizer::ModuleAvailable() { return SpmProcessor::ModuleStatus(); }

StatusOr<std::unique_ptr<SentencePieceTokenizer>> SentencePieceTokenizer::Open(
    const std::string& model_dir) {
  const std::string config_file = model_dir + "/tokenizer_config.json";
  const std::string map_file = model_dir + "/special_tokens_map.json";
  json cfg, map;
  VIDX_RETURN_IF_ERROR(ReadJsonObject(config_file, &cfg));
  VIDX_RETURN_IF_ERROR(ReadJsonObject(map_file, &map));

  auto t = std::unique_ptr<SentencePieceTokenizer>(new SentencePieceTokenizer());
  const std::string spiece = model_dir + "/spiece.model", gemma = model_dir + "/tokenizer.model";
  if (cfg.contains("tokenizer_class") && !cfg["tokenizer_class"].is_null()) {
    const json& cls = cfg["tokenizer_class"];
    if (cls == "SiglipTokenizer") {
      t->rules_ = Rules::kSiglip;
    } else if (cls == "GemmaTokenizer" || cls == "GemmaTokenizerFast") {
      t->rules_ = Rules::kGemma;
    } else {
      return Status::InvalidArgument(config_file + ": tokenizer_class " + cls.dump() +
                                     " is not a SentencePiece tokenizer vidx supports "
                                     "(SiglipTokenizer, GemmaTokenizer)");
    }
  } else if (Exists(spiece) && !Exists(gemma)) {
    t->rules_ = Rules::kSiglip;
  } else if (Exists(gemma) && !Exists(spiece)) {
    t->rules_ = Rules::kGemma;
  } else if (Exists(gemma)) {
    return Status::InvalidArgument(model_dir +
                                   " has both spiece.model and tokenizer.model and no "
                                   "tokenizer_class in tokenizer_config.json to choose");
  } else {
    return Status::NotFound(model_dir + " has no spiece.model or tokenizer.model");
  }
  const bool siglip = t->rules_ == Rules::kSiglip;
  t->model_file_ = siglip ? spiece : gemma;
  StatusOr<std::string> files =
      DescribeFileHashes(model_dir, {siglip ? "spiece.model" : "tokenizer.model",
                                     "tokenizer_config.json", "special_tokens_map.json"});
  if (!files.ok()) return files.status();
  t->files_ = std::move(files).value();

  // The class's defaults, then tokenizer_config.json, then special_tokens_map.json.
  std::map<std::string, std::pair<bool, std::string>> special = {
      {"bos_token", {!siglip, "<bos>"}},
      {"eos_token", {true, siglip ? "</s>" : "<eos>"}},
      {"unk_token", {true, "<unk>"}},
      {"sep_token", {false, ""}},
      {"pad_token", {true, siglip ? "</s>" : "<pad>"}},
      {"cls_token", {false, ""}},
      {"mask_token", {false, ""}}};
  static const char* const kOrder[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                       "pad_token", "cls_token", "mask_token"};
  std::vector<std::string> additional;
  for (const auto& [doc, file] :
       {std::pair<const json*, const std::string*>{&cfg, &config_file}, {&map, &map_file}}) {
    for (const char* key : kOrder) {
      if (!doc->contains(key)) continue;
      auto& slot = special[key];
      VIDX_RETURN_IF_ERROR(TokenText((*doc)[key], *file, key, &slot.first, &slot.second));
    }
    if (doc->contains("additional_special_tokens")) {
      const json& a = (*doc)["additional_special_tokens"];
      if (!a.is_array() && !a.is_null()) {
        return Status::Corruption(*file + ": additional_special_tokens is not a list");
      }
      additional.clear();
      for (const json& v : a.is_array() ? a : json::array()) {
        bool present = false;
        std::string text;
        VIDX_RETURN_IF_ERROR(TokenText(v, *file, "additional_special_tokens", &present, &text));
        if (present) additional.push_back(text);
      }
    }
  }

  t->lower_ = siglip;
  t->add_bos_ = !siglip;
  if (siglip) {
    VIDX_RETURN_IF_ERROR(GetBool(cfg, config_file, "do_lower_case", &t->lower_));
  } else {  // GemmaTokenizer has no do_lower_case: transformers ignores the key.
    VIDX_RETURN_IF_ERROR(GetBool(cfg, config_file, "add_bos_token", &t->add_bos_));
    VIDX_RETURN_IF_ERROR(GetBool(cfg, config_file, "add_eos_token", &t->add_eos_));
  }
  VIDX_RETURN_IF_ERROR(GetSide(cfg, config_file, "padding_side", &t->pad_left_));
  VIDX_RETURN_IF_ERROR(GetSide(cfg, config_file, "truncation_side", &t->truncate_left_));
  int64_t max_len = siglip ? 64 : 0;
  if (cfg.contains("model_max_length") && cfg["model_max_length"].is_number()) {
    double v = cfg["model_max_length"].get<double>();
    max_len = v >= 1 && v <= kMaxSaneLength ? static_cast<int64_t>(v) : 0;
  }
  t->model_max_length_ = static_cast<int>(max_len);

  std::string proto;
  VIDX_RETURN_IF_ERROR(ReadFile(t->model_file_, &proto));
  if (siglip) proto.append(kNoDummyPrefix, sizeof(kNoDummyPrefix));
  auto sp = SpmProcessor::Load(proto, t->model_file_);
  if (!sp.ok()) return sp.status();
  t->sp_ = std::move(*sp);

  // added_tokens_decoder: id -> token, consulted before the SentencePiece vocabulary.
  std::map<std::string, int32_t> added;
  int64_t max_id = t->sp_->PieceSize() - 1;
  if (cfg.contains("added_tokens_decoder") && cfg["added_tokens_decoder"].is_object()) {
    for (auto it = cfg["added_tokens_decoder"].begin(); it != cfg["added_tokens_decoder"].end();
         ++it) {
      bool present = false;
      std::string text;
      VIDX_RETURN_IF_ERROR(
          TokenText(it.value(), config_file, "added_tokens_decoder", &present, &text));
      char* end = nullptr;
      long long id = std::strtoll(it.key().c_str(), &end, 10);
      if (it.key().empty() || *end != '\0' || id < 0 || id > INT32_MAX) {
        return Status::Corruption(config_file + ": added_tokens_decoder has the id '" + it.key() +
                                  "', not a number");
      }
      if (present) added[text] = static_cast<int32_t>(id);
      max_id = std::max<int64_t>(max_id, id);
    }
  }
  t->vocab_size_ = max_id + 1;
  auto id_of = [&](const std::string& key, int32_t* id) -> Status {
    const std::string& text = special[key].second;
    auto a = added.find(text);
    if (a != added.end()) {
      *id = a->second;
      return Status::Ok();
    }
    int v = t->sp_->PieceToId(text);
    if (t->sp_->IsUnknown(v) && t->sp_->IdToPiece(v) != text) {
      return Status::Corruption(config_file + ": " + key + " '" + text + "' is not in " +
                                t->model_file_);
    }
    *id = v;
    return Status::Ok();
  };
  if (!special["pad_token"].first) {
    return Status::InvalidArgument(config_file +
                                   ": pad_token is null, and the text tower needs "
                                   "padding");
  }
  if (!special["eos_token"].first && (siglip || t->add_eos_)) {
    return Status::InvalidArgument(config_file + ": eos_token is null but the rules append it");
  }
  if (!special["bos_token"].first && !siglip && t->add_bos_) {
    return Status::InvalidArgument(config_file +
                                   ": bos_token is null but add_bos_token prepends it");
  }
  VIDX_RETURN_IF_ERROR(id_of("pad_token", &t->pad_id_));
  if (special["eos_token"].first) VIDX_RETURN_IF_ERROR(id_of("eos_token", &t->eos_id_));
  if (special["bos_token"].first && !siglip) VIDX_RETURN_IF_ERROR(id_of("bos_token", &t->bos_id_));

  for (const char* key : kOrder) {
    const auto& s = special[key];
    if (s.first && std::find(t->special_texts_.begin(), t->special_texts_.end(), s.second) ==
                       t->special_texts_.end()) {
      t->special_texts_.push_back(s.second);
    }
  }
  for (const std::string& a : additional) {
    if (std::find(t->special_texts_.begin(), t->special_texts_.end(), a) ==
        t->special_texts_.end()) {
      t->special_texts_.push_back(a);
    }
  }
  if (siglip) {
    if (!special["unk_token"].first) {
      return Status::InvalidArgument(config_file +
                                     ": unk_token is null, and SiglipTokenizer "
                                     "encodes text behind it");
    }
    t->unk_text_ = special["unk_token"].second;
    std::vector<std::pair<int32_t, std::string>> pieces;
    Status st = t->sp_->Encode(t->unk_text_, &pieces);
    if (!st.ok()) return Status::Corruption(t->model_file_ + ": " + st.message());
    t->unk_pieces_ = pieces.size();
  }
  return t;
}

std::vector<int32_t> SentencePieceTokenizer::Body(std::string_view utf8) const {
  const std::u32string text = unicode::DecodeUtf8(utf8);
  std::vector<int32_t> ids;
  if (rules_ == Rules::kGemma) {
    std::vector<std::pair<int32_t, std::string>> pieces;
    if (!sp_->Encode(unicode::EncodeUtf8(text), &pieces).ok()) return ids;
    for (const auto& p : pieces) ids.push_back(p.first);
    return ids;
  }
  // SiglipTokenizer.tokenize: "▁" + text with "▁" as spaces.
  std::u32string s(1, kSpieceUnderline);
  for (char32_t c : text) s.push_back(c == kSpieceUnderline ? U' ' : c);
  if (lower_) {  // one character at a time, special-token spellings kept
    std::vector<std::u32string> specials;
    for (const std::string& sp : special_texts_) specials.push_back(unicode::DecodeUtf8(sp));
    std::u32string lowered;
    for (size_t i = 0; i < s.size();) {
      bool kept = false;
      for (const std::u32string& sp : specials) {
        if (!sp.empty() && s.compare(i, sp.size(), sp) == 0) {
          lowered += sp;
          i += sp.size();
          kept = true;
          break;
        }
      }
      if (kept) continue;
      lowered += s[i] == U'\n' ? std::u32string(1, s[i]) : unicode::Lower(s.substr(i, 1));
      ++i;
    }
    s = std::move(lowered);
  }
  // canonicalize_text: punctuation removed, whitespace runs to one space, stripped.
  std::u32string c;
  for (size_t i = 0; i < s.size();) {
    if (IsAsciiPunctuation(s[i])) {
      ++i;
    } else if (unicode::IsPySpace(s[i])) {
      // Runs are collapsed after punctuation is removed, so "a , b" has one space.
      if (c.empty() || c.back() != U' ') c.push_back(U' ');
      ++i;
    } else {
      c.push_back(s[i++]);
    }
  }
  c = unicode::Strip(c);
  std::vector<std::pair<int32_t, std::string>> pieces;
  if (!sp_->Encode(unk_text_ + unicode::EncodeUtf8(c), &pieces).ok()) return ids;
  size_t first = pieces.size() >= unk_pieces_ ? unk_pieces_ : 0;
  if (pieces.size() > first + 1 && pieces[first].second == "\xE2\x96\x81") {
    const std::string& next = pieces[first + 1].second;
    if (std::find(special_texts_.begin(), special_texts_.end(), next) != special_texts_.end())
      ++first;
  }
  for (size_t i = first; i < pieces.size(); ++i) ids.push_back(pieces[i].first);
  return ids;
}

int SentencePieceTokenizer::SpecialCount() const {
  if (rules_ == Rules::kSiglip) return 1;
  return (add_bos_ ? 1 : 0) + (add_eos_ ? 1 : 0);
}

std::vector<int32_t> SentencePieceTokenizer::AddSpecials(std::vector<int32_t> body) const {
  if (rules_ == Rules::kSiglip) {
    if (body.empty() || body.back() != eos_id_) body.push_back(eos_id_);
    return body;
  }
  if (add_bos_) body.insert(body.begin(), bos_id_);
  if (add_eos_) body.push_back(eos_id_);
  return body;
}

std::vector<int32_t> SentencePieceTokenizer::Tokenize(std::string_view utf8) const {
  return AddSpecials(Body(utf8));
}

std::vector<int32_t> SentencePieceTokenizer::Encode(std::string_view utf8,
                                                    int context_length) const {
  const int specials = SpecialCount();
  const size_t length = static_cast<size_t>(std::max(context_length, specials + 1));
  std::vector<int32_t> body = Body(utf8);
  const size_t keep = length - static_cast<size_t>(specials);
  if (body.size() > keep) {
    if (truncate_left_)
      body.erase(body.begin(), body.end() - static_cast<std::ptrdiff_t>(keep));
    else
      body.resize(keep);
  }
  std::vector<int32_t> ids = AddSpecials(std::move(body));
  if (ids.size() < length) {
    if (pad_left_)
      ids.insert(ids.begin(), length - ids.size(), pad_id_);
    else
      ids.resize(length, pad_id_);
  }
  return ids;
}

std::string SentencePieceTokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::vector<int> known;
  for (int32_t id : ids) {
    if (id >= 0 && id < sp_->PieceSize()) known.push_back(id);
  }
  std::string out;
  if (!sp_->Decode(known, &out).ok()) out.clear();
  return out;
}

Status SentencePieceTokenizer::CheckFitsTextTower(int64_t text_vocab_size,
                                                  const std::string& config_path) const {
  if (vocab_size_ <= text_vocab_size) return Status::Ok();
  return Status::FailedPrecondition(model_file_ + " has " + std::to_string(vocab_size_) +
                                    " tokens but " + config_path + "'s text vocab_size is " +
                                    std::to_string(text_vocab_size));
}

std::string SentencePieceTokenizer::Describe() const {
  std::string d = rules_ == Rules::kSiglip ? "sentencepiece:siglip" : "sentencepiece:gemma";
  d += " lower=" + std::to_string(lower_) + " add_bos=" + std::to_string(add_bos_) +
       " add_eos=" + std::to_string(rules_ == Rules::kSiglip || add_eos_) +
       " bos=" + std::to_string(bos_id_) + " eos=" + std::to_string(eos_id_) +
       " pad=" + std::to_string(pad_id_) + " pad_side=" + (pad_left_ ? "left" : "right") +
       " truncation_side=" + (truncate_left_ ? "left" : "right") +
       " vocab=" + std::to_string(vocab_size_) + " unk=" + json(unk_text_).dump() +
       " specials=" + json(special_texts_).dump() + " files=" + files_;
  return d;
}

}  // namespace vidx
