#!/usr/bin/env python3
"""Creates tiny random CLIP checkpoints and reference embeddings for the C++ model tests.

Every model is a transformers CLIPModel(CLIPConfig(...)) saved with save_pretrained, so the key
names come from the reference implementation. For each model the script also writes fixed inputs
and what transformers computes for them:

  <out>/<name>/config.json, model.safetensors, preprocessor_config.json
  <out>/<name>/ref/pixels.f32      (N,3,S,S) float32, already normalised
  <out>/<name>/ref/ids.i64         (M,L) int64 token ids
  <out>/<name>/ref/image_emb.f32   (N,D) L2-normalised get_image_features(pixels)
  <out>/<name>/ref/text_emb.f32    (M,D) L2-normalised get_text_features(ids)
  <out>/<name>/ref/rgb.u8          (H,W,3) uint8 image of a non-model size
  <out>/<name>/ref/pp_pixels.f32   CLIPImageProcessor(rgb) (1,3,S,S)
  <out>/<name>/ref/pp_image_emb.f32 embedding of pp_pixels
  <out>/<name>/ref/meta.json       shapes of the above

Variants of "tiny_a" for the loader tests live in <out>/variants/<name>/ (a model.safetensors
plus a copy of tiny_a's config.json and preprocessor_config.json). "layout_openai" and
"layout_open_clip" hold the same weights in OpenAI / open_clip state-dict key layouts; the
open_clip one is verified by loading it with strict=True into open_clip's own CLIP class.

Usage: .venv/bin/python indexer/model/tools/make_tiny_clip.py --out BUILD/tiny_models
The output is rebuilt only when this script changed (a stamp file holds its hash).
"""
import argparse
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

# name -> (CLIPConfig kwargs, preprocessor_config, eos id used in the inputs, seq length)
CONFIGS = {
    # quick_gelu (the default, so absent from config.json), eos_token_id given explicitly.
    "tiny_a": dict(
        text=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, vocab_size=1000, max_position_embeddings=16,
                  bos_token_id=998, eos_token_id=999, pad_token_id=0),
        vision=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                    num_attention_heads=4, image_size=32, patch_size=8),
        projection_dim=16,
        preprocessor={"size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32}},
    ),
    # exact gelu, legacy eos_token_id == 2 (pooling at argmax of ids), different widths.
    "tiny_b": dict(
        text=dict(hidden_size=48, intermediate_size=192, num_hidden_layers=1,
                  num_attention_heads=4, vocab_size=1000, max_position_embeddings=12,
                  hidden_act="gelu", bos_token_id=0, eos_token_id=2, pad_token_id=1),
        vision=dict(hidden_size=64, intermediate_size=256, num_hidden_layers=3,
                    num_attention_heads=4, image_size=24, patch_size=4, hidden_act="gelu"),
        projection_dim=24,
        preprocessor={"size": 24, "crop_size": 24},
    ),
    # the real vocabulary size and default eos id 49407, size != crop, eps 1e-6.
    "tiny_c": dict(
        text=dict(hidden_size=40, intermediate_size=80, num_hidden_layers=1,
                  num_attention_heads=5, max_position_embeddings=77, layer_norm_eps=1e-6),
        vision=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                    num_attention_heads=4, image_size=48, patch_size=16, layer_norm_eps=1e-6),
        projection_dim=24,
        preprocessor={"size": {"shortest_edge": 56}, "crop_size": {"height": 48, "width": 48},
                      "image_mean": [0.5, 0.4, 0.3], "image_std": [0.2, 0.25, 0.3]},
    ),
}

PRE_BASE = {
    "do_resize": True, "resample": 3, "do_center_crop": True, "do_rescale": True,
    "rescale_factor": 1 / 255.0, "do_normalize": True, "do_convert_rgb": True,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "image_processor_type": "CLIPImageProcessor",
}


