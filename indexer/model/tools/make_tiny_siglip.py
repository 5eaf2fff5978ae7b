#!/usr/bin/env python3
"""Creates tiny random SigLIP checkpoints and reference embeddings for the C++ model tests.

Every model is a transformers SiglipModel(SiglipConfig(...)) saved with save_pretrained, so the
key names come from the reference implementation. Every parameter is perturbed after the random
init (which leaves biases at 0 and norms at 1), so a wiring error changes the output. Per model:

  <out>/<name>/config.json, model.safetensors, preprocessor_config.json
  <out>/<name>/ref/pixels.f32     (N,3,S,S) float32, already normalised
  <out>/<name>/ref/ids.i64        (M,L) int64 token ids, full length (SigLIP pads to it)
  <out>/<name>/ref/image_emb.f32  (N,D) L2-normalised get_image_features(pixels)
  <out>/<name>/ref/text_emb.f32   (M,D) L2-normalised get_text_features(ids)
  <out>/<name>/ref/meta.json      shapes, logit_scale and logit_bias

The first model is a complete model directory: it also holds a SentencePiece tokenizer trained
here (SiglipTokenizer files, model_max_length = its text positions) and, in ref/,
  texts.json, tok_ids.i64, tok_text_emb.f32  texts, SiglipTokenizer(padding="max_length") ids,
                                             and their embeddings
  rgb.u8 (H,W,3), pp_image_emb.f32           an image of another size and the embedding of
                                             SiglipImageProcessor(rgb)

Broken variants of the first model live in <out>/variants/<name>/ (model.safetensors plus its
config files): "renamed_head" (a MAP-head key renamed), "no_logit_bias", "probe_shape".

Usage: .venv/bin/python indexer/model/tools/make_tiny_siglip.py --out BUILD/tiny_siglip
The output is rebuilt only when this script changed (a stamp file holds its hash).
"""
import argparse
import hashlib
import json
import os
import shutil

import numpy as np
import torch
from safetensors.torch import load_file, save_file
import sentencepiece as spm
from transformers import SiglipConfig, SiglipImageProcessor, SiglipModel, SiglipTokenizer

# name -> (text_config, vision_config): patch and image sizes, heads, layers and eps all differ.
CONFIGS = {
    "siglip_a": (
        dict(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
             num_attention_heads=4, max_position_embeddings=16),
        dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
             image_size=32, patch_size=8),
    ),
    "siglip_b": (
        dict(vocab_size=77, hidden_size=48, intermediate_size=80, num_hidden_layers=3,
             num_attention_heads=3, max_position_embeddings=12, layer_norm_eps=1e-5),
        dict(hidden_size=48, intermediate_size=96, num_hidden_layers=1, num_attention_heads=6,
             image_size=30, patch_size=6, layer_norm_eps=1e-5),
    ),
    "siglip_c": (
        dict(vocab_size=64, hidden_size=24, intermediate_size=40, num_hidden_layers=1,
             num_attention_heads=2, max_position_embeddings=9),
        dict(hidden_size=24, intermediate_size=56, num_hidden_layers=3, num_attention_heads=3,
             image_size=28, patch_size=14),
    ),
}

PREPROCESSOR = {
    "do_normalize": True, "do_rescale": True, "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
    "image_processor_type": "SiglipImageProcessor", "resample": 3,
    "rescale_factor": 0.00392156862745098,
}


