#!/usr/bin/env python3
"""Retrieval quality of the demo model (models/demo) through the real `vidx` binary, and the
same measurement with its text tower left randomly initialised.

Held-out library: 24 videos of distinct scenes rendered with a seed the trainer never used
(deploy/make_demo_library.py --random 24 --seed 4242). For each model the test starts
`vidx daemon` on the library, waits until every file is indexed, then asks one query per video
(its full caption, e.g. "a red circle moving left on a dark background") with
`vidx search --json -k 5`, which goes through the daemon's socket. recall@5 is the fraction of
queries whose video is among the 5 files returned.

  * trained model: recall@5 >= 0.9.
  * broken model: a valid checkpoint in which every text_model.* tensor and
    text_projection.weight is replaced by a fresh CLIPModel initialisation — exactly what
    loading with strict=False leaves behind when the text keys do not match. vidx loads it
    (the checks are about key names, shapes and NaNs; a random tower passes them all), and its
    recall@5 must fall to about chance, 5/24 = 0.21. The bound is 0.5: with the right video at a
    uniformly random rank each query hits with p = 5/24, and P(>= 12 hits of 24) < 0.003.

With --precision int8 both models run with `model.precision: int8` (Linear layers quantized):
the same bounds must hold.

Usage: .venv/bin/python tests/demo_model_test.py --vidx BUILD/cli/vidx [--model models/demo]
                                                 [--precision fp32|int8]
Exit 0 when both hold, 1 otherwise; the measured numbers are printed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
N_VIDEOS, SEED, K = 24, 4242, 5
MIN_TRAINED, MAX_BROKEN = 0.9, 0.5


def make_broken(model_dir, out):
    """models/demo with the text tower replaced by a fresh random initialisation."""
    import torch
    from safetensors.torch import load_file, save_file
    from transformers import CLIPConfig, CLIPModel
    shutil.copytree(model_dir, out)
    sd = load_file(os.path.join(model_dir, "model.safetensors"))
    torch.manual_seed(12345)
    fresh = CLIPModel(CLIPConfig.from_pretrained(model_dir)).state_dict()
    replaced = 0
    for k in list(sd):
        if k.startswith("text_model.") or k == "text_projection.weight":
            assert fresh[k].shape == sd[k].shape, k
            sd[k] = fresh[k].clone().contiguous()
            replaced += 1
    assert replaced > 10, replaced
    save_file(sd, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    return replaced


def run(cmd, **kw):
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)


def measure(vidx, model_dir, lib, work, name, captions, precision):
    """Starts the daemon on `lib` with `model_dir`, returns recall@K over the caption queries."""
    cfg = os.path.join(work, name + ".yaml")
    with open(cfg, "w") as f:
        f.write(f"state_dir: {work}/{name}-state\nlibrary:\n  roots: [{lib}]\n"
                f"  settle_seconds: 0.5\nmodel:\n  path: {model_dir}\n  batch_size: 16\n"
                f"  precision: {precision}\n"
                f"sampling:\n  fps: 1\ndaemon:\n  socket: {work}/{name}.sock\n"
                f"web:\n  listen: \"127.0.0.1:0\"\n"
                f"logging:\n  level: warn\n")
    verify = run([vidx, "--config", cfg, "model", "verify", "--json"])
    if verify.returncode != 0 or not json.loads(verify.stdout)["ok"]:
        sys.exit(f"{name}: vidx model verify refused the model:\n{verify.stdout}{verify.stderr}")
    if json.loads(verify.stdout).get("precision", precision) != precision:
        sys.exit(f"{name}: vidx model verify reports another precision:\n{verify.stdout}")
    log = open(os.path.join(work, name + "-daemon.log"), "w")
    daemon = subprocess.Popen([vidx, "--config", cfg, "daemon"], stdout=log, stderr=log)
    try:
        deadline = time.time() + 120
        while True:
            if daemon.poll() is not None:
                sys.exit(f"{name}: the daemon exited with {daemon.returncode}; see {log.name}")
            st = run([vidx, "--config", cfg, "status", "--json"])
            try:
                s = json.loads(st.stdout)
                files, phase = s["files"], (s.get("daemon") or {}).get("phase")
                if phase == "idle" and files["indexed"] + files["failed"] == len(captions) \
                        and files["pending"] == 0:
                    if files["failed"]:
                        sys.exit(f"{name}: {files['failed']} videos failed to index")
                    break
            except (ValueError, KeyError):
                pass
            if time.time() > deadline:
                sys.exit(f"{name}: not indexed within 120 s; last status: {st.stdout}{st.stderr}")
            time.sleep(0.3)
        hits = 0
        for video, text in captions.items():
            r = run([vidx, "--config", cfg, "search", text, "-k", str(K), "--json"])
            if r.returncode != 0:
                sys.exit(f"{name}: vidx search failed: {r.stderr}")
            got = [os.path.basename(x["path"]) for x in json.loads(r.stdout)["results"]]
            hits += video in got[:K]
        return hits / len(captions)
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vidx", required=True)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "demo"))
    ap.add_argument("--precision", default="fp32", choices=["fp32", "int8"])
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    vidx, model = os.path.abspath(args.vidx), os.path.abspath(args.model)
    sys.path.insert(0, os.path.join(ROOT, "indexer", "model", "tools"))
    from demo import scenes

    work = tempfile.mkdtemp(prefix="vidx-demo-model-")
    try:
        lib = os.path.join(work, "lib")
        t0 = time.time()
        gen = run([sys.executable, os.path.join(ROOT, "deploy", "make_demo_library.py"), lib,
                   "--random", str(N_VIDEOS), "--seed", str(SEED), "--seconds", "4"])
        if gen.returncode != 0:
            sys.exit(f"generating the held-out library failed: {gen.stderr}")
        manifest_path = os.path.join(lib, "manifest.json")
        manifest = json.load(open(manifest_path))
        os.rename(manifest_path, os.path.join(work, "manifest.json"))
        captions = {v["file"]: scenes.caption(tuple(v["segments"][0]["scene"]))
                    for v in manifest["videos"]}
        broken = os.path.join(work, "broken-model")
        replaced = make_broken(model, broken)
        print(f"held-out library: {N_VIDEOS} videos in {time.time() - t0:.1f}s; broken model: "
              f"{replaced} text-tower tensors re-initialised")

        chance = K / N_VIDEOS
        p = args.precision
        trained = measure(vidx, model, lib, work, "trained", captions, p)
        print(f"trained model ({p}): recall@{K} = {trained:.3f} (need >= {MIN_TRAINED})",
              flush=True)
        rand = measure(vidx, broken, lib, work, "broken", captions, p)
        print(f"random text tower ({p}): recall@{K} = {rand:.3f} (chance {chance:.3f}; "
              f"need <= {MAX_BROKEN})")
        print(f"total {time.time() - t0:.1f}s")
        ok = trained >= MIN_TRAINED and rand <= MAX_BROKEN
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
