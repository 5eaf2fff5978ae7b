#!/usr/bin/env bash
# `vidx model verify` wall time on a ViT-B/32-sized random checkpoint (~600 MB, CLIPConfig's
# defaults saved by transformers), cold (re-hash) and with a warm hash cache, against the
# Python reference loading the same directory with CLIPModel.from_pretrained in the same run.
#
#   bench/verify_bench.sh [BUILD_DIR] [CACHE_DIR]        RUNS=5 warm runs by default
#
# Warm figures are medians over RUNS runs: wall time, CPU time (user + sys, from
# /usr/bin/time; less disturbed than wall time when other work shares the cores), and the
# stages `model verify --json` reports (load, hash, probe). The rest of the wall time is
# process start-up (dynamic linking of LibTorch, static initialisers) and the tokenizer.
# The 1-minute load average before the runs is printed: figures taken above ~0.5 are noisy.
set -euo pipefail
build=${1:-build}
cache=${2:-$build/bench-cache}
runs=${RUNS:-5}
model="$cache/vitb32-full"
py=.venv/bin/python
vidx="$build/cli/vidx"
mkdir -p "$cache"
if [ ! -f "$model/model.safetensors" ]; then
  echo "making $model (random ViT-B/32, ~600 MB) ..."
  "$py" - "$model" <<'PY'
import json, os, sys, torch
from transformers import CLIPConfig, CLIPModel
torch.manual_seed(0)
out = sys.argv[1]
CLIPModel(CLIPConfig()).eval().save_pretrained(out, safe_serialization=True)
with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
    json.dump({"size": {"shortest_edge": 224}, "crop_size": {"height": 224, "width": 224}}, f)
PY
  cp ../shared/data/clip/bpe_simple_vocab_16e6.txt.gz "$model/"
fi
cfg="$cache/verify.yaml"
printf 'state_dir: %s\nmodel:\n  path: %s\n' "$cache/state" "$model" > "$cfg"
size=$(du -m "$model/model.safetensors" | cut -f1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One run: prints "wall user+sys load hash probe" (seconds).
one() {
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$vidx" --config "$cfg" model verify --json "$@" \
    > "$tmp/out.json"
  "$py" - "$tmp/time" "$tmp/out.json" <<'PY'
import json, sys
wall, user, sys_ = (float(x) for x in open(sys.argv[1]).read().split()[-3:])
out = json.load(open(sys.argv[2]))
assert out["ok"], out["error"]
s = out["seconds"]
print(f'{wall} {user + sys_} {s["load"]} {s["hash"]} {s["probe"]}')
PY
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

cat /proc/loadavg > "$tmp/load_before"
cold=$(one --rehash)
: > "$tmp/warm"
for _ in $(seq "$runs"); do one >> "$tmp/warm"; done
t0=$(date +%s.%N)
"$py" -c "import sys; from transformers import CLIPModel; CLIPModel.from_pretrained(sys.argv[1])" "$model"
peer=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')
col() { cut -d' ' -f"$1" "$tmp/warm" | median; }
wall=$(col 1); cpu=$(col 2); load=$(col 3); hash=$(col 4); probe=$(col 5)

printf 'checkpoint %s MB; load average before: %s\n' "$size" "$(cut -d' ' -f1-3 "$tmp/load_before")"
printf 'vidx model verify, cold (sha256 of the weights): %6.2f s wall\n' "$(echo "$cold" | cut -d' ' -f1)"
printf 'vidx model verify, warm hash cache, median of %s: %6.2f s wall   (target < 3 s)\n' "$runs" "$wall"
printf '  user+sys CPU %.2f s; stages: strict load %.2f s, hash %.3f s, probe x2 %.2f s, rest %.2f s\n' \
  "$cpu" "$load" "$hash" "$probe" "$(awk -v w="$wall" -v l="$load" -v h="$hash" -v p="$probe" 'BEGIN{print w-l-h-p}')"
printf '  all warm runs (wall cpu load hash probe):\n'; sed 's/^/    /' "$tmp/warm"
printf 'transformers CLIPModel.from_pretrained (peer):   %6.2f s\n' "$peer"
printf 'ratio peer / vidx warm verify: %.2f\n' "$(awk -v p="$peer" -v v="$wall" 'BEGIN{print p/v}')"
printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
