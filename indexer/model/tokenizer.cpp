#include "indexer/model/tokenizer.h"

#if VIDX_HAVE_ZLIB
#include <zlib.h>
#endif

#include <climits>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "indexer/model/text_clean.h"
#include "indexer/model/unicode_text.h"

namespace vidx {
namespace {

constexpr size_t kOpenAiMerges = 49152 - 256 - 2;  // what open_clip reads from the gz file
constexpr size_t kMaxCacheEntries = 1 << 16;
// open_clip's pre-tokenisation pattern starts with its special token names, whatever file the
// vocabulary came from; they decide only where a pre-token ends.
constexpr std::u32string_view kSotPattern = U"<start_of_text>";
constexpr std::u32string_view kEotPattern = U"<end_of_text>";

// GPT-2's reversible byte -> code point table: printable Latin-1 bytes map to themselves,
// the others to 256, 257, ... in byte order.
void ByteToUnicode(char32_t table[256], std::vector<int>* vocab_order) {
  std::vector<bool> direct(256, false);
  for (int b = '!'; b <= '~'; ++b) direct[b] = true;
  for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
  for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
  vocab_order->clear();
  for (int b = 0; b < 256; ++b) {
    if (direct[b]) {
      table[b] = static_cast<char32_t>(b);
      vocab_order->push_back(b);
    }
  }
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    if (!direct[b]) {
      table[b] = static_cast<char32_t>(256 + n++);
      vocab_order->push_back(b);
    }
  }
}

#if VIDX_HAVE_ZLIB
struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
#endif

Status ReadGz(const std::string& path, std::string* out) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) return Status::NotFound(path + ": cannot open the BPE vocabulary");
#if !VIDX_HAVE_ZLIB
  (void)out;
  return Status::Unsupported(path +
                             ": a gzip-compressed BPE vocabulary needs zlib, which this model-only "
                             "build was configured without; give vocab.json and merges.txt");
#else
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) return Status::IoError(path + ": cannot open the BPE vocabulary");
  char buf[1 << 16];
  for (;;) {
    int r = gzread(f.get(), buf, sizeof(buf));
    if (r < 0) {
      int err = 0;
      const char* msg = gzerror(f.get(), &err);
      return Status::Corruption(path + ": cannot decompress: " + (msg ? msg : "gzip error"));
    }
    if (r == 0) break;
    out->append(buf, static_cast<size_t>(r));
    if (out->size() > (size_t{256} << 20)) return Status::Corruption(path + ": larger than 256 MB");
  }
  return Status::Ok();
#endif
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return Status::Ok();
}

// Python str.split() on ASCII whitespace, for merge lines.
std::vector<std::string> SplitWs(std::string_view line) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) parts.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return parts;
}

