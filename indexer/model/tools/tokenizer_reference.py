#!/usr/bin/env python3
"""Writes the tokenizer parity corpus: >= 2000 seeded strings and open_clip's ids for each.

    .venv/bin/python indexer/model/tools/tokenizer_reference.py --bpe ../shared/data/clip/bpe_simple_vocab_16e6.txt.gz \
        --out build/tokenizer_corpus.json [--hf-dir build/tokenizer_hf]

JSON: {"context_length": 77, "cases": [{"text": str, "ids": [...77 ints...],
       "unpadded": [...], "mojibake": bool, "control": bool}]}.
"ids" are open_clip's except for text spelling open_clip's own special token names
("<start_of_text>", "<end_of_text>"): open_clip emits the control id for those, vidx never does,
so "ids" are what open_clip gives when that shortcut is taken away (the pre-token is BPE-encoded
like any other), and "control": true marks the strings where that changes the ids. "mojibake"
marks strings whose ftfy.fix_text result depends on fix_encoding (the mojibake repair). With
--hf-dir, also writes the same vocabulary as Hugging Face vocab.json + merges.txt.
"""
import argparse
import json
import os
import random

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs)
from open_clip.tokenizer import SimpleTokenizer

WORDS = ("a photo of the cat dog running on beach at night red car city street people "
         "playing football man woman child sunset mountain river boat kitchen cooking "
         "don't it's we're they've I'm you'll he'd Rock'n'Roll O'Neil").split()
ACCENTED = "éèêëàâäôöûüçñÉÈÀÇÑßøåæœÆŒłśżźąęčšžřůőűİıſǅǈǋĳﬁﬂﬃﬅﬆ"
CJK = "日本語の写真猫犬中文字한국어사진ひらがなカタカナ"
SCRIPTS = "Ελληνικά ΟΔΟΣ Σίσυφος русский текст עברית العربية हिन्दी ไทย ქართული"
EMOJI = "😀🐈🐕🚗🌅🎉👍🏽👨‍👩‍👧❤️✔️🇫🇷"
ENTITIES = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x27;", "&nbsp;", "&eacute;",
            "&amp;amp;", "&amp;eacute;", "&NTILDE;", "&copy", "&notin;", "&notit;", "&#128512;",
            "&#0;", "&#x110000;", "&#xD800;", "&#150;", "&hellip;", "&unknown;", "&#;", "&"]
QUOTES = "‘’‚‛“”„‟ʼ«»"
FULLWIDTH = "ＡＢＣａｂｃ０１２！？（）　ｶﾀｶﾅ"
CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x80\x85\x92\x9f\u200b\u200d\u2028\u2029\ufeff\r\n\t\x1c\x1d"
SPACES = " \t\n\r\u00a0\u2003\u3000\u1680\x1f"
PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~…–—·•§¶"
DIGITS = "0123456789٣४௫½²Ⅻ"
COMBINING = "\u0301\u0300\u0308\u0327\u0323\u031b"


def rand_piece(rng):
    kind = rng.randrange(14)
    if kind == 0:
        return rng.choice(WORDS)
    if kind == 1:
        w = rng.choice(WORDS)
        return w.upper() if rng.random() < 0.5 else w.capitalize()
    if kind == 2:
        return "".join(rng.choice(ACCENTED) for _ in range(rng.randint(1, 5)))
    if kind == 3:
        return "".join(rng.choice(CJK) for _ in range(rng.randint(1, 6)))
    if kind == 4:
        return rng.choice(SCRIPTS.split())
    if kind == 5:
        return rng.choice(EMOJI)
    if kind == 6:
        return rng.choice(ENTITIES)
    if kind == 7:
        return rng.choice(QUOTES) + rng.choice(WORDS) + rng.choice(QUOTES)
    if kind == 8:
        return "".join(rng.choice(FULLWIDTH) for _ in range(rng.randint(1, 4)))
    if kind == 9:
        return rng.choice(CONTROL)
    if kind == 10:
        return "".join(rng.choice(PUNCT) for _ in range(rng.randint(1, 4)))
    if kind == 11:
        return "".join(rng.choice(DIGITS) for _ in range(rng.randint(1, 6)))
    if kind == 12:
        return rng.choice("aeouAEOUnc") + rng.choice(COMBINING)
    return chr(rng.choice([rng.randint(0x20, 0x7e), rng.randint(0xa0, 0x24f),
                           rng.randint(0x370, 0x3ff), rng.randint(0x2000, 0x2bff),
                           rng.randint(0x3000, 0x9fff), rng.randint(0x1f300, 0x1faff)]))


