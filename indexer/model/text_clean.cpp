#include "indexer/model/text_clean.h"

#include <algorithm>
#include <cstring>

#include "indexer/model/ftfy_encoding.h"
#include "indexer/model/unicode_tables.h"
#include "indexer/model/unicode_text.h"

namespace vidx {
namespace {

namespace ut = unicode_tables;

// Value of `key` (UTF-8, ASCII in practice) in a sorted StringPair table, or nullptr.
const char* LookupString(const ut::StringPair* t, size_t n, const std::string& key) {
  const ut::StringPair* end = t + n;
  const ut::StringPair* it =
      std::lower_bound(t, end, key, [](const ut::StringPair& p, const std::string& k) {
        return std::strcmp(p.key, k.c_str()) < 0;
      });
  if (it != end && key == it->key) return it->value;
  return nullptr;
}

const char* LookupCp(const ut::CodePointString* t, size_t n, char32_t c) {
  const ut::CodePointString* end = t + n;
  const ut::CodePointString* it = std::lower_bound(
      t, end, c, [](const ut::CodePointString& p, char32_t k) { return p.cp < k; });
  if (it != end && it->cp == c) return it->value;
  return nullptr;
}

bool InRanges(const ut::CodeRange* r, size_t n, char32_t c) {
  for (size_t i = 0; i < n; ++i) {
    if (c < r[i].first) return false;
    if (c <= r[i].last) return true;
  }
  return false;
}

bool IsAsciiAlnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsHex(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string AsciiKey(std::u32string_view s) {
  std::string k;
  for (char32_t c : s) unicode::AppendUtf8(c, &k);
  return k;
}

// Numeric character reference value per html._replace_charref, appended to out.
void AppendCharref(std::u32string_view digits, bool hex, std::u32string* out) {
  // Values past U+10FFFF all behave alike; saturate instead of overflowing.
  uint64_t num = 0;
  for (char32_t c : digits) {
    uint32_t d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    num = num * (hex ? 16 : 10) + d;
    if (num > 0x10FFFF) num = 0x110000;
  }
  if (const char* v = LookupCp(ut::kHtmlInvalidCharrefs, ut::kHtmlInvalidCharrefsSize,
                               static_cast<char32_t>(num))) {
    *out += unicode::DecodeUtf8(v);
    return;
  }
  if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
    out->push_back(0xFFFD);
    return;
  }
  if (std::binary_search(ut::kHtmlInvalidCodepoints,
                         ut::kHtmlInvalidCodepoints + ut::kHtmlInvalidCodepointsSize,
                         static_cast<uint32_t>(num))) {
    return;
  }
  out->push_back(static_cast<char32_t>(num));
}

// ftfy.fixes.unescape_html: "&#?[0-9A-Za-z]{1,24};" replaced when it is a known entity.
std::u32string FtfyUnescape(std::u32string_view s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    size_t j = i + 1;
    bool numeric = j < s.size() && s[j] == '#';
    if (numeric) ++j;
    size_t k = j;
    while (k < s.size() && IsAsciiAlnum(s[k])) ++k;
    size_t run = k - j;
    if (run < 1 || run > 24 || k >= s.size() || s[k] != ';') {
      out.push_back(s[i++]);
      continue;
    }
    std::u32string_view match = s.substr(i, k + 1 - i);
    std::string key = AsciiKey(match.substr(1));
    const char* v =
        numeric ? nullptr : LookupString(ut::kHtml5Entities, ut::kHtml5EntitiesSize, key);
    if (!numeric && v == nullptr) {
      v = LookupString(ut::kFtfyUpperEntities, ut::kFtfyUpperEntitiesSize, key);
    }
    if (v != nullptr) {
      out += unicode::DecodeUtf8(v);
    } else if (numeric) {
      std::u32string un = HtmlUnescape(match);
      if (un.find(U';') != std::u32string::npos)
        out += match;
      else
        out += un;
    } else {
      out += match;
    }
    i = k + 1;
  }
  return out;
}

std::u32string Translate(std::u32string_view s, const ut::CodePointString* t, size_t n) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    const char* v = LookupCp(t, n, c);
    if (v)
      out += unicode::DecodeUtf8(v);
    else
      out.push_back(c);
  }
  return out;
}

