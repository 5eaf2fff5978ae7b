#!/bin/sh
# Writes small seed corpora for the libFuzzer targets under OUT (default build-fuzz/corpus):
#   OUT/{safetensors,tokenizer,pickle,http,config,sampler}/
# Seeds are generated (ffmpeg CLI for media, python3 for a safetensors file), never committed.
# Run from the repository root: fuzz/make_corpus.sh [OUT]
set -eu
out=${1:-build-fuzz/corpus}
mkdir -p "$out/safetensors" "$out/tokenizer" "$out/pickle" "$out/http" "$out/config" "$out/sampler"

# safetensors: a valid two-tensor file and an empty-header one.
python3 - "$out/safetensors" <<'PY'
import json, struct, sys
d = sys.argv[1]
def write(name, header, data):
    h = json.dumps(header).encode()
    open(f"{d}/{name}", "wb").write(struct.pack("<Q", len(h)) + h + data)
write("two.safetensors", {"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                         "b": {"dtype": "I64", "shape": [1], "data_offsets": [16, 24]},
                         "__metadata__": {"format": "pt"}}, bytes(24))
write("empty.safetensors", {}, b"")
write("f16.safetensors", {"x": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]}}, bytes(6))
PY

# pickle: small torch.save archives and their data.pkl alone (python3 with torch, when present),
# plus a hand-written pickle naming a forbidden global.
python3 - "$out/pickle" <<'PY' || echo "make_corpus.sh: no torch for python3; the pickle corpus is small" >&2
import sys, zipfile
from collections import OrderedDict
d = sys.argv[1]
open(f"{d}/forbidden.pkl", "wb").write(b"\x80\x02cposix\nsystem\nX\x01\x00\x00\x00x\x85R.")
import torch
w = torch.arange(6, dtype=torch.float32).reshape(2, 3)
torch.save(OrderedDict(a=w, b=w[1]), f"{d}/state_dict.pt")
torch.save({"state_dict": {"module.a": torch.nn.Parameter(w.half())}, "epoch": 1}, f"{d}/nested.pt")
for name in ("state_dict", "nested"):
    z = zipfile.ZipFile(f"{d}/{name}.pt")
    pkl = [n for n in z.namelist() if n.endswith("data.pkl")][0]
    open(f"{d}/{name}.pkl", "wb").write(z.read(pkl))
PY

# tokenizer: plain, accented, emoji, mojibake, full-width, invalid UTF-8.
printf 'a dog running on a beach' > "$out/tokenizer/plain"
printf 'caf\303\251 \342\200\234quoted\342\200\235 \360\237\220\266 \357\274\241\357\274\242' > "$out/tokenizer/unicode"
printf 'bad \377\376 utf8 \300\200' > "$out/tokenizer/invalid"
printf "it's don't   MANY   spaces 123 4.5" > "$out/tokenizer/contractions"

# http: the first two bytes choose limits and chunking (see http_fuzz.cpp).
printf '\000\007GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n' > "$out/http/get"
printf '\001\003POST /v1/search HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{"text":"a dog","k":10}\n' > "$out/http/post"
printf '\000\001HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}' > "$out/http/response"

# config: the example and a few small variants.
cp config/vidx.example.yaml "$out/config/example.yaml"
printf 'state_dir: /tmp/x\nsampling:\n  fps: 0.5\n  max_frames: 10\n' > "$out/config/sampling.yaml"
printf 'library:\n  roots: [/a, /b]\n  extensions: [mp4]\nindex:\n  factory: HNSW32\n' > "$out/config/library.yaml"
printf 'model:\n  key_map: openai\n  ignore_unexpected: ["*.position_ids"]\n  device: cpu\n' > "$out/config/model.yaml"

# sampler: tiny videos in several containers and codecs (a few KiB each).
if command -v ffmpeg >/dev/null 2>&1; then
  src="-f lavfi -i testsrc2=s=32x24:r=4:d=1"
  ff() { ffmpeg -v error -y $src "$@"; }
  ff -c:v libx264 -pix_fmt yuv420p -g 2 "$out/sampler/h264.mp4"
  ff -c:v libvpx -b:v 50k "$out/sampler/vp8.webm"
  ff -c:v mpeg4 "$out/sampler/mpeg4.avi"
  ff -c:v mjpeg "$out/sampler/mjpeg.mkv"
  ff -c:v mpeg2video "$out/sampler/mpeg2.ts"
  ff -frames:v 2 -pix_fmt yuv420p "$out/sampler/raw.y4m"
  ff -c:v libx264 -pix_fmt yuv420p -metadata:s:v rotate=90 "$out/sampler/rotated.mov"
else
  echo "make_corpus.sh: ffmpeg not found; the sampler corpus is empty" >&2
fi
echo "corpora in $out"
