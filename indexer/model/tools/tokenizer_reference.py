#!/usr/bin/env python3
"""Writes the tokenizer parity corpus: >= 2000 seeded strings and open_clip's ids for each.

    .venv/bin/python indexer/model/tools/tokenizer_reference.py --bpe ../shared/data/clip/bpe_simple_vocab_16e6.txt.gz \
        --out build/tokenizer_corpus.json [--hf-dir build/tokenizer_hf]

JSON: {"context_length": 77, "cases": [{"text": str, "ids": [...77 ints...],
       "unpadded": [...], "mojibake": bool}]}. "mojibake" marks strings whose ftfy.fix_text
result depends on fix_encoding (vidx does not implement mojibake repair). With --hf-dir, also writes the
same vocabulary as Hugging Face vocab.json + merges.txt.
"""
import argparse
import json
import os
import random

import ftfy
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


def make_corpus(n, seed):
    rng = random.Random(seed)
    fixed = ["", " ", "   \t\n ", "a photo of a cat", "A PHOTO OF A CAT", "a dog running on a beach",
             "<start_of_text>hello<end_of_text>", "<START_OF_TEXT>", "x<end_of_text>y",
             "<|startoftext|>", "it's they're we've I'm you'll he'd", "'s's'S",
             "Ｔｈｅ　ｃａｔ", "“quoted” ‘single’", "caf\u0065\u0301", "ΟΔΟΣ ΣΑΣ Σ.",
             "\x1b[31mred\x1b[0m text", "line1\r\nline2\rline3", "&lt;b&gt;bold&lt;/b&gt;",
             "<b>&amp;</b>", "&amp;lt;", "\ufb01ne ﬂower", "İstanbul", "'ſ <ſtart_of_text>",
             "a" * 300, "word " * 120, "😀" * 50, "日本" * 100, "1234567890" * 20]
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
    cases = []
    for text in make_corpus(args.count, args.seed):
        unpadded = tok.encode(text)
        ids = [tok.sot_token_id] + unpadded + [tok.eot_token_id]
        if len(ids) > 77:
            ids = ids[:77]
            ids[-1] = tok.eot_token_id
        ids += [0] * (77 - len(ids))
        assert ids == tok(text)[0].tolist()
        cases.append({"text": text, "ids": ids, "unpadded": unpadded,
                      "mojibake": ftfy.fix_text(text) != ftfy.fix_text(text, fix_encoding=False)})
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"context_length": 77, "cases": cases}, f, ensure_ascii=True)
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
    print(f"{len(cases)} cases, {sum(c['mojibake'] for c in cases)} that ftfy re-decodes")


if __name__ == "__main__":
    main()
