#!/usr/bin/env python3
"""Creates a tiny SigLIP-2-style model directory with a multilingual Gemma tokenizer.

SigLIP 2's fixed-resolution checkpoints are SiglipModel checkpoints (model_type "siglip") whose
tokenizer is Gemma's SentencePiece model (tokenizer.model, GemmaTokenizer rules in
tokenizer_config.json, add_bos_token false). This script makes one such directory, small enough
for the tests:

  1. trains a multilingual byte-fallback BPE SentencePiece model in Gemma's layout with
     SentencePiece's own trainer; WORDS are user_defined_symbols, so each is exactly one piece;
  2. saves it with GemmaTokenizer.save_pretrained (add_bos_token false, add_eos_token true,
     model_max_length = the text positions);
  3. builds a random SiglipModel (every parameter perturbed), then writes the token-embedding
     row of "dog" (drawn large) into the rows of "Hund", "犬" and "собака": their rows are equal, so
     the text tower gives the four words the SAME embedding, while "cat" keeps its own row;
  4. saves it with SiglipModel.save_pretrained and checks, with transformers, that the four
     words' ids have the same length, their text features are bit-identical, and "cat"'s differ.

Output (<out>/model is the model directory to point model.path at):
  <out>/model/config.json, model.safetensors, preprocessor_config.json, tokenizer.model,
              tokenizer_config.json, special_tokens_map.json
  <out>/model/ref/texts.json      WORDS then "cat"
  <out>/model/ref/tok_ids.i64     (N, L) GemmaTokenizer(padding="max_length") ids
  <out>/model/ref/text_emb.f32    (N, D) L2-normalised get_text_features of those ids
  <out>/model/ref/meta.json       shapes, logit_scale, logit_bias
  <out>/variants/other_vocab/     the same weights with a tokenizer trained on another corpus
  <out>/STAMP                     the hash of this script (the output is rebuilt when it changes)

Usage: .venv/bin/python indexer/model/tools/make_tiny_siglip2.py --out BUILD/tiny_siglip2
"""
import argparse
import hashlib
import json
import os
import shutil

import numpy as np
import sentencepiece as spm
import torch
from transformers import GemmaTokenizer, SiglipConfig, SiglipModel

# One concept in four languages: the same text embedding. "cat" is the control.
WORDS = ["dog", "Hund", "犬", "собака"]
OTHER = "cat"
POSITIONS = 16

TEXT = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=POSITIONS)
VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
              image_size=32, patch_size=8)

PREPROCESSOR = {
    "do_normalize": True, "do_rescale": True, "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
    "image_processor_type": "SiglipImageProcessor", "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {"height": VISION["image_size"], "width": VISION["image_size"]},
}

EN = "a photo of the dog cat running on beach at night red car city street people".split()
DE = "ein Foto vom Hund der Katze läuft am Strand in der Nacht rotes Auto Stadt".split()
RU = "фото собака кошка бежит по пляжу ночью красная машина город улица люди".split()
JA = ["犬", "猫", "の", "写真", "海辺", "を", "走る", "夜", "赤い", "車", "街", "人"]
ZH = "一只狗在海滩上奔跑夜晚的城市街道红色汽车猫"


def corpus_lines(rng):
    lines = []
    for _ in range(1500):
        k = rng.integers(5)
        if k == 3:
            lines.append("".join(rng.choice(JA, size=rng.integers(3, 9))))
        elif k == 4:
            lines.append("".join(rng.choice(list(ZH), size=rng.integers(4, 14))))
        else:
            pool = [EN, DE, RU][k]
            lines.append(" ".join(rng.choice(pool, size=rng.integers(3, 10))))
    return lines


def train_tokenizer(d, seed=11):
    rng = np.random.default_rng(seed)
    corpus = os.path.join(d, "spm_corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("\n".join(corpus_lines(rng)) + "\n")
    prefix = os.path.join(d, "spm_tmp")
    # Gemma's layout: <pad> <eos> <bos> <unk>, byte fallback, no dummy prefix, identity
    # normalisation, digits split.
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, model_type="bpe", vocab_size=600,
        hard_vocab_limit=False, character_coverage=1.0, byte_fallback=True, split_digits=True,
        add_dummy_prefix=False, normalization_rule_name="identity",
        remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
        pad_id=0, eos_id=1, bos_id=2, unk_id=3,
        pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>", unk_piece="<unk>",
        user_defined_symbols=WORDS + [OTHER, "<start_of_turn>", "<end_of_turn>"],
        minloglevel=2, num_threads=1, input_sentence_size=0, shuffle_input_sentence=False)
    tok = GemmaTokenizer(vocab_file=prefix + ".model", add_bos_token=False, add_eos_token=True,
                         model_max_length=POSITIONS)
    tok.save_pretrained(d)
    for f in (corpus, prefix + ".model", prefix + ".vocab"):
        os.remove(f)
    # Reload from the directory, as a user of the checkpoint would.
    tok = GemmaTokenizer.from_pretrained(d)
    assert tok.sp_model.get_piece_size() <= 1000
    return tok


