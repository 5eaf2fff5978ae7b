#include "indexer/model/ftfy_encoding.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "indexer/model/ftfy_tables.h"
#include "indexer/model/unicode_text.h"

namespace vidx {
namespace {

namespace ft = ftfy_tables;
using Bytes = std::vector<uint8_t>;

uint32_t Cls(char32_t c) {
  if (c < 0x80) return 0;
  const ft::CharClass* end = ft::kCharClasses + ft::kCharClassesSize;
  const ft::CharClass* it = std::lower_bound(
      ft::kCharClasses, end, c, [](const ft::CharClass& x, char32_t k) { return x.cp < k; });
  return it != end && it->cp == c ? it->mask : 0;
}

bool In(char32_t c, std::u32string_view set) { return set.find(c) != std::u32string_view::npos; }
bool AsciiLetter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool AsciiLower(char32_t c) { return c >= 'a' && c <= 'z'; }
bool Word(char32_t c) { return c == '_' || unicode::IsLetter(c) || unicode::IsNumber(c); }

// Does one alternative of ftfy's BADNESS_RE match at position i?
bool BadAt(std::u32string_view s, size_t i) {
  using namespace ft;  // NOLINT: the category bits
  const size_t n = s.size();
  auto ch = [&](size_t k) -> char32_t { return k < n ? s[k] : 0; };
  auto has = [&](size_t k, uint32_t m) { return k < n && (Cls(s[k]) & m) != 0; };
  const char32_t c = s[i];
  const uint32_t m = Cls(c);
  const uint32_t kA = kLowerAccented | kUpperAccented;
  if (m & kC1) return true;
  if ((m & (kBad | kA | kBox | kStartPunct | kEndPunct | kCurrency | kNumeric)) && has(i + 1, kBad))
    return true;
  if (AsciiLetter(c) && has(i + 1, kLowerCommon | kUpperCommon) && has(i + 2, kBad)) return true;
  if ((m & kBad) && has(i + 1, kA | kBox | kStartPunct | kEndPunct | kCurrency | kNumeric))
    return true;
  if ((m & (kLowerAccented | kLowerCommon | kBox | kEndPunct | kCurrency | kNumeric)) &&
      has(i + 1, kUpperAccented))
    return true;
  if ((m & (kBox | kEndPunct | kCurrency | kNumeric)) && has(i + 1, kLowerAccented)) return true;
  if ((m & (kLowerAccented | kBox | kEndPunct)) && has(i + 1, kCurrency)) return true;
  if (unicode::IsPySpace(c) && has(i + 1, kUpperAccented) && has(i + 2, kCurrency)) return true;
  if ((m & (kUpperAccented | kBox)) && has(i + 1, kNumeric)) return true;
  if ((m & (kA | kBox | kCurrency | kEndPunct)) && has(i + 1, kStartPunct) && has(i + 2, kNumeric))
    return true;
  if ((m & (kA | kCurrency | kNumeric | kBox)) && has(i + 1, kEndPunct) && has(i + 2, kStartPunct))
    return true;
  if ((m & (kCurrency | kNumeric | kBox)) && has(i + 1, kStartPunct)) return true;
  if (AsciiLower(c) && has(i + 1, kUpperAccented) && has(i + 2, kStartPunct | kCurrency))
    return true;
  if ((m & kBox) && has(i + 1, kKaomoji)) return true;
  if ((m & (kA | kCurrency | kNumeric | kStartPunct | kEndPunct)) && has(i + 1, kBox)) return true;
  if ((m & kBox) && has(i + 1, kEndPunct)) return true;
  if ((m & kA) && has(i + 1, kEndPunct) && i + 2 < n && Word(s[i + 2])) return true;
  if ((c == U'Œ' || c == U'œ') && i + 1 < n && !AsciiLetter(s[i + 1])) return true;
  if (In(c, U"ÂÃÎÐ") && i + 1 < n &&
      (In(s[i + 1], U"€Šš¢£Ÿž\u00a0\u00ad®©°·»–—´") || has(i + 1, kStartPunct | kEndPunct)))
    return true;
  if (c == U'×' && In(ch(i + 1), U"²³")) return true;
  auto arabic = [&](size_t k) {
    return has(k, kCommon | kCurrency | kBad | kNumeric | kStartPunct) ||
           (k < n && In(s[k], U"ŸŠ®°µ»"));
  };
  if (In(c, U"ØÙ") && arabic(i + 1) && In(ch(i + 2), U"ØÙ") && arabic(i + 3)) return true;
  if (c == U'à' && In(ch(i + 1), U"²µ¹¼½¾")) return true;
  if (c == U'√' && In(ch(i + 1), U"±∂†≠®™´≤≥¥µø")) return true;
  if (c == U'≈' && In(ch(i + 1), U"°¢")) return true;
  if (c == U'‚' && ch(i + 1) == U'Ä' && In(ch(i + 2), U"ìîïòôúùû†°¢π")) return true;
  if (c == U'‚' && In(ch(i + 1), U"âó") && In(ch(i + 2), U"àä°ê")) return true;
  if (c == U'в' && ch(i + 1) == U'Ђ') return true;
  auto cyr = [&](size_t k) {
    return has(k, kC1 | kBad | kStartPunct | kEndPunct | kCurrency) || In(ch(k), U"°µ");
  };
  if (In(c, U"ВГРС") && cyr(i + 1) && In(ch(i + 2), U"ВГРС")) return true;
  if (s.substr(i, 5) == U"ГўВЂВ" && i + 6 < n && s[i + 5] != '\n' &&
      (AsciiLetter(s[i + 6]) || s[i + 6] == ' '))
    return true;
  if (c == U'Ã' && In(ch(i + 1), U"\u00a0¡")) return true;
  if (AsciiLower(c)) {
    if (i + 1 < n && unicode::IsPySpace(s[i + 1]) && In(ch(i + 2), U"ÃÂ") && ch(i + 3) == ' ')
      return true;
    if (In(ch(i + 1), U"ÃÂ") && ch(i + 2) == ' ') return true;
  }
  if (i == 0 && In(c, U"ÃÂ") && ch(1) == ' ') return true;
  if ((AsciiLower(c) || In(c, U".,?!") || (m & kEndPunct)) && ch(i + 1) == U'Â' &&
      (ch(i + 2) == ' ' || has(i + 2, kStartPunct | kEndPunct)))
    return true;
  if (c == U'β' && ch(i + 1) == U'€' && In(ch(i + 2), U"™\u00a0Ά\u00ad®°")) return true;
  auto greek = [&](size_t k) {
    return has(k, kC1 | kBad | kStartPunct | kEndPunct | kCurrency) || ch(k) == U'°';
  };
  if (In(c, U"ΒΓΞΟ") && greek(i + 1) && In(ch(i + 2), U"ΒΓΞΟ")) return true;
  return false;
}

// Reverse table (character -> byte) of one single-byte encoding.
const std::unordered_map<char32_t, uint8_t>& Reverse(size_t e) {
  static const auto* tables = [] {
    auto* t = new std::vector<std::unordered_map<char32_t, uint8_t>>(ft::kEncodingsSize);
    for (size_t k = 0; k < ft::kEncodingsSize; ++k) {
      for (int b = 0x7F; b >= 0; --b) (*t)[k][ft::kEncodings[k].high[b]] = 0x80 + b;
    }
    return t;
  }();
  return (*tables)[e];
}

bool IsSloppy(size_t e) { return std::strncmp(ft::kEncodings[e].name, "sloppy", 6) == 0; }

const ft::SingleByteEncoding& Sloppy1252() {
  static const ft::SingleByteEncoding* enc = [] {
    for (size_t e = 0; e < ft::kEncodingsSize; ++e) {
      if (std::strcmp(ft::kEncodings[e].name, "sloppy-windows-1252") == 0)
        return &ft::kEncodings[e];
    }
    return &ft::kEncodings[0];  // not reached: the generator always writes it
  }();
  return *enc;
}

// chardata.possible_encoding + str.encode: false when a character has no byte.
bool EncodeIn(std::u32string_view s, size_t e, Bytes* out) {
  const ft::SingleByteEncoding& enc = ft::kEncodings[e];
  const auto& rev = Reverse(e);
  out->clear();
  for (char32_t c : s) {
    if (c < 0x80 && c != 0x1A) {
      out->push_back(static_cast<uint8_t>(c));
    } else if (c == enc.sub) {
      out->push_back(0x1A);
    } else {
      auto it = rev.find(c);
      if (it == rev.end()) return false;
      out->push_back(it->second);
    }
  }
  return true;
}

bool Cont(uint8_t b) { return b >= 0x80 && b <= 0xBF; }

// Length of an ALTERED_UTF8_RE match at i, or 0.
size_t AlteredAt(const Bytes& b, size_t i) {
  const size_t n = b.size();
  auto at = [&](size_t k) -> int { return k < n ? b[k] : -1; };
  auto x = [&](size_t k) {
    int v = at(k);
    return (v >= 0x80 && v <= 0x84) || (v >= 0x86 && v <= 0x9F) || (v >= 0xA1 && v <= 0xBF);
  };
  auto c = [&](size_t k) { return k < n && Cont(b[k]); };
  const int v = b[i];
  if ((v == 0xC2 || v == 0xC3 || v == 0xC5 || v == 0xCE || v == 0xD0 || v == 0xD9) &&
      at(i + 1) == ' ')
    return 2;
  if ((v == 0xE2 || v == 0xE3) && at(i + 1) == ' ' && x(i + 2)) return 3;
  if (v >= 0xE0 && v <= 0xE3 && x(i + 1) && at(i + 2) == ' ') return 3;
  if (v == 0xF0) {
    if (at(i + 1) == ' ' && c(i + 2) && c(i + 3)) return 4;
    if (c(i + 1) && at(i + 2) == ' ' && c(i + 3)) return 4;
    if (c(i + 1) && c(i + 2) && at(i + 3) == ' ') return 4;
  }
  return 0;
}

// fixes.restore_byte_a0, applied when ALTERED_UTF8_RE matches somewhere.
void RestoreByteA0(Bytes* b) {
  bool any = false;
  for (size_t i = 0; i < b->size() && !any; ++i) any = AlteredAt(*b, i) != 0;
  if (!any) return;
  // "Ã " before a word (not "Ã  ", "Ã quele", ...) is "à ".
  Bytes a;
  for (size_t i = 0; i < b->size(); ++i) {
    a.push_back((*b)[i]);
    if ((*b)[i] != 0xC3 || i + 1 >= b->size() || (*b)[i + 1] != ' ') continue;
    std::string rest(b->begin() + static_cast<std::ptrdiff_t>(i + 2), b->end());
    bool excluded = false;
    for (const char* w : {" ", "quele", "quela", "quilo", "s "}) {
      if (rest.compare(0, std::strlen(w), w) == 0) excluded = true;
    }
    if (!excluded) {
      a.push_back(0xA0);
      a.push_back(' ');
      ++i;
    }
  }
  Bytes out;
  for (size_t i = 0; i < a.size();) {
    size_t len = AlteredAt(a, i);
    if (len == 0) {
      out.push_back(a[i++]);
      continue;
    }
    for (size_t k = 0; k < len; ++k) out.push_back(a[i + k] == ' ' ? 0xA0 : a[i + k]);
    i += len;
  }
  b->swap(out);
}

// Length of a LOSSY_UTF8_RE match at i, or 0.
size_t LossyAt(const Bytes& b, size_t i) {
  const size_t n = b.size();
  auto at = [&](size_t k) -> int { return k < n ? b[k] : -1; };
  auto lost = [&](size_t k) { return at(k) == 0x1A || at(k) == '?'; };  // [\x1a?]
  auto sub_or_cont = [&](size_t k) { return at(k) == 0x1A || (k < n && Cont(b[k])); };
  auto any3 = [&](size_t k) { return lost(k) || (k < n && Cont(b[k])); };  // [\x1a?\x80-\xbf]
  auto in = [&](size_t k, int lo, int hi) { return at(k) >= lo && at(k) <= hi; };
  const int v = b[i];
  if (v >= 0xC2 && v <= 0xDF && at(i + 1) == 0x1A) return 2;
  if ((v == 0xC2 || v == 0xC3) && at(i + 1) == '?') return 2;
  if (v == 0xED && in(i + 1, 0xA0, 0xAF) && lost(i + 2) && at(i + 3) == 0xED &&
      in(i + 4, 0xB0, 0xBF) && any3(i + 5))
    return 6;
  if (v == 0xED && in(i + 1, 0xA0, 0xAF) && any3(i + 2) && at(i + 3) == 0xED &&
      in(i + 4, 0xB0, 0xBF) && lost(i + 5))
    return 6;
  if (v >= 0xE0 && v <= 0xEF) {
    if (lost(i + 1) && sub_or_cont(i + 2)) return 3;
    if (sub_or_cont(i + 1) && lost(i + 2)) return 3;
  }
  if (v >= 0xF0 && v <= 0xF4) {
    if (lost(i + 1) && sub_or_cont(i + 2) && sub_or_cont(i + 3)) return 4;
    if (sub_or_cont(i + 1) && lost(i + 2) && sub_or_cont(i + 3)) return 4;
    if (sub_or_cont(i + 1) && sub_or_cont(i + 2) && lost(i + 3)) return 4;
  }
  if (v == 0x1A) return 1;
  return 0;
}

void ReplaceLossySequences(Bytes* b) {
  Bytes out;
  for (size_t i = 0; i < b->size();) {
    size_t len = LossyAt(*b, i);
    if (len == 0) {
      out.push_back((*b)[i++]);
      continue;
    }
    out.insert(out.end(), {0xEF, 0xBF, 0xBD});
    i += len;
  }
  b->swap(out);
}

// Python's strict UTF-8 decoder; with `variants`, ftfy's utf-8-variants (also CESU-8
// surrogate pairs and the two-byte NUL C0 80). False on any error.
bool DecodeStrict(const Bytes& b, bool variants, std::u32string* out) {
  out->clear();
  const size_t n = b.size();
  for (size_t i = 0; i < n;) {
    const uint8_t c = b[i];
    if (c < 0x80) {
      out->push_back(c);
      ++i;
      continue;
    }
    if (variants && c == 0xC0 && i + 1 < n && b[i + 1] == 0x80) {
      out->push_back(0);
      i += 2;
      continue;
    }
    if (variants && c == 0xED && i + 5 < n && b[i + 1] >= 0xA0 && b[i + 1] <= 0xAF &&
        Cont(b[i + 2]) && b[i + 3] == 0xED && b[i + 4] >= 0xB0 && b[i + 4] <= 0xBF &&
        Cont(b[i + 5])) {
      out->push_back(0x10000 + ((b[i + 1] & 0x0F) << 16) + ((b[i + 2] & 0x3F) << 10) +
                     ((b[i + 4] & 0x0F) << 6) + (b[i + 5] & 0x3F));
      i += 6;
      continue;
    }
    size_t len;
    char32_t cp;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      uint8_t x = b[i + k];
      if (x < (k == 1 ? lo : 0x80) || x > (k == 1 ? hi : 0xBF)) return false;
      cp = (cp << 6) | (x & 0x3F);
    }
    out->push_back(cp);
    i += len;
  }
  return true;
}

// End of a UTF8_DETECTOR_RE match at i, or i when none.
size_t DetectorAt(std::u32string_view s, size_t i) {
  using namespace ft;  // NOLINT: the category bits
  if (i > 0 && (Cls(s[i - 1]) & kUtf8ContinuationStrict)) return i;
  auto cont = [&](size_t k, size_t count) {
    for (size_t j = 0; j < count; ++j) {
      if (k + j >= s.size()) return false;
      if (s[k + j] != ' ' && !(Cls(s[k + j]) & kUtf8Continuation)) return false;
    }
    return true;
  };
  size_t j = i;
  while (j < s.size()) {
    const uint32_t m = Cls(s[j]);
    if ((m & kUtf8First2) && cont(j + 1, 1)) {
      j += 2;
    } else if ((m & kUtf8First3) && cont(j + 1, 2)) {
      j += 3;
    } else if ((m & kUtf8First4) && cont(j + 1, 3)) {
      j += 4;
    } else {
      break;
    }
  }
  return j;
}

std::u32string DecodeInconsistentUtf8(std::u32string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    size_t end = DetectorAt(s, i);
    if (end == i) {
      out.push_back(s[i++]);
      continue;
    }
    std::u32string_view sub = s.substr(i, end - i);
    if (sub.size() < s.size() && FtfyIsBad(sub))
      out += FtfyFixEncoding(sub);
    else
      out += sub;
    i = end;
  }
  return out;
}

