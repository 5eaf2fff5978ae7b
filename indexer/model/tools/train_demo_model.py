#!/usr/bin/env python3
"""Trains the demo model in models/demo/: a tiny transformers CLIPModel that knows the demo's
visual grammar (demo/scenes.py) — four colours, three shapes, four directions (a fading trail
shows which way a shape moves), three backgrounds — and nothing else.

  * its own vocabulary: byte-level CLIP BPE (vocab.json + merges.txt, GPT-2 byte table, "</w>"
    word ends) learnt from the caption words, so each grammar word is one token;
  * training frames rendered by the same code as the demo videos at 128 x 128, then
    (like vidx's sampler) bicubic-resized to 64 x 64, with chroma subsampling and noise to look
    like decoded H.264;
  * a CLIP contrastive loss whose targets allow several positives: a caption that mentions only
    some parts ("a red circle") is a positive for every image that fits it.

Seeded and single-threaded, so a rerun reproduces the same weights on the same torch build.

Usage: .venv/bin/python indexer/model/tools/train_demo_model.py [--out models/demo]
       [--steps 600] [--seed 7]
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from transformers import CLIPConfig, CLIPModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo import scenes  # noqa: E402

IMAGE = 64
CONTEXT = 16
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
SOT, EOT = "<|startoftext|>", "<|endoftext|>"


# ---------------------------------------------------------------- vocabulary (CLIP byte BPE)
def byte_symbols():
    """GPT-2's reversible byte -> printable character table, in byte order."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def word_symbols(word, table):
    chars = [table[b] for b in word.encode("utf-8")]
    chars[-1] += "</w>"
    return chars


def learn_merges(words, table):
    """Plain BPE training on the word list until every word is a single symbol."""
    segs = {w: word_symbols(w, table) for w in words}
    merges = []
    while True:
        counts = {}
        for s in segs.values():
            for p in zip(s, s[1:]):
                counts[p] = counts.get(p, 0) + 1
        if not counts:
            return merges
        best = max(sorted(counts), key=lambda p: counts[p])
        merges.append(best)
        for w, s in segs.items():
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            segs[w] = out


def bpe_encode(word, table, ranks):
    """What the C++ tokenizer does for one pre-token: merge the lowest-ranked pair first."""
    s = word_symbols(word, table)
    while len(s) > 1:
        pairs = [(ranks.get(p, math.inf), i) for i, p in enumerate(zip(s, s[1:]))]
        r, i = min(pairs)
        if r == math.inf:
            break
        s = s[:i] + [s[i] + s[i + 1]] + s[i + 2:]
    return s


class Vocab:
    def __init__(self, words):
        self.table = byte_symbols()
        self.merges = learn_merges(sorted(set(words)), self.table)
        tokens = self.table + [t + "</w>" for t in self.table]
        tokens += ["".join(m) for m in self.merges] + [SOT, EOT]
        self.ids = {t: i for i, t in enumerate(tokens)}
        assert len(self.ids) == len(tokens), "duplicate token"
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        for w in words:
            seg = bpe_encode(w, self.table, self.ranks)
            assert len(seg) == 1, f"'{w}' is not a single token: {seg}"

    def __len__(self):
        return len(self.ids)

    def encode(self, text):
        ids = [self.ids[SOT]]
        for w in text.lower().split():
            ids += [self.ids[t] for t in bpe_encode(w, self.table, self.ranks)]
        ids = ids[:CONTEXT - 1] + [self.ids[EOT]]
        return ids + [0] * (CONTEXT - len(ids))

    def save(self, out):
        with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump(self.ids, f, ensure_ascii=False)
        with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges))


# ---------------------------------------------------------------- frames
def to_model_frame(rgb_bytes, rng):
    """128x128 render -> 64x64 uint8, looking like a decoded yuv420p frame after the sampler."""
    im = Image.frombytes("RGB", (scenes.SIZE, scenes.SIZE), rgb_bytes)
    if rng.random() < 0.8:  # chroma at half resolution, as yuv420p stores it
        y, cb, cr = im.convert("YCbCr").split()
        half = (scenes.SIZE // 2, scenes.SIZE // 2)
        cb = cb.resize(half, Image.BILINEAR).resize(im.size, Image.BILINEAR)
        cr = cr.resize(half, Image.BILINEAR).resize(im.size, Image.BILINEAR)
        im = Image.merge("YCbCr", (y, cb, cr)).convert("RGB")
    a = np.asarray(im.resize((IMAGE, IMAGE), Image.BICUBIC), dtype=np.int16)
    a = a + np.asarray(rng.normal(0, rng.uniform(0, 4), a.shape), dtype=np.int16)
    return np.clip(a, 0, 255).astype(np.uint8)


def make_set(n_per_scene, seed):
    """(uint8 N x 64 x 64 x 3, scene index per frame)."""
    pyrng, nprng = scenes.new_rng(seed), np.random.default_rng(seed)
    all_s = scenes.all_scenes()
    frames, labels = [], []
    for k, sc in enumerate(all_s):
        for _ in range(n_per_scene):
            look = scenes.Look(pyrng)
            frames.append(to_model_frame(scenes.render(sc, pyrng.uniform(0.0, 1.0), look), nprng))
            labels.append(k)
    return np.stack(frames), np.array(labels)


def pixels(frames_u8):
    x = torch.from_numpy(frames_u8).float().div_(255.0).permute(0, 3, 1, 2)
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


# ---------------------------------------------------------------- model and training
def make_model(vocab):
    cfg = CLIPConfig(
        text_config=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, vocab_size=len(vocab),
                         max_position_embeddings=CONTEXT, bos_token_id=vocab.ids[SOT],
                         eos_token_id=vocab.ids[EOT], pad_token_id=0),
        vision_config=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=3,
                           num_attention_heads=4, image_size=IMAGE, patch_size=16),
        projection_dim=64)
    return CLIPModel(cfg)