def build(out):
    d = os.path.join(out, "model")
    os.makedirs(d)
    tok = train_tokenizer(d)
    texts = WORDS + [OTHER]
    unpadded = [tok(t)["input_ids"] for t in texts]
    lengths = {len(ids) for ids in unpadded}
    assert len(lengths) == 1, f"the words do not give the same number of ids: {unpadded}"
    word_ids = [ids[0] for ids in unpadded]
    assert all(ids[1:] == [tok.eos_token_id] for ids in unpadded), unpadded
    assert len(set(word_ids)) == len(word_ids), f"two words share a piece: {word_ids}"

    torch.manual_seed(2468)
    text = dict(TEXT, vocab_size=tok.sp_model.get_piece_size())
    cfg = SiglipConfig(text_config=text, vision_config=VISION)
    model = SiglipModel(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        model.logit_scale.fill_(2.3)
        model.logit_bias.fill_(-1.7)
        # Word rows large against the random init, so that the word decides the embedding.
        rows = model.text_model.embeddings.token_embedding.weight
        rows[word_ids[0]].copy_(torch.randn(rows.shape[1]))
        rows[word_ids[-1]].copy_(torch.randn(rows.shape[1]))
        for i in word_ids[1:len(WORDS)]:
            rows[i].copy_(rows[word_ids[0]])
    model.save_pretrained(d, safe_serialization=True)
    with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
        json.dump(PREPROCESSOR, f, indent=2)

    model = SiglipModel.from_pretrained(d).eval()
    ids = tok(texts, padding="max_length", truncation=True, max_length=POSITIONS,
              return_tensors="pt")["input_ids"]
    with torch.no_grad():
        emb = torch.nn.functional.normalize(model.get_text_features(input_ids=ids), dim=-1)
    for i in range(1, len(WORDS)):
        assert torch.equal(emb[i], emb[0]), f"{texts[i]!r} embeds unlike {texts[0]!r}"
    cos = float(emb[len(WORDS)] @ emb[0])
    assert cos < 0.99, f"{OTHER!r} embeds like {texts[0]!r} (cosine {cos})"

    r = os.path.join(d, "ref")
    os.makedirs(r)
    with open(os.path.join(r, "texts.json"), "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)
    np.ascontiguousarray(ids.numpy()).tofile(os.path.join(r, "tok_ids.i64"))
    np.ascontiguousarray(emb.numpy()).tofile(os.path.join(r, "text_emb.f32"))
    meta = {"tok_ids": list(ids.shape), "dim": int(emb.shape[1]),
            "logit_scale": float(model.logit_scale), "logit_bias": float(model.logit_bias),
            "other_cosine": cos}
    with open(os.path.join(r, "meta.json"), "w") as f:
        json.dump(meta, f)
    return d


def other_vocabulary(out, d):
    """The same model with a tokenizer trained on another corpus: another vocabulary."""
    v = os.path.join(out, "variants", "other_vocab")
    os.makedirs(v)
    for f in ("config.json", "model.safetensors", "preprocessor_config.json"):
        shutil.copy(os.path.join(d, f), os.path.join(v, f))
    tok = train_tokenizer(v, seed=12)
    with open(os.path.join(d, "tokenizer.model"), "rb") as a, \
            open(os.path.join(v, "tokenizer.model"), "rb") as b:
        assert a.read() != b.read()
    # As many pieces as the model's own tokenizer: only the files' contents tell them apart.
    assert tok.sp_model.get_piece_size() == GemmaTokenizer.from_pretrained(d).sp_model.get_piece_size()
    assert [tok(w)["input_ids"] for w in WORDS] == [[4 + i, 1] for i in range(len(WORDS))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(__file__, "rb") as f:
        stamp = hashlib.sha256(f.read()).hexdigest()
    stamp_file = os.path.join(args.out, "STAMP")
    if os.path.exists(stamp_file) and open(stamp_file).read().strip() == stamp:
        print("tiny SigLIP 2 model is up to date")
        return
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    torch.set_num_threads(1)
    d = build(args.out)
    other_vocabulary(args.out, d)
    with open(stamp_file, "w") as f:
        f.write(stamp + "\n")
    print("wrote the tiny SigLIP 2 model to", d)


if __name__ == "__main__":
    main()
