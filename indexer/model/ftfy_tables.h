// Generated character facts for ftfy's mojibake repair (see indexer/model/tools/gen_ftfy_tables.py,
// which writes ftfy_tables.cpp from the Python reference environment). Immutable; safe from any
// thread.
#ifndef VIDX_INDEXER_MODEL_FTFY_TABLES_H_
#define VIDX_INDEXER_MODEL_FTFY_TABLES_H_

#include <cstddef>
#include <cstdint>

namespace vidx {
namespace ftfy_tables {

// One bit per character category of ftfy.badness.MOJIBAKE_CATEGORIES and
// ftfy.chardata.UTF8_CLUES, in the generator's order.
enum CharClassBit : uint32_t {
  kCommon = 1u << 0,
  kC1 = 1u << 1,
  kBad = 1u << 2,
  kCurrency = 1u << 3,
  kStartPunct = 1u << 4,
  kEndPunct = 1u << 5,
  kNumeric = 1u << 6,
  kKaomoji = 1u << 7,
  kUpperAccented = 1u << 8,
  kLowerAccented = 1u << 9,
  kUpperCommon = 1u << 10,
  kLowerCommon = 1u << 11,
  kBox = 1u << 12,
  kUtf8First2 = 1u << 13,
  kUtf8First3 = 1u << 14,
  kUtf8First4 = 1u << 15,
  kUtf8Continuation = 1u << 16,
  kUtf8ContinuationStrict = 1u << 17,
};

struct CharClass {
  uint32_t cp;
  uint32_t mask;
};
// Sorted by cp; code points absent have no category.
extern const CharClass kCharClasses[];
extern const size_t kCharClassesSize;

// A single-byte encoding ftfy tries, in its order: what bytes 0x80..0xFF decode to, and what
// byte 0x1A decodes to (U+FFFD in the sloppy codecs, which encode U+FFFD as 0x1A).
struct SingleByteEncoding {
  const char* name;
  uint32_t sub;
  uint16_t high[128];
};
extern const SingleByteEncoding kEncodings[];
extern const size_t kEncodingsSize;
// Strict Windows-1252 for bytes 0x80..0xFF; 0 where the byte is undefined.
extern const uint16_t kWindows1252[128];

}  // namespace ftfy_tables
}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_FTFY_TABLES_H_
