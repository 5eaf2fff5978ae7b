#!/usr/bin/env bash
# The README's first command (make demo) runs this after building: it generates a small sample
# library and shows what vidx does with it on built-in defaults.
#
# What exists today: the frame sampler (`vidx frames`). Indexing and search come with the
# catalog/search issue; this script grows with them.
set -euo pipefail
build=${1:-build}
vidx="$build/cli/vidx"
lib="$build/demo-library"
mkdir -p "$lib"

make_clip() {  # name, lavfi source
  [ -f "$lib/$1" ] || ffmpeg -nostdin -loglevel error -f lavfi -i "$2" -c:v libx264 \
    -pix_fmt yuv420p -g 30 -y "$lib/$1"
}
make_clip sunrise.mp4 "color=c=orange:size=320x180:rate=15:duration=12"
make_clip testcard.mp4 "testsrc2=size=320x180:rate=15:duration=20"
make_clip ocean.mp4 "color=c=navy:size=320x180:rate=15:duration=8"

# An empty config file: every setting at its built-in default, state kept in the build folder.
cfg="$build/demo.yaml"
echo "state_dir: $build/demo-state" > "$cfg"

for f in "$lib"/*.mp4; do
  echo "== vidx frames $f"
  "$vidx" --config "$cfg" frames "$f" --out "$build/demo-frames/$(basename "$f" .mp4)"
done
echo
echo "Frames the model would see were written under $build/demo-frames/."
