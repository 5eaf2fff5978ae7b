// ftfy's mojibake repair (ftfy 6.2 fix_encoding with its default configuration), used by the
// CLIP text cleaning (text_clean.h) so that "cafÃ©" is read as "café", as open_clip does.
//
// One step, repeated until the text stops changing:
//   1. Text that is ASCII, or that ftfy's badness heuristic does not flag (the guard against
//      false positives: sequences of characters that are rare in real text but typical of
//      UTF-8 read in a single-byte encoding, e.g. "Ã©", "â€™", "Ð¿"), is left alone.
//   2. For each single-byte encoding ftfy tries, in its order (Latin-1, sloppy Windows-1252,
//      -1251, -1250, -1253, -1254, ISO-8859-2, MacRoman, CP437): when the text can be encoded
//      in it, encode; put back A0 bytes that became spaces (restore_byte_a0, not for
//      MacRoman); in the sloppy encodings turn sequences with lost bytes (U+FFFD) into one
//      U+FFFD (replace_lossy_sequences); decode as UTF-8 (CESU-8 pairs and C0 80 allowed when
//      present). The first that decodes wins.
//   3. Else, runs that look like UTF-8 mojibake inside otherwise good text are repaired on
//      their own (decode_inconsistent_utf8).
//   4. Else, Latin-1 text with C1 controls is re-read as strict Windows-1252, and remaining C1
//      controls become their Windows-1252 characters (fix_c1_controls).
// Not covered: fix_surrogates (UTF-8 input has no surrogates) and the other fixes of
// fix_text, which text_clean.cpp does.
//
// Pure functions; safe from any thread.
#ifndef VIDX_INDEXER_MODEL_FTFY_ENCODING_H_
#define VIDX_INDEXER_MODEL_FTFY_ENCODING_H_

#include <string>
#include <string_view>

namespace vidx {

// ftfy.fix_encoding(text).
std::u32string FtfyFixEncoding(std::u32string_view text);
// ftfy.badness.is_bad(text): whether the text looks like it contains mojibake.
bool FtfyIsBad(std::u32string_view text);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_FTFY_ENCODING_H_