# Mojibake: real text whose UTF-8 was decoded in a single-byte encoding (the encodings ftfy
# tries), sometimes twice, with A0 bytes turned to spaces, with lost bytes as U+FFFD, or
# embedded in correct text; and legitimate text made of the same characters.
MOJI_SOURCES = ["café", "naïve", "Über", "São Paulo", "crème brûlée", "Ελληνικά", "русский",
                "Привет мир", "日本語", "中文", "한국어", "😀", "🐕 dog", "doesn’t", "“quoted”",
                "– en dash", "…", "Łódź", "Český", "İstanbul", "Straße", "ñandú", "€100",
                "à la carte", "¿qué?", "façade", "Ærø", "Œuvre", "ツ", "العربية", "עברית", "ß",
                "voilà le travail", "fàcil", "àquele", "\u00a0nbsp", "½ cup", "©2024", "™"]
MOJI_ENCODINGS = ["latin-1", "sloppy-windows-1252", "sloppy-windows-1251", "sloppy-windows-1250",
                  "sloppy-windows-1253", "sloppy-windows-1254", "iso-8859-2", "macroman", "cp437",
                  "windows-1252"]
LEGIT = ["ÃO", "São Paulo", "naïve café", "Über", "¯\\_(ツ)_/¯", "(╯°□°)╯︵ ┻━┻", "€5 £3 ¥7",
         "100°C ±2", "Ω≈ç√∫", "Ñandú", "Øre", "œuvre", "Œ!", "à la carte", "ÂÂ", "×²", "Ã ",
         "Ã", "Â ", "a Â b", "x Ã€", "ÃÃÃ", "Î¿", "Ð°", "Ø§Ø", "√±", "‚Äî", "вЂ", "β€™",
         "ГўВЂВ™a", "ŒA", "Ã¡", "Ã\xa0", "\x80\x81\x9d", "\x85", "Â\xa0", "fÃ cil",
         "Ã quele", "Ã s ", "Ã  x"]


def mojibake(rng):
    text = rng.choice(MOJI_SOURCES)
    enc = rng.choice(MOJI_ENCODINGS)
    try:
        bad = text.encode("utf-8").decode(enc, errors="replace")
        if rng.random() < 0.2:
            bad = bad.encode("utf-8").decode(rng.choice(MOJI_ENCODINGS[:2]), errors="replace")
    except (UnicodeDecodeError, UnicodeEncodeError):
        bad = text
    r = rng.random()
    if r < 0.15:
        bad = bad.replace("\xa0", " ")
    elif r < 0.25:
        bad = "".join("\ufffd" if ord(c) in range(0x80, 0xa0) else c for c in bad)
    elif r < 0.35:
        bad = rng.choice(MOJI_SOURCES) + " " + bad
    elif r < 0.45:
        bad = bad + rng.choice(["", " ", "?", "\ufffd", "\n", "&amp;"]) + rng.choice(WORDS)
    return bad


def random_latin(rng):
    """Strings of the characters mojibake is made of, to exercise the badness heuristic."""
    chars = [chr(c) for c in range(0xa0, 0x180)] + list("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ ΑΒΓΟабвгВГРС")
    chars += list("│┌┐┘├┤┬┼═║▀▄█░▒▓≈√∂∆∏∑∞∩∫≠≡≤≥№ﬁﬂ") + ["\x80", "\x9f", " ", "a", "Z"]
    return "".join(rng.choice(chars) for _ in range(rng.randint(1, 6)))


def ftfy_corpus(n, seed):
    rng = random.Random(seed + 1)
    out = list(LEGIT)
    while len(out) < n:
        k = rng.randrange(3)
        out.append(mojibake(rng) if k < 2 else random_latin(rng))
    return out