bool MatchAt(const std::u32string& s, size_t i, std::u32string_view pat) {
  if (s.size() - i < pat.size()) return false;
  for (size_t k = 0; k < pat.size(); ++k) {
    char32_t c = s[i + k], p = pat[k];
    if (c == p) continue;
    if (p >= 'a' && p <= 'z' && unicode::FoldToAsciiLetter(c) == p) continue;
    return false;
  }
  return true;
}

}  // namespace

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromOpenAiVocab(const std::string& path) {
  std::string text;
  VIDX_RETURN_IF_ERROR(ReadGz(path, &text));
  std::vector<std::pair<std::string, std::string>> merges;
  size_t pos = text.find('\n');  // the first line is a version comment
  if (pos == std::string::npos)
    return Status::Corruption(path + ": no merges in the BPE vocabulary");
  ++pos;
  while (pos <= text.size() && merges.size() < kOpenAiMerges) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::vector<std::string> parts = SplitWs(std::string_view(text).substr(pos, end - pos));
    if (parts.size() != 2) {
      return Status::Corruption(path + ": merge line " + std::to_string(merges.size() + 2) +
                                " does not hold two symbols");
    }
    merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
    pos = end + 1;
  }
  if (merges.size() != kOpenAiMerges) {
    return Status::Corruption(path + ": has " + std::to_string(merges.size()) +
                              " merges, expected " + std::to_string(kOpenAiMerges));
  }
  // Vocabulary as open_clip builds it: byte symbols, byte symbols + "</w>", merges, specials.
  char32_t table[256];
  std::vector<int> order;
  ByteToUnicode(table, &order);
  std::vector<std::string> tokens;
  for (int b : order) tokens.push_back(unicode::EncodeUtf8(std::u32string(1, table[b])));
  for (int i = 0; i < 256; ++i) tokens.push_back(tokens[i] + "</w>");
  for (const auto& m : merges) tokens.push_back(m.first + m.second);
  tokens.push_back("<start_of_text>");
  tokens.push_back("<end_of_text>");
  std::unordered_map<std::string, int32_t> vocab;
  for (size_t i = 0; i < tokens.size(); ++i)
    vocab[tokens[i]] = static_cast<int32_t>(i);  // later wins, like dict(zip())
  return Build(std::move(merges), std::move(vocab), "<start_of_text>", "<end_of_text>", path);
}

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromHfFiles(const std::string& vocab_json,
                                                            const std::string& merges_txt) {
  std::string vtext, mtext;
  VIDX_RETURN_IF_ERROR(ReadFile(vocab_json, &vtext));
  VIDX_RETURN_IF_ERROR(ReadFile(merges_txt, &mtext));
  nlohmann::json j = nlohmann::json::parse(vtext, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(vocab_json + ": not a JSON object of token -> id");
  }
  std::unordered_map<std::string, int32_t> vocab;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > INT32_MAX) {
      return Status::Corruption(vocab_json + ": token '" + it.key() + "' has no valid id");
    }
    vocab[it.key()] = static_cast<int32_t>(it.value().get<int64_t>());
  }
  std::vector<std::pair<std::string, std::string>> merges;
  std::istringstream in(mtext);
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (lineno == 1 && line.rfind("#version", 0) == 0) continue;
    std::vector<std::string> parts = SplitWs(line);
    if (parts.empty()) continue;
    if (parts.size() != 2) {
      return Status::Corruption(merges_txt + ": line " + std::to_string(lineno) +
                                " does not hold two symbols");
    }
    merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
  }
  return Build(std::move(merges), std::move(vocab), "<|startoftext|>", "<|endoftext|>", vocab_json);
}

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::Build(
    std::vector<std::pair<std::string, std::string>> merges,
    std::unordered_map<std::string, int32_t> vocab, const std::string& sot, const std::string& eot,
    const std::string& origin) {
  auto t = std::unique_ptr<Tokenizer>(new Tokenizer());
  char32_t table[256];
  std::vector<int> order;
  ByteToUnicode(table, &order);
  for (int b = 0; b < 256; ++b) {
    t->byte_to_unicode_[b] = unicode::EncodeUtf8(std::u32string(1, table[b]));
    for (const std::string& sym : {t->byte_to_unicode_[b], t->byte_to_unicode_[b] + "</w>"}) {
      if (vocab.find(sym) == vocab.end()) {
        return Status::Corruption(origin + ": vocabulary lacks the byte symbol '" + sym + "'");
      }
    }
  }
  for (const std::string& s : {sot, eot}) {
    if (vocab.find(s) == vocab.end()) {
      return Status::Corruption(origin + ": vocabulary lacks the special token " + s);
    }
  }
  int32_t max_id = 0;
  for (const auto& kv : vocab) max_id = std::max(max_id, kv.second);
  if (static_cast<size_t>(max_id) >= vocab.size() * 4 + 1024) {
    return Status::Corruption(origin + ": token ids are sparse (max id " + std::to_string(max_id) +
                              ")");
  }
  t->id_to_token_.assign(static_cast<size_t>(max_id) + 1, std::string());
  for (const auto& kv : vocab) t->id_to_token_[kv.second] = kv.first;
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& m = merges[r];
    auto a = vocab.find(m.first), b = vocab.find(m.second), ab = vocab.find(m.first + m.second);
    if (a == vocab.end() || b == vocab.end() || ab == vocab.end()) {
      return Status::Corruption(origin + ": merge " + std::to_string(r) + " '" + m.first + " " +
                                m.second + "' uses or makes a token missing from the vocabulary");
    }
    uint64_t key = (static_cast<uint64_t>(a->second) << 32) | static_cast<uint32_t>(b->second);
    // A repeated pair takes its last rank, as dict(zip(merges, range(...))) does.
    t->merges_[key] = (static_cast<uint64_t>(r) << 32) | static_cast<uint32_t>(ab->second);
  }
  t->sot_id_ = vocab.at(sot);
  t->eot_id_ = vocab.at(eot);
  t->encoder_ = std::move(vocab);
  return t;
}