std::u32string FixSegmentOnce(std::u32string text, bool unescape) {
  if (unescape) text = FtfyUnescape(text);
  text = FtfyFixEncoding(text);
  text = Translate(text, ut::kFtfyC1, ut::kFtfyC1Size);
  text = Translate(text, ut::kFtfyLigatures, ut::kFtfyLigaturesSize);
  text = Translate(text, ut::kFtfyWidth, ut::kFtfyWidthSize);
  std::u32string t;
  t.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t c = text[i];
    if (c == 0x2BC || (c >= 0x2018 && c <= 0x201B))
      c = '\'';  // uncurl_quotes
    else if (c >= 0x201C && c <= 0x201F)
      c = '"';
    if (c == '\r') {  // fix_line_breaks
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      c = '\n';
    } else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
      c = '\n';
    }
    t.push_back(c);
  }
  // remove_terminal_escapes: "\033\[((?:\d|;)*)([a-zA-Z])"
  std::u32string u;
  u.reserve(t.size());
  for (size_t i = 0; i < t.size();) {
    if (t[i] == 0x1B && i + 1 < t.size() && t[i + 1] == '[') {
      size_t j = i + 2;
      while (j < t.size() && (t[j] == ';' || InRanges(ut::kReDigit, ut::kReDigitSize, t[j]))) ++j;
      if (j < t.size() && t[j] < 0x80 && ((t[j] | 0x20) >= 'a' && (t[j] | 0x20) <= 'z')) {
        i = j + 1;
        continue;
      }
    }
    u.push_back(t[i++]);
  }
  // remove_control_chars
  std::u32string v;
  v.reserve(u.size());
  for (char32_t c : u) {
    if (!std::binary_search(ut::kFtfyControl, ut::kFtfyControl + ut::kFtfyControlSize,
                            static_cast<uint32_t>(c))) {
      v.push_back(c);
    }
  }
  return unicode::Nfc(v);
}

std::u32string FixSegment(std::u32string text, bool unescape) {
  for (;;) {
    std::u32string next = FixSegmentOnce(text, unescape);
    if (next == text) return next;
    text = std::move(next);
  }
}

}  // namespace

std::u32string HtmlUnescape(std::u32string_view s) {
  if (s.find(U'&') == std::u32string_view::npos) return std::u32string(s);
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&' || i + 1 >= s.size()) {
      out.push_back(s[i++]);
      continue;
    }
    size_t j = i + 1;
    if (s[j] == '#') {
      bool hex = j + 1 < s.size() && (s[j + 1] == 'x' || s[j + 1] == 'X');
      size_t d = j + (hex ? 2 : 1);
      size_t k = d;
      while (k < s.size() && (hex ? IsHex(s[k]) : (s[k] >= '0' && s[k] <= '9'))) ++k;
      if (k == d) {  // "&#" or "&#x" without digits: no match ("&#x" tries decimal: none)
        out.push_back(s[i++]);
        continue;
      }
      AppendCharref(s.substr(d, k - d), hex, &out);
      if (k < s.size() && s[k] == ';') ++k;
      i = k;
      continue;
    }
    // Named: [^\t\n\f <&#;]{1,32};?
    size_t k = j;
    while (k < s.size() && k - j < 32) {
      char32_t c = s[k];
      if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' ||
          c == ';') {
        break;
      }
      ++k;
    }
    if (k == j) {
      out.push_back(s[i++]);
      continue;
    }
    if (k < s.size() && s[k] == ';') ++k;
    std::u32string_view name = s.substr(j, k - j);
    std::string key = AsciiKey(name);
    if (const char* v = LookupString(ut::kHtml5Entities, ut::kHtml5EntitiesSize, key)) {
      out += unicode::DecodeUtf8(v);
    } else {
      bool found = false;
      for (size_t x = name.size() - 1; x > 1; --x) {
        std::string pk = AsciiKey(name.substr(0, x));
        if (const char* pv = LookupString(ut::kHtml5Entities, ut::kHtml5EntitiesSize, pk)) {
          out += unicode::DecodeUtf8(pv);
          out += name.substr(x);
          found = true;
          break;
        }
      }
      if (!found) {
        out.push_back('&');
        out += name;
      }
    }
    i = k;
  }
  return out;
}

std::u32string FtfyFixText(std::u32string_view text) {
  constexpr size_t kMaxDecodeLength = 1000000;
  std::u32string out;
  bool unescape = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t brk = text.find(U'\n', pos);
    brk = brk == std::u32string_view::npos ? text.size() : brk + 1;
    if (brk - pos > kMaxDecodeLength) brk = pos + kMaxDecodeLength;
    std::u32string_view seg = text.substr(pos, brk - pos);
    if (unescape && seg.find(U'<') != std::u32string_view::npos) unescape = false;
    out += FixSegment(std::u32string(seg), unescape);
    pos = brk;
  }
  return out;
}

std::u32string CleanTextForClip(std::string_view utf8) {
  std::u32string t = FtfyFixText(unicode::DecodeUtf8(utf8));
  t = unicode::Strip(HtmlUnescape(HtmlUnescape(t)));
  std::u32string w;
  w.reserve(t.size());
  for (size_t i = 0; i < t.size();) {
    if (unicode::IsRegexSpace(t[i])) {
      while (i < t.size() && unicode::IsRegexSpace(t[i])) ++i;
      w.push_back(' ');
    } else {
      w.push_back(t[i++]);
    }
  }
  return unicode::Lower(unicode::Strip(w));
}

}  // namespace vidx
