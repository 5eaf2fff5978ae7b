#!/usr/bin/env python3
"""Python side of the search latency benchmark (bench/latency_bench.cpp).

  --make DIR   write a random CLIP with transformers' CLIPConfig() defaults (ViT-B/32: text
               tower 12 layers x 512 over 77 positions, vocabulary 49408) with save_pretrained,
               plus a preprocessor_config.json. About 600 MB; written once, never committed.
  --model DIR --ids FILE --threads T [--exact N] [--padded M]
               FILE holds one query per line: its token ids (start and end markers included,
               no padding), space separated. Times CLIPModel.get_text_features per query at its
               exact length for the first N queries, then for the first M padded to 77
               positions, and prints
               "exact_p50_ms=", "exact_p99_ms=", "padded_p50_ms=", "padded_p99_ms=".
"""
import argparse
import json
import os
import time

import torch
from transformers import CLIPConfig, CLIPModel


def make(out):
    torch.manual_seed(0)
    CLIPModel(CLIPConfig()).eval().save_pretrained(out, safe_serialization=True)
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump({"size": {"shortest_edge": 224}, "crop_size": {"height": 224, "width": 224}}, f)
    print(f"wrote {out}")


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]


def bench(model_dir, ids_file, threads, exact_n, padded):
    torch.set_num_threads(threads)
    model = CLIPModel.from_pretrained(model_dir).eval()
    with open(ids_file) as f:
        rows = [[int(x) for x in line.split()] for line in f if line.strip()]
    context = model.config.text_config.max_position_embeddings

    def run(ids):
        t0 = time.perf_counter()
        e = model.get_text_features(input_ids=torch.tensor([ids]))
        e = e / e.norm(dim=-1, keepdim=True)
        return (time.perf_counter() - t0) * 1000

    with torch.inference_mode():
        for r in rows[:3]:  # warm-up
            run(r)
        exact = [run(r) for r in rows[:exact_n]]
        pad = [run(r + [0] * (context - len(r))) for r in rows[:padded]]
    print(f"exact_p50_ms={percentile(exact, 0.5):.3f}")
    print(f"exact_p99_ms={percentile(exact, 0.99):.3f}")
    if pad:
        print(f"padded_p50_ms={percentile(pad, 0.5):.3f}")
        print(f"padded_p99_ms={percentile(pad, 0.99):.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--make")
    ap.add_argument("--model")
    ap.add_argument("--ids")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--exact", type=int, default=100)
    ap.add_argument("--padded", type=int, default=100)
    a = ap.parse_args()
    if a.make:
        make(a.make)
    if a.model:
        bench(a.model, a.ids, a.threads, a.exact, a.padded)


if __name__ == "__main__":
    main()