def write(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.ascontiguousarray(array).tofile(path)


def normed(x):
    return torch.nn.functional.normalize(x, dim=-1)


def make_ids(tc, n, gen):
    """Token id rows: bos, content, eos, padding; the eos token is the row's largest id."""
    L = tc.max_position_embeddings
    eos = tc.eos_token_id if tc.eos_token_id != 2 else tc.vocab_size - 1
    bos = tc.bos_token_id if tc.eos_token_id != 2 else 0
    pad = tc.pad_token_id if tc.eos_token_id != 2 else 0
    hi = min(tc.vocab_size - 3, eos - 1)
    rows = []
    for i in range(n):
        content = int(2 + (i * 3) % (L - 3))
        body = torch.randint(3, hi, (content,), generator=gen).tolist()
        row = [bos] + body + [eos]
        row += [pad] * (L - len(row))
        rows.append(row[:L])
    return torch.tensor(rows, dtype=torch.int64)


def make_rgb(h, w):
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // max(w - 1, 1))
    g = (y * 255 // max(h - 1, 1))
    b = ((x * 7 + y * 13) % 256)
    img = np.stack([r, g, b], axis=-1).astype(np.int64)
    rng = np.random.default_rng(7)
    img = img + rng.integers(-40, 41, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def build(name, spec, out):
    torch.manual_seed(1234)
    cfg = CLIPConfig(text_config=spec["text"], vision_config=spec["vision"],
                     projection_dim=spec["projection_dim"])
    model = CLIPModel(cfg).eval()
    # Random init leaves biases/LN at 0/1; perturb everything so every tensor matters.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    d = os.path.join(out, name)
    model.save_pretrained(d, safe_serialization=True)
    pre = dict(PRE_BASE)
    pre.update(spec["preprocessor"])
    with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
        json.dump(pre, f, indent=2)

    vc, tc = cfg.vision_config, cfg.text_config
    gen = torch.Generator().manual_seed(99)
    pixels = torch.randn(2, 3, vc.image_size, vc.image_size, generator=gen)
    ids = make_ids(tc, 3, gen)
    rgb = make_rgb(vc.image_size + 13, vc.image_size + 29)
    proc = CLIPImageProcessor.from_pretrained(d)
    pp = proc(images=[rgb], return_tensors="pt")["pixel_values"].float()
    with torch.no_grad():
        img = normed(model.get_image_features(pixel_values=pixels))
        txt = normed(model.get_text_features(input_ids=ids))
        ppe = normed(model.get_image_features(pixel_values=pp))
    r = os.path.join(d, "ref")
    write(os.path.join(r, "pixels.f32"), pixels.numpy())
    write(os.path.join(r, "ids.i64"), ids.numpy())
    write(os.path.join(r, "image_emb.f32"), img.numpy())
    write(os.path.join(r, "text_emb.f32"), txt.numpy())
    write(os.path.join(r, "rgb.u8"), rgb)
    write(os.path.join(r, "pp_pixels.f32"), pp.numpy())
    write(os.path.join(r, "pp_image_emb.f32"), ppe.numpy())
    meta = {"pixels": list(pixels.shape), "ids": list(ids.shape), "dim": int(img.shape[1]),
            "rgb": list(rgb.shape), "pp_pixels": list(pp.shape)}
    with open(os.path.join(r, "meta.json"), "w") as f:
        json.dump(meta, f)
    return d, model, cfg, pixels, ids


def hf_to_openai(sd, cfg):
    """HF CLIPModel state dict -> OpenAI CLIP (and open_clip ViT CLIP) state dict."""
    o = {}
    v, t = "vision_model.", "text_model."
    o["visual.conv1.weight"] = sd[v + "embeddings.patch_embedding.weight"]
    o["visual.class_embedding"] = sd[v + "embeddings.class_embedding"]
    o["visual.positional_embedding"] = sd[v + "embeddings.position_embedding.weight"]
    for a, b in (("pre_layrnorm", "ln_pre"), ("post_layernorm", "ln_post")):
        for s in ("weight", "bias"):
            o[f"visual.{b}.{s}"] = sd[f"{v}{a}.{s}"]
    o["visual.proj"] = sd["visual_projection.weight"].t().contiguous()
    o["token_embedding.weight"] = sd[t + "embeddings.token_embedding.weight"]
    o["positional_embedding"] = sd[t + "embeddings.position_embedding.weight"]
    for s in ("weight", "bias"):
        o[f"ln_final.{s}"] = sd[f"{t}final_layer_norm.{s}"]
    o["text_projection"] = sd["text_projection.weight"].t().contiguous()
    o["logit_scale"] = sd["logit_scale"]
    for hf, oa, n in ((v, "visual.transformer", cfg.vision_config.num_hidden_layers),
                      (t, "transformer", cfg.text_config.num_hidden_layers)):
        for i in range(n):
            src = f"{hf}encoder.layers.{i}."
            dst = f"{oa}.resblocks.{i}."
            for s in ("weight", "bias"):
                o[dst + f"attn.in_proj_{s}"] = torch.cat(
                    [sd[src + f"self_attn.{p}_proj.{s}"] for p in ("q", "k", "v")], 0)
                o[dst + f"attn.out_proj.{s}"] = sd[src + f"self_attn.out_proj.{s}"]
                o[dst + f"ln_1.{s}"] = sd[src + f"layer_norm1.{s}"]
                o[dst + f"ln_2.{s}"] = sd[src + f"layer_norm2.{s}"]
                o[dst + f"mlp.c_fc.{s}"] = sd[src + f"mlp.fc1.{s}"]
                o[dst + f"mlp.c_proj.{s}"] = sd[src + f"mlp.fc2.{s}"]
    return {k: x.contiguous() for k, x in o.items()}


def check_open_clip(osd, cfg, model, pixels, ids):
    """Loads the rewritten dict into open_clip's CLIP with strict=True and compares outputs."""
    import open_clip
    from open_clip.model import CLIPTextCfg, CLIPVisionCfg
    vc, tc = cfg.vision_config, cfg.text_config
    quick = vc.hidden_act == "quick_gelu"
    oc = open_clip.model.CLIP(
        embed_dim=cfg.projection_dim,
        vision_cfg=CLIPVisionCfg(layers=vc.num_hidden_layers, width=vc.hidden_size,
                                 head_width=vc.hidden_size // vc.num_attention_heads,
                                 mlp_ratio=vc.intermediate_size / vc.hidden_size,
                                 patch_size=vc.patch_size, image_size=vc.image_size),
        text_cfg=CLIPTextCfg(context_length=tc.max_position_embeddings,
                             vocab_size=tc.vocab_size, width=tc.hidden_size,
                             heads=tc.num_attention_heads, layers=tc.num_hidden_layers),
        quick_gelu=quick).eval()
    oc.load_state_dict(osd, strict=True)
    with torch.no_grad():
        a = normed(oc.encode_image(pixels))
        b = normed(model.get_image_features(pixel_values=pixels))
        c = normed(oc.encode_text(ids))
        e = normed(model.get_text_features(input_ids=ids))
    err = max((a - b).abs().max().item(), (c - e).abs().max().item())
    if err > 1e-4:
        sys.exit(f"open_clip layout check failed: max abs diff {err}")


def variant(out, name, base_dir, tensors):
    d = os.path.join(out, "variants", name)
    os.makedirs(d, exist_ok=True)
    for f in ("config.json", "preprocessor_config.json"):
        shutil.copy(os.path.join(base_dir, f), os.path.join(d, f))
    save_file(tensors, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    return d


def make_variants(out, dirs, models):
    a_dir = dirs["tiny_a"]
    sd = load_file(os.path.join(a_dir, "model.safetensors"))
    fc1 = "vision_model.encoder.layers.0.mlp.fc1.weight"
    r = dict(sd)
    r["vision_model.encoder.layers.0.mlp.fc_1.weight"] = r.pop(fc1)
    variant(out, "renamed", a_dir, r)
    r = dict(sd)
    del r["text_model.final_layer_norm.bias"]
    variant(out, "dropped", a_dir, r)
    r = dict(sd)
    r["vision_model.extra_head.weight"] = torch.zeros(4, 4)
    variant(out, "added", a_dir, r)
    r = dict(sd)
    r["text_projection.weight"] = torch.zeros(17, 32)
    variant(out, "reshaped", a_dir, r)
    r = dict(sd)
    r["vision_model.pre_layrnorm.weight"] = r["vision_model.pre_layrnorm.weight"].clone()
    r["vision_model.pre_layrnorm.weight"][3] = float("nan")
    variant(out, "nan", a_dir, r)
    variant(out, "f16", a_dir, {k: x.half() for k, x in sd.items()})
    variant(out, "bf16", a_dir, {k: x.bfloat16() for k, x in sd.items()})
    r = dict(sd)
    r["text_model.embeddings.position_ids"] = torch.arange(16).unsqueeze(0)
    r["vision_model.embeddings.position_ids"] = torch.arange(17).unsqueeze(0)
    variant(out, "legacy_position_ids", a_dir, r)
    r = dict(r)
    bad = torch.arange(17).unsqueeze(0).clone()
    bad[0, 5] = 9
    r["vision_model.embeddings.position_ids"] = bad
    variant(out, "bad_position_ids", a_dir, r)
    # tiny_b's weights under tiny_a's config.json: a checkpoint of another configuration.
    other = load_file(os.path.join(dirs["tiny_b"], "model.safetensors"))
    variant(out, "other_config", a_dir, other)

    for layout, base in (("openai", "tiny_a"), ("open_clip", "tiny_b")):
        model, cfg, pixels, ids = models[base]
        osd = hf_to_openai(load_file(os.path.join(dirs[base], "model.safetensors")), cfg)
        if layout == "open_clip":
            check_open_clip(osd, cfg, model, pixels, ids)
        variant(out, "layout_" + layout, dirs[base], osd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    with open(__file__, "rb") as f:
        stamp = hashlib.sha256(f.read()).hexdigest()
    stamp_path = os.path.join(args.out, "STAMP")
    if not args.force and os.path.exists(stamp_path):
        with open(stamp_path) as f:
            if f.read().strip() == stamp:
                print(f"tiny models up to date in {args.out}")
                return
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    torch.set_num_threads(1)
    dirs, models = {}, {}
    for name, spec in CONFIGS.items():
        d, model, cfg, pixels, ids = build(name, spec, args.out)
        dirs[name] = d
        models[name] = (model, cfg, pixels, ids)
    make_variants(args.out, dirs, models)
    with open(stamp_path, "w") as f:
        f.write(stamp + "\n")
    print(f"wrote tiny models to {args.out}")


if __name__ == "__main__":
    main()
