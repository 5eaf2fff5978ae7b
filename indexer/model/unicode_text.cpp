#include "indexer/model/unicode_text.h"

#include <algorithm>
#include <cstdint>

#include "indexer/model/unicode_tables.h"

namespace vidx {
namespace unicode {
namespace {

namespace ut = unicode_tables;

bool InRanges(const ut::CodeRange* r, size_t n, char32_t c) {
  const ut::CodeRange* end = r + n;
  const ut::CodeRange* it =
      std::upper_bound(r, end, c, [](char32_t v, const ut::CodeRange& x) { return v < x.first; });
  return it != r && c <= (it - 1)->last;
}

// Binary search in a flat array of `stride`-sized records keyed by their first element.
const uint32_t* FindRecord(const uint32_t* a, size_t size, size_t stride, uint32_t key) {
  size_t lo = 0, hi = size / stride;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    uint32_t k = a[mid * stride];
    if (k == key) return a + mid * stride;
    if (k < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return nullptr;
}

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr int kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount;
constexpr int kSCount = kLCount * kNCount;

int Ccc(char32_t c) {
  if (c < 0x300) return 0;
  size_t lo = 0, hi = ut::kCombiningSize / 3;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const uint32_t* r = ut::kCombining + mid * 3;
    if (c < r[0])
      hi = mid;
    else if (c > r[1])
      lo = mid + 1;
    else
      return static_cast<int>(r[2]);
  }
  return 0;
}

// Primary composite of (a, b), or 0.
char32_t Compose(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  size_t lo = 0, hi = ut::kComposeSize / 3;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const uint32_t* r = ut::kCompose + mid * 3;
    if (r[0] == a && r[1] == b) return r[2];
    if (r[0] < a || (r[0] == a && r[1] < b))
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

void Decompose(char32_t c, std::u32string* out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    int s = static_cast<int>(c - kSBase);
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out->push_back(kTBase + s % kTCount);
    return;
  }
  const uint32_t* r = c < 0xC0 ? nullptr : FindRecord(ut::kDecomp, ut::kDecompSize, 3, c);
  if (r == nullptr) {
    out->push_back(c);
    return;
  }
  out->append(reinterpret_cast<const char32_t*>(ut::kDecompFlat + r[1]), r[2]);
}

bool CasedNotIgnorable(char32_t c) {
  return InRanges(ut::kCasedNotIgnorable, ut::kCasedNotIgnorableSize, c);
}
bool CaseIgnorable(char32_t c) { return InRanges(ut::kCaseIgnorable, ut::kCaseIgnorableSize, c); }

}  // namespace

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string EncodeUtf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) AppendUtf8(c, &out);
  return out;
}

std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t len;
    char32_t cp;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    // Maximal subpart: consume the valid prefix, emit one U+FFFD for it when incomplete.
    size_t k = 1;
    for (; k < len && i + k < n; ++k) {
      unsigned char b = p[i + k];
      unsigned char blo = k == 1 ? lo : 0x80, bhi = k == 1 ? hi : 0xBF;
      if (b < blo || b > bhi) break;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (k == len) {
      out.push_back(cp);
    } else {
      out.push_back(0xFFFD);
    }
    i += k;
  }
  return out;
}

bool IsLetter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  return InRanges(ut::kLetter, ut::kLetterSize, c);
}
bool IsNumber(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return InRanges(ut::kNumber, ut::kNumberSize, c);
}
bool IsRegexSpace(char32_t c) { return InRanges(ut::kRegexSpace, ut::kRegexSpaceSize, c); }
bool IsPySpace(char32_t c) { return InRanges(ut::kPySpace, ut::kPySpaceSize, c); }

char32_t FoldToAsciiLetter(char32_t c) {
  if (c < 0x80) {
    char32_t l = c | 0x20;
    return (l >= 'a' && l <= 'z') ? l : 0;
  }
  const uint32_t* r = FindRecord(ut::kFoldToAscii, ut::kFoldToAsciiSize, 2, c);
  return r ? r[1] : 0;
}

std::u32string Lower(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
      continue;
    }
    if (c == 0x3A3) {  // GREEK CAPITAL LETTER SIGMA: Final_Sigma context
      size_t j = i;
      while (j > 0 && CaseIgnorable(s[j - 1])) --j;
      bool final_sigma = j > 0 && CasedNotIgnorable(s[j - 1]);
      if (final_sigma) {
        size_t k = i + 1;
        while (k < s.size() && CaseIgnorable(s[k])) ++k;
        final_sigma = k == s.size() || !CasedNotIgnorable(s[k]);
      }
      out.push_back(final_sigma ? 0x3C2 : 0x3C3);
      continue;
    }
    const uint32_t* r = FindRecord(ut::kLower, ut::kLowerSize, 2, c);
    if (r) {
      out.push_back(r[1]);
      continue;
    }
    bool multi = false;
    for (size_t m = 0; m < ut::kLowerMultiSize; ++m) {
      if (ut::kLowerMulti[m].cp == c) {
        out += DecodeUtf8(ut::kLowerMulti[m].value);
        multi = true;
        break;
      }
    }
    if (!multi) out.push_back(c);
  }
  return out;
}

std::u32string Nfc(std::u32string_view s) {
  bool ascii = std::all_of(s.begin(), s.end(), [](char32_t c) { return c < 0x80; });
  if (ascii) return std::u32string(s);
  std::u32string d;
  d.reserve(s.size());
  for (char32_t c : s) Decompose(c, &d);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < d.size();) {
    if (Ccc(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && Ccc(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + i, d.begin() + j,
                     [](char32_t a, char32_t b) { return Ccc(a) < Ccc(b); });
    i = j;
  }
  // Canonical composition.
  std::u32string out;
  out.reserve(d.size());
  long starter = -1;
  int last_cc = 0;
  for (char32_t c : d) {
    int cc = Ccc(c);
    if (starter >= 0) {
      bool adjacent = static_cast<size_t>(starter) + 1 == out.size();
      bool blocked = !adjacent && (last_cc == 0 || last_cc >= cc);
      if (!blocked) {
        char32_t comp = Compose(out[starter], c);
        if (comp != 0) {
          out[starter] = comp;
          continue;
        }
      }
    }
    if (cc == 0) starter = static_cast<long>(out.size());
    out.push_back(c);
    last_cc = cc;
  }
  return out;
}

std::u32string Strip(std::u32string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsPySpace(s[b])) ++b;
  while (e > b && IsPySpace(s[e - 1])) --e;
  return std::u32string(s.substr(b, e - b));
}

}  // namespace unicode
}  // namespace vidx
