#!/usr/bin/env python3
"""Writes torch.save twins of the tiny CLIP and SigLIP test models, and hostile checkpoints.

For each model directory given (made by make_tiny_clip.py / make_tiny_siglip.py), the same
tensors are saved with torch.save in the layouts researchers ship:

  <name>_plain/pytorch_model.bin      the state dict (an OrderedDict of tensors)
  <name>_nested/pytorch_model.bin     {"state_dict": ..., "epoch": 3, "optimizer": {...}}
  <name>_module/pytorch_model.bin     every key prefixed "module." (DataParallel), Parameters
  <name>_sharded/pytorch_model-0000N-of-00002.bin + pytorch_model.bin.index.json

and under hostile/: legacy.bin (the pre-1.6 format), system.pt (a pickle whose reduce would run
os.system to create markers/system_ran), eval.pt (a reduce of builtins.eval that would create
markers/eval_ran), unknown_class.pt (a global of a user class). Loading any of them with
torch.load would run the code; vidx must refuse them and the markers must never appear.

renamed/: tiny_a's weights the way a research release renames them, for `vidx model keys`:
  renamed/keys_ok/model.safetensors        a "module." prefix, OpenAI-style packed attn.in_proj,
                                           ln_1/ln_2 and mlp.c_fc/c_proj names inside an
                                           otherwise Hugging Face layout
  renamed/keys_missing/model.safetensors   the same with one tensor removed
"""
import argparse
import builtins
import json
import os
import shutil
from collections import OrderedDict

import torch
from safetensors.torch import load_file, save_file


def copy_dir(src, dst):
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("model.safetensors*", "ref"))


def twins(src, out, name):
    sd = OrderedDict(sorted(load_file(os.path.join(src, "model.safetensors")).items()))
    d = os.path.join(out, name + "_plain")
    copy_dir(src, d)
    torch.save(sd, os.path.join(d, "pytorch_model.bin"))

    d = os.path.join(out, name + "_nested")
    copy_dir(src, d)
    torch.save({"state_dict": sd, "epoch": 3, "optimizer": {"lr": 0.1, "betas": (0.9, 0.98)}},
               os.path.join(d, "pytorch_model.bin"))

    d = os.path.join(out, name + "_module")
    copy_dir(src, d)
    params = OrderedDict(("module." + k, torch.nn.Parameter(v, requires_grad=False))
                         for k, v in sd.items())
    torch.save(params, os.path.join(d, "pytorch_model.bin"))

    d = os.path.join(out, name + "_sharded")
    copy_dir(src, d)
    keys = list(sd)
    half = len(keys) // 2
    weight_map = {}
    for i, part in enumerate((keys[:half], keys[half:])):
        fname = f"pytorch_model-{i + 1:05d}-of-00002.bin"
        torch.save(OrderedDict((k, sd[k]) for k in part), os.path.join(d, fname))
        weight_map.update({k: fname for k in part})
    with open(os.path.join(d, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)


class RunsCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch '%s'" % self.marker,))


class RunsEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (builtins.eval, ("open(%r, 'w').write('ran')" % self.marker,))


class UserThing:
    pass


def hostile(out, clip_dir):
    d = os.path.join(out, "hostile")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "markers"))
    sd = OrderedDict(sorted(load_file(os.path.join(clip_dir, "model.safetensors")).items()))
    torch.save(sd, os.path.join(d, "legacy.bin"), _use_new_zipfile_serialization=False)
    w = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    markers = os.path.abspath(os.path.join(d, "markers"))
    torch.save({"weight": w, "x": RunsCommand(os.path.join(markers, "system_ran"))},
               os.path.join(d, "system.pt"))
    torch.save({"weight": w, "x": RunsEval(os.path.join(markers, "eval_ran"))},
               os.path.join(d, "eval.pt"))
    torch.save({"weight": w, "x": UserThing()}, os.path.join(d, "unknown_class.pt"))
    # Two small valid ones for the reader's own tests: a transposed (non-contiguous) tensor and
    # a plain dict with a Parameter and shared storage.
    torch.save({"weight": w.t()}, os.path.join(d, "strided.pt"))
    base = torch.arange(12, dtype=torch.float32)
    torch.save({"a": base[:6].view(2, 3), "b": base[6:], "p": torch.nn.Parameter(w)},
               os.path.join(d, "views.pt"))
    torch.save({"model": {"w": w}, "state_dict": {"w": w}}, os.path.join(d, "two_state_dicts.pt"))
    torch.save({"epoch": 1}, os.path.join(d, "no_tensors.pt"))


def renamed(out, clip_dir):
    sd = load_file(os.path.join(clip_dir, "model.safetensors"))
    r = {}
    for k, v in sd.items():
        n = k
        for tower in ("vision_model", "text_model"):
            p = tower + ".encoder.layers."
            if k.startswith(p):
                rest = k[len(p):]
                layer, sub = rest.split(".", 1)
                sub = (sub.replace("layer_norm1", "ln_1").replace("layer_norm2", "ln_2")
                       .replace("mlp.fc1", "mlp.c_fc").replace("mlp.fc2", "mlp.c_proj"))
                n = tower + ".encoder.layers." + layer + "." + sub
        r["module." + n] = v
    # Pack q/k/v of the first vision layer the way OpenAI and open_clip do.
    for kind in ("weight", "bias"):
        base = "module.vision_model.encoder.layers.0.self_attn."
        parts = [r.pop(base + f"{x}_proj.{kind}") for x in "qkv"]
        r[base + f"in_proj_{kind}"] = torch.cat(parts, 0).contiguous()
    d = os.path.join(out, "renamed", "keys_ok")
    copy_dir(clip_dir, d)
    save_file(r, os.path.join(d, "model.safetensors"))
    d = os.path.join(out, "renamed", "keys_missing")
    copy_dir(clip_dir, d)
    r = dict(r)
    del r["module.text_model.encoder.layers.0.mlp.c_fc.bias"]
    save_file(r, os.path.join(d, "model.safetensors"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", required=True, help="tiny_models directory")
    ap.add_argument("--siglip", required=True, help="tiny_siglip directory")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    twins(os.path.join(args.clip, "tiny_a"), args.out, "tiny_a")
    twins(os.path.join(args.clip, "tiny_b"), args.out, "tiny_b")
    twins(os.path.join(args.siglip, "siglip_a"), args.out, "siglip_a")
    hostile(args.out, os.path.join(args.clip, "tiny_a"))
    renamed(args.out, os.path.join(args.clip, "tiny_a"))
    print(f"wrote torch.save checkpoints to {args.out}")


if __name__ == "__main__":
    main()
