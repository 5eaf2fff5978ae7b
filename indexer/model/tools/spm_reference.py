#!/usr/bin/env python3
"""Writes the SentencePiece tokenizer parity fixture.

    .venv/bin/python indexer/model/tools/spm_reference.py --out-dir build/spm_tokenizers

Trains two small SentencePiece models with SentencePiece's own trainer (an English-only unigram
model laid out like SigLIP's spiece.model, and a multilingual byte-fallback BPE model laid out
like Gemma's tokenizer.model), saves Hugging Face tokenizer directories from them with
transformers' SiglipTokenizer and GemmaTokenizer (save_pretrained), and writes
OUT_DIR/expected.json with transformers' ids for a seeded corpus of strings:

  {"context_length": 64, "texts": [...],
   "tokenizers": {NAME: {"dir": "NAME", "class": ..., "ids": [[...]], "padded": [[...]],
                         "default_ids": {"INDEX": [...]}}}}

"ids" are tokenizer(text)["input_ids"] and "padded" tokenizer(text, padding="max_length",
truncation=True, max_length=64)["input_ids"], both with split_special_tokens=True: text that
spells a special token ("</s>", "<pad>", ...) stays text. "default_ids" lists, by corpus
index, the strings where transformers' default (special-token spellings become control ids)
gives other ids, so the test can show those are exactly the special-token spellings.
"""
import argparse
import json
import os
import random
import shutil
import tempfile

import sentencepiece as spm
from transformers import GemmaTokenizer, SiglipTokenizer

CONTEXT = 64

EN_WORDS = ("a photo of the cat dog running on beach at night red car city street people "
            "playing football man woman child sunset mountain river boat kitchen cooking "
            "snow bird flying over lake old house garden with flowers green tree jumping "
            "two children riding bicycles crowded market fireworks concert stage guitar").split()
ZH = "一只狗在海滩上奔跑夜晚的城市街道红色汽车孩子们在公园里玩耍山川河流厨房做饭猫"
JA = ["犬", "猫", "海辺", "を", "走る", "夜", "の", "街", "赤い", "車", "子供", "たち", "が",
      "公園", "で", "遊ぶ", "ひらがな", "カタカナ", "写真", "です"]
KO = ["개", "고양이", "해변을", "달리는", "밤의", "도시", "거리", "빨간", "자동차", "아이들",
      "공원에서", "노는", "사진", "입니다"]
AR = ["كلب", "قطة", "يركض", "على", "الشاطئ", "في", "الليل", "شارع", "المدينة", "سيارة",
      "حمراء", "أطفال", "يلعبون", "صورة"]
RU = ["собака", "кошка", "бежит", "по", "пляжу", "ночью", "улица", "города", "красная",
      "машина", "дети", "играют", "в", "парке", "фото", "Собака", "МОСКВА"]
EL = ["σκύλος", "γάτα", "τρέχει", "στην", "παραλία", "τη", "νύχτα", "δρόμος", "πόλης",
      "κόκκινο", "αυτοκίνητο", "παιδιά", "ΟΔΟΣ", "Σίσυφος", "φωτογραφία"]
