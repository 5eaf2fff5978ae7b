// Generated Unicode and HTML fact tables (see indexer/model/tools/gen_unicode_tables.py, which
// writes unicode_tables.cpp from the Python reference environment). Every table is sorted by its
// first field so that lookups are binary searches. Immutable; safe from any thread.
#ifndef VIDX_INDEXER_MODEL_UNICODE_TABLES_H_
#define VIDX_INDEXER_MODEL_UNICODE_TABLES_H_

#include <cstddef>
#include <cstdint>

namespace vidx {
namespace unicode_tables {

struct CodeRange {
  uint32_t first;
  uint32_t last;  // inclusive
};
struct StringPair {
  const char* key;    // UTF-8
  const char* value;  // UTF-8
};
struct CodePointString {
  uint32_t cp;
  const char* value;  // UTF-8
};

#define VIDX_UT_DECLARE(type, name) \
  extern const type name[];         \
  extern const size_t name##Size

VIDX_UT_DECLARE(CodeRange, kLetter);      // regex \p{L}
VIDX_UT_DECLARE(CodeRange, kNumber);      // regex \p{N}
VIDX_UT_DECLARE(CodeRange, kRegexSpace);  // regex \s
VIDX_UT_DECLARE(CodeRange, kPySpace);     // str.isspace (str.strip)
VIDX_UT_DECLARE(CodeRange, kReDigit);     // Python re \d
VIDX_UT_DECLARE(uint32_t, kFoldToAscii);  // pairs: cp, ASCII letter it matches under IGNORECASE
VIDX_UT_DECLARE(uint32_t, kLower);        // pairs: cp, str.lower() of it (one code point)
VIDX_UT_DECLARE(CodePointString, kLowerMulti);
VIDX_UT_DECLARE(CodeRange, kCasedNotIgnorable);  // str.lower() Final_Sigma: cased letters
VIDX_UT_DECLARE(
    CodeRange,
    kCaseIgnorable);  // ... and what it skips over  // str.lower() of several code points
VIDX_UT_DECLARE(uint32_t, kDecomp);           // triples: cp, offset into kDecompFlat, length
VIDX_UT_DECLARE(uint32_t, kDecompFlat);       // full canonical decompositions (NFD)
VIDX_UT_DECLARE(uint32_t, kCompose);          // triples: first, second, primary composite
VIDX_UT_DECLARE(uint32_t, kCombining);        // triples: first, last, canonical combining class
VIDX_UT_DECLARE(StringPair, kHtml5Entities);  // html.entities.html5
VIDX_UT_DECLARE(CodePointString, kHtmlInvalidCharrefs);  // html._invalid_charrefs
VIDX_UT_DECLARE(uint32_t, kHtmlInvalidCodepoints);       // html._invalid_codepoints
VIDX_UT_DECLARE(StringPair, kFtfyUpperEntities);         // ftfy's extra "NTILDE;" -> "Ñ" entities
VIDX_UT_DECLARE(CodePointString, kFtfyLigatures);
VIDX_UT_DECLARE(CodePointString, kFtfyWidth);
VIDX_UT_DECLARE(CodePointString, kFtfyC1);  // C1 controls as sloppy-windows-1252
VIDX_UT_DECLARE(uint32_t, kFtfyControl);    // code points ftfy removes

#undef VIDX_UT_DECLARE

}  // namespace unicode_tables
}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_UNICODE_TABLES_H_