def write(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.ascontiguousarray(array).tofile(path)


def build(name, text, vision, out):
    torch.manual_seed(4321)
    cfg = SiglipConfig(text_config=text, vision_config=vision)
    model = SiglipModel(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        model.logit_scale.fill_(2.3)
        model.logit_bias.fill_(-1.7)
    d = os.path.join(out, name)
    model.save_pretrained(d, safe_serialization=True)
    pre = dict(PREPROCESSOR)
    pre["size"] = {"height": vision["image_size"], "width": vision["image_size"]}
    with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
        json.dump(pre, f, indent=2)
    vc, tc = cfg.vision_config, cfg.text_config
    gen = torch.Generator().manual_seed(77)
    pixels = torch.randn(2, 3, vc.image_size, vc.image_size, generator=gen)
    ids = torch.randint(0, tc.vocab_size, (3, tc.max_position_embeddings), generator=gen)
    with torch.no_grad():
        img = torch.nn.functional.normalize(model.get_image_features(pixel_values=pixels), dim=-1)
        txt = torch.nn.functional.normalize(model.get_text_features(input_ids=ids), dim=-1)
    r = os.path.join(d, "ref")
    write(os.path.join(r, "pixels.f32"), pixels.numpy())
    write(os.path.join(r, "ids.i64"), ids.numpy())
    write(os.path.join(r, "image_emb.f32"), img.numpy())
    write(os.path.join(r, "text_emb.f32"), txt.numpy())
    meta = {"pixels": list(pixels.shape), "ids": list(ids.shape), "dim": int(img.shape[1]),
            "logit_scale": float(model.logit_scale), "logit_bias": float(model.logit_bias)}
    with open(os.path.join(r, "meta.json"), "w") as f:
        json.dump(meta, f)
    if name == "siglip_a":
        add_tokenizer(d, model, tc.max_position_embeddings, vc.image_size)
    return d


TEXTS = ["a photo of a cat", "A Dog, running on the BEACH!", "", "  spaces   and\ttabs  ",
         "a very long caption that goes on and on well past the sixteen token limit of the tiny "
         "text tower so that it has to be cut"]


def add_tokenizer(d, model, positions, vision_size):
    words = ("a photo of the cat dog running on beach red blue green house tree car person "
             "sitting standing water sky long caption goes past limit tiny text tower cut "
             "spaces and tabs very well that it has to be").split()
    rng = np.random.default_rng(5)
    lines = [" ".join(rng.choice(words, size=8)) for _ in range(400)]
    corpus = os.path.join(d, "spm_corpus.txt")
    with open(corpus, "w") as f:
        f.write("\n".join(lines) + "\n")
    prefix = os.path.join(d, "spm_tmp")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, model_type="unigram", vocab_size=60,
        hard_vocab_limit=False, character_coverage=1.0, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        minloglevel=2, num_threads=1)
    tok = SiglipTokenizer(vocab_file=prefix + ".model", model_max_length=positions)
    tok.save_pretrained(d)
    for f in (corpus, prefix + ".model", prefix + ".vocab"):
        os.remove(f)
    ids = tok(TEXTS, padding="max_length", truncation=True, max_length=positions,
              return_tensors="pt")["input_ids"]
    rng_img = np.random.default_rng(9)
    rgb = rng_img.integers(0, 256, size=(vision_size + 13, vision_size + 29, 3), dtype=np.uint8)
    pp = SiglipImageProcessor.from_pretrained(d)(images=[rgb], return_tensors="pt")
    with torch.no_grad():
        txt = torch.nn.functional.normalize(model.get_text_features(input_ids=ids), dim=-1)
        img = torch.nn.functional.normalize(
            model.get_image_features(pixel_values=pp["pixel_values"].float()), dim=-1)
    r = os.path.join(d, "ref")
    with open(os.path.join(r, "texts.json"), "w") as f:
        json.dump(TEXTS, f)
    write(os.path.join(r, "tok_ids.i64"), ids.numpy())
    write(os.path.join(r, "tok_text_emb.f32"), txt.numpy())
    write(os.path.join(r, "rgb.u8"), rgb)
    write(os.path.join(r, "pp_image_emb.f32"), img.numpy())
    with open(os.path.join(r, "meta.json")) as f:
        meta = json.load(f)
    meta["rgb"] = list(rgb.shape)
    meta["tok_ids"] = list(ids.shape)
    with open(os.path.join(r, "meta.json"), "w") as f:
        json.dump(meta, f)


def variant(out, name, base_dir, tensors):
    d = os.path.join(out, "variants", name)
    os.makedirs(d, exist_ok=True)
    for f in ("config.json", "preprocessor_config.json"):
        shutil.copy(os.path.join(base_dir, f), os.path.join(d, f))
    save_file(tensors, os.path.join(d, "model.safetensors"))


def make_variants(out, base_dir):
    sd = load_file(os.path.join(base_dir, "model.safetensors"))
    renamed = dict(sd)
    renamed["vision_model.head.attn.in_proj_weight"] = renamed.pop(
        "vision_model.head.attention.in_proj_weight")
    variant(out, "renamed_head", base_dir, renamed)
    no_bias = dict(sd)
    del no_bias["logit_bias"]
    variant(out, "no_logit_bias", base_dir, no_bias)
    probe = dict(sd)
    probe["vision_model.head.probe"] = torch.cat([probe["vision_model.head.probe"]] * 2, dim=1)
    variant(out, "probe_shape", base_dir, probe)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(__file__, "rb") as f:
        stamp = hashlib.sha256(f.read()).hexdigest()
    stamp_file = os.path.join(args.out, "STAMP")
    if os.path.exists(stamp_file) and open(stamp_file).read().strip() == stamp:
        print("tiny SigLIP models are up to date")
        return
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    torch.set_num_threads(1)
    dirs = [build(n, t, v, args.out) for n, (t, v) in CONFIGS.items()]
    make_variants(args.out, dirs[0])
    with open(stamp_file, "w") as f:
        f.write(stamp + "\n")
    print("wrote", len(dirs), "tiny SigLIP models to", args.out)


if __name__ == "__main__":
    main()