DE = ["Hund", "Katze", "läuft", "am", "Strand", "Straße", "Größe", "über", "Bäume"]
EMOJI = ["😀", "🐈", "🐕", "🚗", "🌅", "🎉", "👍🏽", "👨‍👩‍👧", "❤️", "✔️", "🇫🇷", "🔥"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["…", "–", "—", "«", "»", "¿", "¡", "“", "”"]
SPECIALS = ["</s>", "<s>", "<pad>", "<unk>", "<eos>", "<bos>", "<mask>", "</S>", "<EOS>", "<PAD>",
            "< / s >", "<</s>>", "</s></s>", "<unk><unk>", "▁", "▁▁", "<0x41>", "<start_of_turn>"]
SPACES = [" ", "  ", "\t", "\n", "\u3000", "\u00a0", "\u2003", " \n ", "\r\n", "\x0b"]
OTHER = ["café", "cafe\u0301", "ﬁne", "Ｆｕｌｌｗｉｄｔｈ", "１２３", "2024", "3.14", "1,000,000",
         "İstanbul", "naïve", "Æsir", "ß", "ǅ", "\u200b", "\ufeff", "x\u0000y", "ΣΑΣ", "ς"]


def training_text(rng, multilingual):
    lines = []
    for _ in range(3000):
        words = [rng.choice(EN_WORDS) for _ in range(rng.randint(3, 12))]
        line = " ".join(words)
        if rng.random() < 0.3:
            line = line.capitalize() + rng.choice([".", "!", "?", ","])
        lines.append(line)
    if multilingual:
        for _ in range(4000):
            k = rng.randrange(7)
            if k == 0:
                lines.append("".join(rng.choice(ZH) for _ in range(rng.randint(4, 20))))
            elif k == 1:
                lines.append("".join(rng.choice(JA) for _ in range(rng.randint(3, 10))))
            else:
                pool = [KO, AR, RU, EL, DE, EMOJI][k - 2]
                lines.append(" ".join(rng.choice(pool) for _ in range(rng.randint(2, 10))))
    return lines


def train(path_prefix, lines, multilingual):
    corpus = path_prefix + ".txt"
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    common = dict(input=corpus, model_prefix=path_prefix, minloglevel=2, num_threads=1,
                  input_sentence_size=0, shuffle_input_sentence=False)
    if multilingual:
        # Gemma's layout: <pad> <eos> <bos> <unk>, byte fallback, no dummy prefix, identity
        # normalisation, digits split, whitespace kept as it is.
        spm.SentencePieceTrainer.train(
            **common, model_type="bpe", vocab_size=1200, hard_vocab_limit=False, character_coverage=0.9995,
            byte_fallback=True, split_digits=True, add_dummy_prefix=False,
            normalization_rule_name="identity", remove_extra_whitespaces=False,
            allow_whitespace_only_pieces=True, pad_id=0, eos_id=1, bos_id=2, unk_id=3,
            pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>", unk_piece="<unk>",
            user_defined_symbols=["<start_of_turn>", "<end_of_turn>"])
    else:
        # SigLIP's (T5's) layout: <pad> </s> <unk>, unigram, NFKC, no BOS.
        spm.SentencePieceTrainer.train(
            **common, model_type="unigram", vocab_size=300, hard_vocab_limit=False, character_coverage=1.0,
            pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    return path_prefix + ".model"


def rand_text(rng):
    kind = rng.randrange(12)
    if kind == 0:
        n = rng.randint(1, 12)
        words = []
        for _ in range(n):
            w = rng.choice(EN_WORDS)
            r = rng.random()
            if r < 0.2:
                w = w.upper()
            elif r < 0.4:
                w = w.capitalize()
            if rng.random() < 0.25:
                w += rng.choice(PUNCT)
            words.append(w)
        return " ".join(words)
    if kind == 1:
        return "".join(rng.choice(ZH) for _ in range(rng.randint(1, 30)))
    if kind == 2:
        return "".join(rng.choice(JA) for _ in range(rng.randint(1, 12)))
    if kind == 3:
        return " ".join(rng.choice(KO) for _ in range(rng.randint(1, 8)))
    if kind == 4:
        return " ".join(rng.choice(AR) for _ in range(rng.randint(1, 8)))
    if kind == 5:
        return " ".join(rng.choice(RU) for _ in range(rng.randint(1, 8)))
    if kind == 6:
        return " ".join(rng.choice(EL) for _ in range(rng.randint(1, 8)))
    if kind == 7:
        return "".join(rng.choice(EMOJI + [" "]) for _ in range(rng.randint(1, 8)))
    if kind == 8:  # long: past the 64-token limit
        pool = rng.choice([EN_WORDS, RU, KO, EL, AR])
        return " ".join(rng.choice(pool) for _ in range(rng.randint(40, 120)))
    if kind == 9:
        return "".join(rng.choice(SPACES) for _ in range(rng.randint(0, 4)))
    if kind == 10:  # special-token spellings among words
        parts = [rng.choice(EN_WORDS + RU + ZH.split() + [""]) for _ in range(rng.randint(0, 3))]
        parts.insert(rng.randint(0, len(parts)), rng.choice(SPECIALS))
        return rng.choice(["", " ", "  "]).join(parts)
    # mixtures of everything
    pools = [EN_WORDS, JA, KO, AR, RU, EL, DE, EMOJI, PUNCT, SPECIALS, SPACES, OTHER, list(ZH)]
    return rng.choice(["", " ", "\n"]).join(
        rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 14)))


