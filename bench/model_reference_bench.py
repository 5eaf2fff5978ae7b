#!/usr/bin/env python3
"""Python side of the model benchmark: transformers CLIPModel / SiglipModel
.get_image_features throughput (the class from config.json's model_type).

  --make DIR   write a random ViT-B/32-shaped CLIP (vision: hidden 768, 12 layers, 12 heads,
               patch 32, image 224; a tiny text tower, it is not measured) with save_pretrained.
  --make-b32 DIR
               write a random CLIP with both towers shaped like openai/clip-vit-base-patch32
               (vision as --make; text: hidden 512, 12 layers, 8 heads, MLP 2048, 49408 tokens,
               77 positions), for the int8 benchmark, which times the text tower too.
  --make-siglip DIR
               write a random SigLIP with a ViT-B/16-shaped vision tower (hidden 768, 12 layers,
               12 heads, MLP 3072, patch 16, image 224: google/siglip-base-patch16-224's shape;
               a tiny text tower) with save_pretrained.
  --model DIR --batch B --iters N --threads T
               time N batches after 2 warm-up batches; prints "python_images_per_s=<float>"
               (wall clock) and "python_images_per_cpu_s=<float>" (process CPU time).
Run by bench/model_bench.cpp in the same run as the C++ measurement.
"""
import argparse
import json
import os
import time

import torch
from transformers import CLIPConfig, CLIPModel, SiglipConfig, SiglipModel


def save_clip(out, text_config):
    """A random CLIP with a ViT-B/32 vision tower and `text_config`, saved to `out`."""
    torch.manual_seed(0)
    cfg = CLIPConfig(
        text_config=text_config,
        vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                           num_attention_heads=12, image_size=224, patch_size=32),
        projection_dim=512)
    CLIPModel(cfg).eval().save_pretrained(out, safe_serialization=True)
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump({"size": {"shortest_edge": 224}, "crop_size": {"height": 224, "width": 224}}, f)
    print(f"wrote {out}")


def make(out):
    save_clip(out, dict(hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                        num_attention_heads=4, vocab_size=1000, max_position_embeddings=77))


def make_b32(out):
    save_clip(out, dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                        num_attention_heads=8, vocab_size=49408, max_position_embeddings=77))


def make_siglip(out):
    torch.manual_seed(0)
    cfg = SiglipConfig(
        text_config=dict(hidden_size=768, intermediate_size=128, num_hidden_layers=1,
                         num_attention_heads=4, vocab_size=1000, max_position_embeddings=64),
        vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                           num_attention_heads=12, image_size=224, patch_size=16))
    SiglipModel(cfg).eval().save_pretrained(out, safe_serialization=True)
    print(f"wrote {out}")


def bench(model_dir, batch, iters, threads):
    torch.set_num_threads(threads)
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    siglip = config.get("model_type") == "siglip"
    model = (SiglipModel if siglip else CLIPModel).from_pretrained(model_dir).eval()
    size = config["vision_config"].get("image_size", 224)
    gen = torch.Generator().manual_seed(1)
    pixels = torch.randn(batch, 3, size, size, generator=gen)
    with torch.inference_mode():
        for _ in range(2):
            model.get_image_features(pixel_values=pixels)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(iters):
            e = model.get_image_features(pixel_values=pixels)
            e = e / e.norm(dim=-1, keepdim=True)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(f"python_images_per_s={batch * iters / dt:.3f}")
    # Images per CPU-second (all threads): less sensitive to other load on a shared machine.
    print(f"python_images_per_cpu_s={batch * iters / dc:.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--make")
    ap.add_argument("--make-b32")
    ap.add_argument("--make-siglip")
    ap.add_argument("--model")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.make:
        make(a.make)
    if a.make_b32:
        make_b32(a.make_b32)
    if a.make_siglip:
        make_siglip(a.make_siglip)
    if a.model:
        bench(a.model, a.batch, a.iters, a.threads)


if __name__ == "__main__":
    main()
