#!/usr/bin/env bash
# The README's first command (make demo) runs this after building. It generates a small library
# of videos (coloured shapes moving over backgrounds; deploy/make_demo_library.py), starts
# `vidx daemon` on it with the demo model in models/demo (a tiny CLIP trained on that visual
# grammar by indexer/model/tools/train_demo_model.py), waits until everything is indexed,
# asks a few questions in plain words and shows the answers with their moments.
#
# It is also a check: it exits non-zero when a query's right video is not ranked first, or when
# the daemon does not finish indexing in time.
#
#   bash deploy/demo.sh [--web] [BUILD_DIR]     (default: build; run from the repository root)
#
# With --web (make demo-web) the daemon also serves the web UI on 127.0.0.1:8421 (or
# $VIDX_DEMO_WEB_LISTEN) and, after the checks, keeps running until Ctrl-C while it prints the
# link that logs a browser in. Without it, the web listener takes any free port and the
# script exits by itself.
set -euo pipefail
web=0
if [ "${1:-}" = "--web" ]; then
  web=1
  shift
fi
build=${1:-build}
web_listen="127.0.0.1:0"
if [ "$web" -eq 1 ]; then web_listen=${VIDX_DEMO_WEB_LISTEN:-127.0.0.1:8421}; fi
here=$(cd "$(dirname "$0")/.." && pwd)
vidx="$build/cli/vidx"
timeout_s=${VIDX_DEMO_TIMEOUT:-180}

die() { echo "demo: $*" >&2; exit 1; }
[ -d "$build" ] || die "no build folder $build (run 'make build' first)"
work="$(cd "$build" && pwd)/demo"  # absolute: the config wants absolute paths
[ -x "$vidx" ] || die "no vidx binary at $vidx (run 'make build' first)"
command -v python3 >/dev/null || die "python3 is needed to generate the sample videos"
command -v ffmpeg >/dev/null || die "the ffmpeg CLI is needed to generate the sample videos"

rm -rf "$work"
mkdir -p "$work/library"
echo "== generating the sample library in $work/library"
python3 "$here/deploy/make_demo_library.py" "$work/library" --demo
mv "$work/library/manifest.json" "$work/manifest.json"

cfg="$work/vidx.yaml"
cat > "$cfg" <<YAML
state_dir: $work/state
library:
  roots: [$work/library]
  settle_seconds: 1
model:
  path: $here/models/demo
  batch_size: 16
sampling:
  fps: 1
daemon:
  socket: $work/vidx.sock
web:
  listen: "$web_listen"
logging:
  level: warn
YAML

echo "== vidx daemon (log: $work/daemon.log)"
"$vidx" --config "$cfg" daemon > "$work/daemon.log" 2>&1 &
daemon_pid=$!
stop_daemon() {
  if kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
}
trap stop_daemon EXIT

want=$(ls "$work/library"/*.mp4 | wc -l)
deadline=$((SECONDS + timeout_s))
last=""
while :; do
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log" >&2; die "the daemon exited early (log above)"; }
  status=$("$vidx" --config "$cfg" status --json 2>/dev/null || true)
  line=$(printf '%s' "$status" | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError:
    print("starting"); sys.exit()
f, d = s.get("files", {}), s.get("daemon") or {}
print("%s indexed=%s failed=%s pending=%s" % (d.get("phase", "?"), f.get("indexed"), f.get("failed"), f.get("pending")))
')
  [ "$line" != "$last" ] && echo "   $line" && last=$line
  [ "$line" = "idle indexed=$want failed=0 pending=0" ] && break
  case "$line" in *failed=[1-9]*) die "some videos failed to index: $("$vidx" --config "$cfg" status 2>&1)";; esac
  [ "$SECONDS" -lt "$deadline" ] || die "not all $want videos were indexed within ${timeout_s}s (status: $line; log: $work/daemon.log)"
  sleep 0.5
done

# Each fits exactly one video of the library. The demo model is sure of colours and backgrounds
# and only partly of shapes; it does not tell directions apart (indexer/model/tools/train_demo_model.py).
queries=(
  "a red shape on a light background"
  "a yellow triangle on a striped background"
  "a blue shape on a striped background"
  "a yellow shape on a light background"
)
failures=0
for q in "${queries[@]}"; do
  echo
  echo "== vidx search \"$q\" -k 3"
  "$vidx" --config "$cfg" search "$q" -k 3
  "$vidx" --config "$cfg" search "$q" -k 3 --json > "$work/answer.json"
  verdict=$(python3 - "$work/manifest.json" "$work/answer.json" "$q" <<'PY'
import json, os, sys
manifest, answer, query = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
words = query.split()
def fits(scene):
    return all(w in scene for w in words if w not in ("a", "on", "moving", "background", "shape"))
right = [v["file"] for v in manifest["videos"] if any(fits(s["scene"]) for s in v["segments"])]
got = [os.path.basename(r["path"]) for r in answer["results"]]
if len(right) != 1:
    print("bad demo library: %d videos fit" % len(right))
elif got[:1] == right:
    print("ok")
else:
    print("expected %s first, got %s" % (right[0], got[:3]))
PY
)
  if [ "$verdict" = ok ]; then
    echo "   right video first: ok"
  else
    echo "   WRONG: $verdict" >&2
    failures=$((failures + 1))
  fi
done
echo
if [ "$failures" -ne 0 ]; then
  die "$failures of ${#queries[@]} queries did not put the right video first"
fi
echo "demo: all ${#queries[@]} queries found the right video first."
if [ "$web" -eq 0 ]; then
  echo "Try more: $vidx --config $cfg search \"a green square\" (start the daemon again, or it opens the state read-only)."
  echo "To look at the same library in a browser: make demo-web (bash deploy/demo.sh --web $build),"
  echo "which keeps the daemon running and prints the link to open."
  exit 0
fi

url=$("$vidx" --config "$cfg" web) || die "vidx web found no web listener (log: $work/daemon.log)"
echo
echo "== the web UI: open this link in a browser on this machine (it logs you in):"
echo "   $url"
port=${url#http://*:}
port=${port%%/*}
echo "   (from another machine: ssh -L $port:127.0.0.1:$port THIS_HOST, then the same link)"
echo "   More searches from a shell: $vidx --config $cfg search \"a green square\""
echo "   Press Ctrl-C to stop the daemon."
# Ctrl-C reaches the daemon too (same process group), which then stops cleanly by itself.
interrupted=0
trap 'interrupted=1' INT TERM
wait "$daemon_pid" || true
if [ "$interrupted" -eq 1 ]; then
  echo
  echo "demo: stopping the daemon"
  stop_daemon
  exit 0
fi
cat "$work/daemon.log" >&2
die "the daemon exited (log above)"