void Tokenizer::Bpe(const std::string& token, std::vector<int32_t>* out) const {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> word;
  word.reserve(token.size());
  for (size_t i = 0; i < token.size(); ++i) {
    const std::string& sym = byte_to_unicode_[static_cast<unsigned char>(token[i])];
    word.push_back(encoder_.at(i + 1 == token.size() ? sym + "</w>" : sym));
  }
  while (word.size() > 1) {
    uint64_t best = UINT64_MAX;
    uint64_t best_key = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      uint64_t key = (static_cast<uint64_t>(word[i]) << 32) | static_cast<uint32_t>(word[i + 1]);
      auto it = merges_.find(key);
      if (it != merges_.end() && it->second < best) {
        best = it->second;
        best_key = key;
      }
    }
    if (best == UINT64_MAX) break;
    int32_t first = static_cast<int32_t>(best_key >> 32),
            second = static_cast<int32_t>(best_key & 0xffffffffu);
    int32_t merged = static_cast<int32_t>(best & 0xffffffffu);
    std::vector<int32_t> next;
    next.reserve(word.size());
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        next.push_back(merged);
        i += 2;
      } else {
        next.push_back(word[i++]);
      }
    }
    word.swap(next);
  }
  out->insert(out->end(), word.begin(), word.end());
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  cache_.emplace(token, std::move(word));
}

std::vector<int32_t> Tokenizer::EncodeUnpadded(std::string_view utf8) const {
  static constexpr std::u32string_view kContractions[] = {U"'s", U"'t",  U"'re", U"'ve",
                                                          U"'m", U"'ll", U"'d"};
  const std::u32string s = CleanTextForClip(utf8);
  std::vector<int32_t> ids;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    size_t end = i;
    if (MatchAt(s, i, kSotPattern)) {
      end = i + kSotPattern.size();
    } else if (MatchAt(s, i, kEotPattern)) {
      end = i + kEotPattern.size();
    } else {
      if (s[i] == '\'') {
        for (std::u32string_view c : kContractions) {
          if (MatchAt(s, i, c)) {
            end = i + c.size();
            break;
          }
        }
      }
      if (end == i) {
        if (unicode::IsLetter(s[i])) {
          end = i + 1;
          while (end < n && unicode::IsLetter(s[end])) ++end;
        } else if (unicode::IsNumber(s[i])) {
          end = i + 1;
        } else if (!unicode::IsRegexSpace(s[i])) {
          end = i + 1;
          while (end < n && !unicode::IsRegexSpace(s[end]) && !unicode::IsLetter(s[end]) &&
                 !unicode::IsNumber(s[end])) {
            ++end;
          }
        } else {
          ++i;  // whitespace is not part of any token
          continue;
        }
      }
    }
    // Every pre-token is BPE-encoded, the ones spelling a special token included: user text
    // never yields sot/eot (open_clip's cache shortcut would).
    Bpe(unicode::EncodeUtf8(std::u32string_view(s).substr(i, end - i)), &ids);
    i = end;
  }
  return ids;
}

std::vector<int32_t> Tokenizer::Encode(std::string_view utf8, int context_length) const {
  if (context_length < 2) context_length = 2;
  std::vector<int32_t> ids;
  ids.push_back(sot_id_);
  std::vector<int32_t> body = EncodeUnpadded(utf8);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(eot_id_);
  if (ids.size() > static_cast<size_t>(context_length)) {
    ids.resize(static_cast<size_t>(context_length));
    ids.back() = eot_id_;
  }
  ids.resize(static_cast<size_t>(context_length), 0);
  return ids;
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::string joined;
  for (int32_t id : ids) {
    if (id >= 0 && static_cast<size_t>(id) < id_to_token_.size()) joined += id_to_token_[id];
  }
  std::u32string u = unicode::DecodeUtf8(joined);
  std::string out;
  for (size_t i = 0; i < u.size(); ++i) {
    if (u.compare(i, 4, U"</w>") == 0) {
      out.push_back(' ');
      i += 3;
      continue;
    }
    char32_t c = u[i];
    bool mapped = false;
    if (c < 0x200) {
      for (int b = 0; b < 256; ++b) {
        if (unicode::DecodeUtf8(byte_to_unicode_[b])[0] == c) {
          out.push_back(static_cast<char>(b));
          mapped = true;
          break;
        }
      }
    }
    if (!mapped) unicode::AppendUtf8(c, &out);
  }
  return out;
}

}  // namespace vidx
