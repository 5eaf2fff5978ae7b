#!/usr/bin/env python3
"""Writes a library of short mp4 videos in the demo's visual grammar (one coloured shape moving
over a background, with a fading trail; see indexer/model/tools/demo/scenes.py) and a
manifest.json saying what each video shows and when. Needs only python3 and the ffmpeg CLI.

  make_demo_library.py OUT --demo                    the fixed 8-video library of `make demo`
  make_demo_library.py OUT --random N --seed S       N videos of distinct random scenes
        [--segments K] [--seconds T]                 (K segments of T seconds each)

File names (take01.mp4 ...) say nothing about the content. manifest.json:
  {"videos": [{"file": "take01.mp4",
               "segments": [{"start": 0, "end": 5, "scene": [colour, shape, direction, bg]}]}]}
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "indexer",
                                "model", "tools"))
from demo import scenes  # noqa: E402

FPS = 10

# The `make demo` library: every demo query (deploy/demo.sh) fits exactly one video, and the
# others share some of its parts (same colour, same shape or same direction) as distractors.
DEMO = [
    [("red", "circle", "right", "dark"), ("green", "square", "up", "light")],
    [("blue", "square", "left", "striped"), ("yellow", "circle", "down", "dark")],
    [("blue", "square", "right", "dark"), ("red", "triangle", "up", "striped")],
    [("green", "square", "left", "light"), ("blue", "circle", "left", "dark")],
    [("yellow", "triangle", "down", "striped"), ("green", "circle", "right", "dark")],
    [("red", "square", "down", "light"), ("yellow", "square", "left", "light")],
    [("green", "triangle", "down", "dark"), ("blue", "triangle", "right", "light")],
    [("yellow", "triangle", "up", "dark"), ("red", "square", "right", "striped")],
]


def write_video(path, segs, seconds, rng):
    size = f"{scenes.SIZE}x{scenes.SIZE}"
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", size, "-r", str(FPS), "-i", "-", "-c:v", "libx264", "-preset", "veryfast",
           "-pix_fmt", "yuv420p", "-g", str(FPS), "-an", path]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    n = int(round(seconds * FPS))
    for sc in segs:
        look = scenes.Look(rng)
        for i in range(n):
            proc.stdin.write(scenes.render(sc, i / max(1, n - 1), look))
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit(f"make_demo_library: ffmpeg failed writing {path}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--demo", action="store_true")
    mode.add_argument("--random", type=int, metavar="N")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--segments", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()

    rng = scenes.new_rng(args.seed)
    if args.demo:
        videos = DEMO
    else:
        pool = scenes.all_scenes()
        if args.random * args.segments > len(pool):
            sys.exit(f"make_demo_library: at most {len(pool)} distinct scenes")
        picked = rng.sample(pool, args.random * args.segments)
        videos = [picked[i * args.segments:(i + 1) * args.segments] for i in range(args.random)]
    # Names in a shuffled order, so neither name nor order tells the content.
    names = [f"take{i + 1:02d}.mp4" for i in range(len(videos))]
    rng.shuffle(names)
    os.makedirs(args.out, exist_ok=True)
    manifest = {"videos": []}
    for name, segs in sorted(zip(names, videos)):
        write_video(os.path.join(args.out, name), segs, args.seconds, rng)
        manifest["videos"].append({"file": name, "segments": [
            {"start": k * args.seconds, "end": (k + 1) * args.seconds, "scene": list(sc)}
            for k, sc in enumerate(segs)]})
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
