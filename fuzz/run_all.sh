#!/bin/bash
# Long mode of the fuzzing suite: builds the libFuzzer targets (clang, ASan+UBSan) if needed,
# makes seed corpora, runs each target for FUZZ_SECONDS (default 60) and prints the number of
# executions per target. Exits non-zero when any target found a crash (its input is left in
# BUILD/artifacts/<target>/; turn it into a regression test in the matching *_test.cpp).
#
# Run from the repository root:  FUZZ_SECONDS=180 fuzz/run_all.sh
# Environment: FUZZ_SECONDS, FUZZ_BUILD (default build-fuzz), FUZZ_TARGETS (default: all six),
#              FUZZ_JOBS (ninja -j, default 2).
set -u
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build-fuzz}
targets=${FUZZ_TARGETS:-"safetensors_fuzz tokenizer_fuzz pickle_fuzz http_fuzz config_fuzz sampler_fuzz"}

if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVIDX_FUZZ=ON -DVIDX_BUILD_TESTS=OFF -DVIDX_BUILD_BENCH=OFF \
    -DVIDX_SANITIZE=address,undefined || exit 2
fi
# shellcheck disable=SC2086
ninja -C "$build" -j "${FUZZ_JOBS:-2}" $targets || exit 2
fuzz/make_corpus.sh "$build/corpus" >/dev/null || exit 2

declare -A corpus=([safetensors_fuzz]=safetensors [tokenizer_fuzz]=tokenizer [pickle_fuzz]=pickle [http_fuzz]=http
                   [config_fuzz]=config [sampler_fuzz]=sampler)
declare -A max_len=([safetensors_fuzz]=4096 [tokenizer_fuzz]=2048 [pickle_fuzz]=8192 [http_fuzz]=8192
                    [config_fuzz]=4096 [sampler_fuzz]=65536)
failed=0
summary=""
for t in $targets; do
  work="$build/corpus/${corpus[$t]}.work"
  art="$build/artifacts/$t/"
  mkdir -p "$work" "$art"
  log="$build/artifacts/$t.log"
  echo "== $t for $seconds s"
  # The grown corpus goes to $work (kept between runs); the generated seeds are read too.
  "$build/fuzz/$t" -max_total_time="$seconds" -max_len="${max_len[$t]}" -timeout=25 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$art" \
    "$work" "$build/corpus/${corpus[$t]}" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    failed=1
    line="$t: FAILED (exit $rc) after ${runs:-?} executions; see $log and $art"
    grep -m3 -E 'ERROR|SUMMARY|deadly|Test unit written' "$log"
  else
    line="$t: ${runs:-?} executions in $seconds s, $cov"
  fi
  echo "$line"
  summary+="$line"$'\n'
done
echo
echo "== summary"
printf '%s' "$summary"
exit $failed
