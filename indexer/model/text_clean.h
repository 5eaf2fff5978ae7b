// Text cleaning for the CLIP tokenizer, as open_clip's SimpleTokenizer does it ("lower"):
//   ftfy.fix_text -> html.unescape twice -> strip -> collapse regex \s+ to " " -> strip -> lower.
//
// FtfyFixText reproduces ftfy 6.2 fix_text with its default configuration: per-line segments,
// HTML entities ("auto": not in a segment or after a segment containing '<'), mojibake repair
// (fix_encoding, ftfy_encoding.h: "cafÃ©" -> "café"), C1 controls as Windows-1252, Latin
// ligatures, full/half width, curly quotes, line breaks, terminal escapes, control characters,
// NFC — repeated until nothing changes. Not done: fix_surrogates (text decoded from UTF-8 holds
// no surrogates).
//
// Pure functions; safe from any thread.
#ifndef VIDX_INDEXER_MODEL_TEXT_CLEAN_H_
#define VIDX_INDEXER_MODEL_TEXT_CLEAN_H_

#include <string>
#include <string_view>

namespace vidx {

std::u32string FtfyFixText(std::u32string_view text);
// Python's html.unescape.
std::u32string HtmlUnescape(std::u32string_view text);
// The whole open_clip "lower" cleaning of UTF-8 input (invalid bytes become U+FFFD).
std::u32string CleanTextForClip(std::string_view utf8);

}  // namespace vidx

#endif  // VIDX_INDEXER_MODEL_TEXT_CLEAN_H_