std::u32string FixEncodingOneStep(std::u32string_view s) {
  if (s.empty()) return std::u32string(s);
  if (std::all_of(s.begin(), s.end(), [](char32_t c) { return c < 0x80; }) || !FtfyIsBad(s))
    return std::u32string(s);
  bool latin1_possible = false;
  Bytes bytes;
  std::u32string decoded;
  for (size_t e = 0; e < ft::kEncodingsSize; ++e) {
    if (!EncodeIn(s, e, &bytes)) continue;
    if (e == 0) latin1_possible = true;
    if (std::strcmp(ft::kEncodings[e].name, "macroman") != 0) RestoreByteA0(&bytes);
    if (IsSloppy(e)) ReplaceLossySequences(&bytes);
    bool variants = std::find_if(bytes.begin(), bytes.end(),
                                 [](uint8_t b) { return b == 0xED || b == 0xC0; }) != bytes.end();
    if (DecodeStrict(bytes, variants, &decoded)) return decoded;
  }
  bool detector = false;
  for (size_t i = 0; i < s.size() && !detector; ++i) detector = DetectorAt(s, i) != i;
  if (detector) {
    std::u32string fixed = DecodeInconsistentUtf8(s);
    if (fixed != s) return fixed;
  }
  // ftfy then checks for "windows-1252" among the possible encodings, a name its list never
  // holds (it holds "sloppy-windows-1252"), so Latin-1 text is always re-read as Windows-1252.
  if (latin1_possible) {
    std::u32string fixed;
    bool ok = true;
    for (char32_t c : s) {
      if (c >= 0x80 && c <= 0xFF) {
        uint16_t w = ft::kWindows1252[c - 0x80];
        if (w == 0) {
          ok = false;
          break;
        }
        fixed.push_back(w);
      } else {
        fixed.push_back(c);
      }
    }
    if (ok && fixed != s) return fixed;
  }
  std::u32string c1(s);
  bool any = false;
  for (char32_t& c : c1) {
    if (c >= 0x80 && c <= 0x9F) {
      c = Sloppy1252().high[c - 0x80];
      any = true;
    }
  }
  if (any) return c1;
  return std::u32string(s);
}

}  // namespace

bool FtfyIsBad(std::u32string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (BadAt(s, i)) return true;
  }
  return false;
}

std::u32string FtfyFixEncoding(std::u32string_view text) {
  std::u32string cur(text);
  for (;;) {
    std::u32string next = FixEncodingOneStep(cur);
    if (next == cur) return next;
    cur = std::move(next);
  }
}

}  // namespace vidx
