// Unicode helpers for the CLIP tokenizer, matching Python's str semantics (see
// unicode_tables.h for where each table comes from).
//
// Text is handled as std::u32string of code points. Decoding from UTF-8 never fails: each
// maximal invalid subsequence becomes U+FFFD, as Python's bytes.decode("utf-8", "replace").
// Stateless; safe from any thread.
#ifndef VIDX_INDEXER_MODEL_UNICODE_TEXT_H_
#define VIDX_INDEXER_MODEL_UNICODE_TEXT_H_

#include <string>
#include <string_view>

namespace vidx {
namespace unicode {

std::u32string DecodeUtf8(std::string_view s);
std::string EncodeUtf8(std::u32string_view s);
void AppendUtf8(char32_t cp, std::string* out);

bool IsLetter(char32_t c);      // regex \p{L}
bool IsNumber(char32_t c);      // regex \p{N}
bool IsRegexSpace(char32_t c);  // regex \s
bool IsPySpace(char32_t c);     // str.isspace
// The ASCII lowercase letter `c` matches under regex IGNORECASE, or 0 when none.
char32_t FoldToAsciiLetter(char32_t c);

std::u32string Lower(std::u32string_view s);  // str.lower(), Final_Sigma included
std::u32string Nfc(std::u32string_view s);    // unicodedata.normalize("NFC", s)
std::u32string Strip(std::u32string_view s);  // str.strip()

}  // namespace unicode
}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_UNICODE_TEXT_H_
