#!/usr/bin/env bash
# How long `vidx search` takes when the daemon answers, against curl sending the same request to
# the same socket, in the same run: the front binary (cli/front_main.cpp) should cost no more
# than a small client. One daemon on the demo library (deploy/make_demo_library.py --demo, the
# demo model in models/demo), then RUNS (default 50) of each, interleaved so that load changes
# hit all of them alike:
#   vidx      build/cli/vidx search "TEXT" --json            (the front binary)
#   vidx-core build/cli/vidx-core search "TEXT" --json       (the full binary: what every vidx
#                                                              process loaded before the split)
#   curl      curl --unix-socket SOCK -d '{"text":"TEXT"}' http://localhost/v1/search
# It prints p50 and p99 wall time of each and the ratios to curl's p50.
#
#   bench/cli_latency_bench.sh [BUILD_DIR]     (run from the repository root; RUNS=50 by default)
set -euo pipefail
build=${1:-build}
runs=${RUNS:-50}
here=$(cd "$(dirname "$0")/.." && pwd)
vidx="$build/cli/vidx"
core="$build/cli/vidx-core"
text="a red shape on a light background"
die() { echo "cli_latency_bench: $*" >&2; exit 1; }
[ -x "$vidx" ] && [ -x "$core" ] || die "build vidx first (cmake --build $build --target vidx)"
command -v curl >/dev/null || die "curl is needed"

work="$(cd "$build" && pwd)/bench-cli-latency"
rm -rf "$work"
mkdir -p "$work/library"
python3 "$here/deploy/make_demo_library.py" "$work/library" --demo >/dev/null
cat > "$work/vidx.yaml" <<YAML
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
  listen: ""
logging:
  level: warn
YAML
"$vidx" --config "$work/vidx.yaml" daemon > "$work/daemon.log" 2>&1 &
daemon_pid=$!
trap 'kill -TERM $daemon_pid 2>/dev/null; wait $daemon_pid 2>/dev/null || true' EXIT
want=$(ls "$work/library"/*.mp4 | wc -l)
for _ in $(seq 600); do
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log" >&2; die "the daemon exited"; }
  if curl -sf --unix-socket "$work/vidx.sock" http://localhost/v1/status 2>/dev/null |
      python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s["daemon"]["phase"]=="idle" and s["files"]["indexed"]=='"$want"' else 1)' 2>/dev/null; then
    break
  fi
  sleep 0.5
done
curl -sf --unix-socket "$work/vidx.sock" http://localhost/v1/status >/dev/null || die "no daemon answers"

request=$(python3 -c 'import json,sys; print(json.dumps({"text": sys.argv[1]}))' "$text")
now_ns() { date +%s%N; }
time_one() {  # OUT_FILE COMMAND...: appends the wall time in ms
  local out=$1; shift
  local t0 t1
  t0=$(now_ns)
  "$@" >/dev/null
  t1=$(now_ns)
  echo $(( (t1 - t0) / 1000 )) >> "$out"
}
: > "$work/vidx.us"; : > "$work/core.us"; : > "$work/curl.us"
# One of each first, unmeasured: the page cache holds the binaries and libraries afterwards.
"$vidx" --config "$work/vidx.yaml" search "$text" --json >/dev/null
"$core" --config "$work/vidx.yaml" search "$text" --json >/dev/null
for _ in $(seq "$runs"); do
  time_one "$work/vidx.us" "$vidx" --config "$work/vidx.yaml" search "$text" --json
  time_one "$work/core.us" "$core" --config "$work/vidx.yaml" search "$text" --json
  time_one "$work/curl.us" curl -sf --unix-socket "$work/vidx.sock" \
    -H 'Content-Type: application/json' -d "$request" http://localhost/v1/search
done
python3 - "$work" "$runs" <<'PY'
import os, sys
work, runs = sys.argv[1], int(sys.argv[2])
def load(name):
    return sorted(int(x) / 1000.0 for x in open(os.path.join(work, name)))
def pct(v, p):  # nearest rank
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))]
rows = [("vidx", load("vidx.us")), ("vidx-core", load("core.us")), ("curl", load("curl.us"))]
curl50 = pct(rows[2][1], 50)
print("load average (1 min) at the end: %s" % open("/proc/loadavg").read().split()[0])
print("%-10s %8s %8s %14s" % ("client", "p50 ms", "p99 ms", "p50 / curl"))
for name, v in rows:
    print("%-10s %8.1f %8.1f %13.1fx" % (name, pct(v, 50), pct(v, 99), pct(v, 50) / curl50))
PY