def make_corpus(n, seed):
    rng = random.Random(seed)
    fixed = ["", " ", "   \t\n ", "a photo of a cat", "A PHOTO OF A CAT", "a dog running on a beach",
             "<start_of_text>hello<end_of_text>", "<START_OF_TEXT>", "x<end_of_text>y",
             "<|startoftext|>", "it's they're we've I'm you'll he'd", "'s's'S",
             "Ｔｈｅ　ｃａｔ", "“quoted” ‘single’", "caf\u0065\u0301", "ΟΔΟΣ ΣΑΣ Σ.",
             "\x1b[31mred\x1b[0m text", "line1\r\nline2\rline3", "&lt;b&gt;bold&lt;/b&gt;",
             "<b>&amp;</b>", "&amp;lt;", "\ufb01ne ﬂower", "İstanbul", "'ſ <ſtart_of_text>",
             "a" * 300, "word " * 120, "😀" * 50, "日本" * 100, "1234567890" * 20,
             "a <|endoftext|> b", "<|startoftext|>dog", "<|endoftext|>", "<|ENDOFTEXT|>",
             "dog<|endoftext|><|endoftext|>", "&lt;|endoftext|&gt;", "<end_of_text> x",
             "x<|startoftext|>y<|endoftext|>", "<START_of_text>", "< end_of_text >",
             "cafÃ©", "cafÃ© olÃ©", "The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows.",
             "ÐŸÑ€Ð¸Ð²ÐµÑ‚", "æ—¥æœ¬èªž", "â€œquotedâ€\x9d", "voilÃ  le travail", "SÃ£o Paulo",
             "Ã¼ber cafe", "naÃ¯ve", "crÃ¨me brÃ»lÃ©e", "Ã°Å¸â€¢ dog"]
    rng_m = random.Random(seed + 2)
    fixed += [mojibake(rng_m) for _ in range(120)]
    out = list(fixed)
    while len(out) < n:
        pieces = [rand_piece(rng) for _ in range(rng.choice([1, 2, 3, 5, 8, 13, 30]))]
        sep = rng.choice(["", " ", " ", "  ", "\n", "\t"])
        out.append(sep.join(pieces))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpe", default="../shared/data/clip/bpe_simple_vocab_16e6.txt.gz")
    ap.add_argument("--out", required=True)
    ap.add_argument("--hf-dir")
    ap.add_argument("--count", type=int, default=2400)
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args()
    tok = SimpleTokenizer(bpe_path=args.bpe)
    literal = SimpleTokenizer(bpe_path=args.bpe)
    cases = []
    for text in make_corpus(args.count, args.seed):
        reference = tok.encode(text)
        literal.cache = {}  # no special-token shortcut: every pre-token goes through BPE
        unpadded = literal.encode(text)
        ids = [tok.sot_token_id] + unpadded + [tok.eot_token_id]
        if len(ids) > 77:
            ids = ids[:77]
            ids[-1] = tok.eot_token_id
        ids += [0] * (77 - len(ids))
        control = reference != unpadded
        assert control or ids == tok(text)[0].tolist()
        assert control == any(i in tok.all_special_ids for i in reference)
        cases.append({"text": text, "ids": ids, "unpadded": unpadded, "control": control,
                      "mojibake": ftfy.fix_text(text) != ftfy.fix_text(text, fix_encoding=False)})
    ftfy_cases = [{"text": t, "fixed": ftfy.fix_text(t)} for t in ftfy_corpus(3000, args.seed)]
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"context_length": 77, "cases": cases, "ftfy": ftfy_cases}, f,
                  ensure_ascii=True)
    os.replace(tmp, args.out)
    if args.hf_dir:
        os.makedirs(args.hf_dir, exist_ok=True)
        vocab = {k: v for k, v in tok.encoder.items()}
        vocab["<|startoftext|>"] = vocab.pop("<start_of_text>")
        vocab["<|endoftext|>"] = vocab.pop("<end_of_text>")
        with open(os.path.join(args.hf_dir, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump(vocab, f, ensure_ascii=False)
        merges = sorted(tok.bpe_ranks.items(), key=lambda kv: kv[1])
        with open(os.path.join(args.hf_dir, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n")
            for (a, b), _ in merges:
                f.write(f"{a} {b}\n")
    print(f"{len(cases)} cases, {sum(c['mojibake'] for c in cases)} that ftfy re-decodes, "
          f"{sum(c['control'] for c in cases)} where open_clip would emit a control id")


if __name__ == "__main__":
    main()