_PARTS = (list(scenes.COLOURS), scenes.SHAPES, scenes.DIRECTIONS, scenes.BACKGROUNDS)


def _part_id(scene, j):
    return _PARTS[j].index(scene[j])


def train(model, vocab, frames, labels, steps, batch, seed):
    all_s = scenes.all_scenes()
    rng = scenes.new_rng(seed + 1)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    x_all = pixels(frames)
    model.train()
    t0 = time.time()
    for step in range(steps):
        idx = [rng.randrange(len(labels)) for _ in range(batch)]
        img_scenes = [all_s[labels[i]] for i in idx]
        keeps = [scenes.random_keep(rng) for _ in idx]
        caps = [scenes.caption(sc, k) for sc, k in zip(img_scenes, keeps)]
        ids = torch.tensor([vocab.encode(c) for c in caps])
        # fit[t, i]: image i shows what caption t says.
        attr = np.array([[_part_id(sc, j) for j in range(4)] for sc in img_scenes])
        keep = np.array(keeps)
        same = attr[:, None, :] == attr[None, :, :]                       # (t, i, part)
        fit = torch.from_numpy((same | ~keep[:, None, :]).all(-1).astype(np.float32))
        x = x_all[idx]
        if rng.random() < 0.5:  # brightness/contrast wobble
            x = x * rng.uniform(0.9, 1.1) + rng.uniform(-0.1, 0.1)
        img = F.normalize(model.get_image_features(pixel_values=x), dim=-1)
        txt = F.normalize(model.get_text_features(input_ids=ids), dim=-1)
        scale = model.logit_scale.exp().clamp(max=100)
        logits = scale * txt @ img.t()
        loss_t = -(F.log_softmax(logits, 1) * fit / fit.sum(1, keepdim=True)).sum(1).mean()
        loss_i = -(F.log_softmax(logits.t(), 1) * fit.t() / fit.t().sum(1, keepdim=True)).sum(1).mean()
        loss = (loss_t + loss_i) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:5d}  loss {loss.item():.3f}  scale {scale.item():.1f}  "
                  f"{time.time() - t0:.0f}s", flush=True)
    model.eval()
    return time.time() - t0


@torch.no_grad()
def evaluate(model, vocab, frames, labels):
    """Top-1 accuracy of each held-out frame against the 144 full captions, and per part."""
    all_s = scenes.all_scenes()
    txt = F.normalize(model.get_text_features(
        input_ids=torch.tensor([vocab.encode(scenes.caption(s)) for s in all_s])), dim=-1)
    img = F.normalize(model.get_image_features(pixel_values=pixels(frames)), dim=-1)
    pred = (img @ txt.t()).argmax(1).numpy()
    parts = [np.mean([all_s[p][j] == all_s[l][j] for p, l in zip(pred, labels)]) for j in range(4)]
    return float(np.mean(pred == labels)), [float(p) for p in parts]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/demo")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--per-scene", type=int, default=24)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)

    vocab = Vocab(scenes.vocabulary_words())
    print(f"vocabulary: {len(vocab)} tokens, {len(vocab.merges)} merges")
    t = time.time()
    frames, labels = make_set(args.per_scene, args.seed)
    val_frames, val_labels = make_set(3, args.seed + 1000)
    print(f"rendered {len(labels)} training + {len(val_labels)} held-out frames in {time.time() - t:.0f}s")

    model = make_model(vocab)
    secs = train(model, vocab, frames, labels, args.steps, args.batch, args.seed)
    acc, parts = evaluate(model, vocab, val_frames, val_labels)
    print(f"trained {args.steps} steps in {secs:.0f}s; held-out top-1 over 144 captions {acc:.3f}; "
          f"colour {parts[0]:.3f} shape {parts[1]:.3f} direction {parts[2]:.3f} "
          f"background {parts[3]:.3f}")

    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    vocab.save(args.out)
    pre = {"do_resize": True, "size": {"shortest_edge": IMAGE}, "resample": 3,
           "do_center_crop": True, "crop_size": {"height": IMAGE, "width": IMAGE},
           "do_rescale": True, "rescale_factor": 1 / 255.0, "do_normalize": True,
           "image_mean": MEAN, "image_std": STD, "do_convert_rgb": True,
           "image_processor_type": "CLIPImageProcessor"}
    with open(os.path.join(args.out, "preprocessor_config.json"), "w") as f:
        json.dump(pre, f, indent=2)
        f.write("\n")
    print(f"saved to {args.out}")


if __name__ == "__main__":
    main()