def make_corpus(n, seed):
    rng = random.Random(seed)
    fixed = ["", " ", "   ", "\t\n", "\u3000", "a photo of a cat", "A Photo Of A CAT!!!",
             "Hello, world. How are you?", "don't stop -- it's (really) fine...", "dog", "Hund",
             "犬", "собака", "σκύλος", "كلب", "개", "🐕", "狗", "a dog running on the beach",
             "</s>", "<pad>", "<unk>", "<eos>", "<bos>", "a </s> b", "cat</s>", "</s>cat",
             "<EOS> dog", "▁dog", "▁", "dog▁cat", "  leading and trailing  ", "multiple   spaces",
             "tabs\tand\nnewlines", "ΟΔΟΣ ΣΑΣ", "ǅemal", "İzmir", "ＡＢＣ", "x" * 300,
             "dog " * 100, "犬" * 100, "😀" * 70, "<start_of_turn>user dog<end_of_turn>"]
    out = list(fixed)
    while len(out) < n:
        out.append(rand_text(rng))
    return out


def encode_all(tok_literal, tok_default, texts):
    ids, padded, default_ids = [], [], {}
    for i, text in enumerate(texts):
        a = tok_literal(text)["input_ids"]
        ids.append(a)
        padded.append(tok_literal(text, padding="max_length", truncation=True,
                                  max_length=CONTEXT)["input_ids"])
        b = tok_default(text)["input_ids"]
        if b != a:
            default_ids[str(i)] = b
    return ids, padded, default_ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--count", type=int, default=2200)
    ap.add_argument("--seed", type=int, default=20250114)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = args.out_dir
    tmp_out = out + ".tmp"
    shutil.rmtree(tmp_out, ignore_errors=True)
    os.makedirs(tmp_out)
    with tempfile.TemporaryDirectory() as work:
        en_model = train(os.path.join(work, "en"), training_text(rng, False), False)
        mul_model = train(os.path.join(work, "mul"), training_text(rng, True), True)
        # name -> (class, model file, constructor arguments)
        specs = {
            "siglip_en": (SiglipTokenizer, en_model, {}),
            "siglip_mul": (SiglipTokenizer, mul_model,
                           dict(eos_token="<eos>", pad_token="<pad>", unk_token="<unk>",
                                do_lower_case=False)),
            "gemma_mul": (GemmaTokenizer, mul_model, {}),
            "gemma_mul_eos": (GemmaTokenizer, mul_model,
                              dict(add_bos_token=False, add_eos_token=True, model_max_length=64,
                                   padding_side="left")),
        }
        for name, (cls, model, kwargs) in specs.items():
            cls(vocab_file=model, **kwargs).save_pretrained(os.path.join(tmp_out, name))
    texts = make_corpus(args.count, args.seed)
    doc = {"context_length": CONTEXT, "texts": texts, "tokenizers": {}}
    for name, (cls, _, _) in specs.items():
        d = os.path.join(tmp_out, name)
        literal = cls.from_pretrained(d, split_special_tokens=True)
        default = cls.from_pretrained(d)
        ids, padded, default_ids = encode_all(literal, default, texts)
        doc["tokenizers"][name] = {"dir": name, "class": cls.__name__, "ids": ids,
                                   "padded": padded, "default_ids": default_ids}
        print(f"{name}: {len(texts)} strings, {len(default_ids)} where special-token "
              "spellings would become control ids")
    with open(os.path.join(tmp_out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=True)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp_out, out)


if __name__ == "__main__":
    import warnings
    import transformers

    warnings.filterwarnings("ignore")
    transformers.logging.set_verbosity_error()
    main()
