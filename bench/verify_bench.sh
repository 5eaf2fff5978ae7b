#!/usr/bin/env bash
# `vidx model verify` wall time on a ViT-B/32-sized random checkpoint (~600 MB, CLIPConfig's
# defaults saved by transformers), cold (re-hash) and with a warm hash cache, against the
# Python reference loading the same directory with CLIPModel.from_pretrained in the same run.
#
#   bench/verify_bench.sh [BUILD_DIR] [CACHE_DIR]
set -euo pipefail
build=${1:-build}
cache=${2:-$build/bench-cache}
model="$cache/vitb32-full"
py=.venv/bin/python
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

t() { local s=$(date +%s.%N); "$@" > /dev/null; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{print b-a}'; }
cold=$(t "$build/cli/vidx" --config "$cfg" model verify --rehash)
warm=$(t "$build/cli/vidx" --config "$cfg" model verify)
warm2=$(t "$build/cli/vidx" --config "$cfg" model verify)
peer=$(t "$py" -c "import sys; from transformers import CLIPModel; CLIPModel.from_pretrained(sys.argv[1])" "$model")
best=$(printf '%s\n%s\n' "$warm" "$warm2" | sort -g | head -1)
printf 'checkpoint %s MB\n' "$size"
printf 'vidx model verify, cold (sha256 of the weights): %6.2f s\n' "$cold"
printf 'vidx model verify, warm hash cache (best of 2):  %6.2f s   (target < 3 s)\n' "$best"
printf 'transformers CLIPModel.from_pretrained (peer):   %6.2f s\n' "$peer"
printf 'ratio peer / vidx warm verify: %.2f\n' "$(awk -v p="$peer" -v v="$best" 'BEGIN{print p/v}')"
