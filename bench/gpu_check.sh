#!/usr/bin/env bash
# gpu_check.sh: builds the model library alone (-DVIDX_MODEL_ONLY=ON) against a LibTorch and runs
# vidx_gpu_check (bench/gpu_check.cpp): CUDA fp32/fp16/bf16 embeddings against CPU fp32 on the
# committed demo model, the determinism probe on CUDA, and ViT-B/32-shaped image-tower
# throughput in fp16 at batch 64 and 256. Needs no Python and no network. Without a CUDA device
# it builds, prints "no CUDA device, skipping" and exits 0.
#
#   bench/gpu_check.sh [LIBTORCH_DIR] [--build-dir DIR] [--jobs N] [-- vidx_gpu_check args]
#   bench/gpu_check.sh --bundle OUT.tar.gz
#
# --bundle, run in a vidx checkout on a machine with its build packages, writes a tarball to
# carry to the GPU machine: the files the model-only tree builds from, the nlohmann-json headers
# (the one library a libtorch zip lacks that the model code cannot do without) and the commit it
# was made from. There: tar xzf OUT.tar.gz && vidx-gpu-check/bench/gpu_check.sh /path/to/libtorch
# zlib, minizip, SentencePiece and oneDNN are used where CMake finds them and left out otherwise
# (gzip vocabularies, torch.save checkpoints, SigLIP tokenizers and model.precision int8 are then
# refused; the check needs none of them).
#
# LIBTORCH_DIR is the unpacked libtorch zip (the folder holding share/cmake/Torch); without it
# $Torch_DIR or $CMAKE_PREFIX_PATH is used as CMake finds them. The build goes to DIR (default
# build-gpu-check in the repository); $VIDX_GPU_CHECK_CMAKE_ARGS adds configure arguments (the
# ctest passes -DVIDX_WERROR=ON, as the Makefile's builds do). Exit status: vidx_gpu_check's (0 all passed or skipped,
# 1 a check failed), 3 when the build could not be configured or compiled.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
build="$repo/build-gpu-check"
jobs=$(nproc 2>/dev/null || echo 2)
torch=""
bundle_out=""
check_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --bundle) bundle_out=$2; shift 2 ;;
    --) shift; check_args=("$@"); break ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) torch=$1; shift ;;
  esac
done

# What the model-only tree (-DVIDX_MODEL_ONLY=ON) reads, relative to the repository.
bundle_paths=(CMakeLists.txt cmake common indexer/model models/demo bench/gpu_check.sh
  bench/gpu_check.cmake bench/gpu_check.cpp bench/model.cmake bench/model_bench.cpp)

make_bundle() {
  local out=$1 json="" d stage top commit
  if ! git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    echo "gpu_check: --bundle needs a git checkout of vidx ($repo is none)" >&2
    exit 3
  fi
  for d in ${VIDX_NLOHMANN_INCLUDE:-} /usr/include /usr/local/include; do
    if [ -f "$d/nlohmann/json.hpp" ]; then json=$d; break; fi
  done
  if [ -z "$json" ]; then
    echo "gpu_check: --bundle: no nlohmann/json.hpp in /usr/include or /usr/local/include" \
      "(Debian: nlohmann-json3-dev; or set VIDX_NLOHMANN_INCLUDE)" >&2
    exit 3
  fi
  stage=$(mktemp -d)
  top="$stage/vidx-gpu-check"
  mkdir -p "$top/bundle-include"
  (cd "$repo" && git ls-files -z -- "${bundle_paths[@]}" | xargs -0 cp --parents -t "$top")
  cp -R "$json/nlohmann" "$top/bundle-include/"
  if [ -f /usr/share/doc/nlohmann-json3-dev/copyright ]; then
    cp /usr/share/doc/nlohmann-json3-dev/copyright "$top/bundle-include/nlohmann/COPYRIGHT"
  fi
  commit=$(git -C "$repo" describe --always --dirty)
  echo "$commit" >"$top/BUNDLE_COMMIT"
  case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
  if ! tar -C "$stage" -czf "$out" vidx-gpu-check; then
    rm -rf "$stage"
    echo "gpu_check: cannot write $out" >&2
    exit 3
  fi
  rm -rf "$stage"
  echo "gpu_check: wrote $out ($(du -k "$out" | cut -f1) KiB, vidx $commit)"
  echo "gpu_check: on the GPU machine: tar xzf $(basename "$out") && vidx-gpu-check/bench/gpu_check.sh /path/to/libtorch"
}

if [ -n "$bundle_out" ]; then
  make_bundle "$bundle_out"
  exit 0
fi
if [ -f "$repo/BUNDLE_COMMIT" ]; then
  echo "gpu_check: bundle made from vidx $(cat "$repo/BUNDLE_COMMIT")"
fi

cmake_args=(-S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DVIDX_MODEL_ONLY=ON
  -DVIDX_BUILD_TESTS=OFF -DVIDX_BUILD_BENCH=ON)
if [ -n "$torch" ]; then
  if [ -d "$torch/share/cmake/Torch" ]; then
    cmake_args+=("-DTorch_DIR=$torch/share/cmake/Torch")
  elif [ -f "$torch/TorchConfig.cmake" ]; then
    cmake_args+=("-DTorch_DIR=$torch")
  else
    echo "gpu_check: $torch holds no share/cmake/Torch/TorchConfig.cmake (give the unpacked libtorch folder)" >&2
    exit 3
  fi
elif [ -n "${Torch_DIR:-}" ]; then
  cmake_args+=("-DTorch_DIR=$Torch_DIR")
fi
if [ -f "$repo/bundle-include/nlohmann/json.hpp" ]; then
  cmake_args+=("-DVIDX_NLOHMANN_INCLUDE=$repo/bundle-include")
fi
if command -v ninja >/dev/null 2>&1; then cmake_args+=(-G Ninja); fi
# Word-split on purpose: several arguments in one variable.
# shellcheck disable=SC2206
cmake_args+=(${VIDX_GPU_CHECK_CMAKE_ARGS:-})

start=$(date +%s)
mkdir -p "$build"
if ! cmake "${cmake_args[@]}" >"$build/configure.log" 2>&1; then
  echo "gpu_check: configuring the model library failed; the end of $build/configure.log:" >&2
  tail -n 25 "$build/configure.log" >&2
  exit 3
fi
if ! cmake --build "$build" -j "$jobs" --target vidx_gpu_check >"$build/build.log" 2>&1; then
  echo "gpu_check: building vidx_gpu_check failed; the end of $build/build.log:" >&2
  tail -n 25 "$build/build.log" >&2
  exit 3
fi
echo "gpu_check: built $build/bench/vidx_gpu_check in $(( $(date +%s) - start )) s"
grep -m1 -e 'vidx model readers:' "$build/configure.log" | sed 's/^-- /gpu_check: /'
grep -m1 -e 'vidx int8 kernel:' "$build/configure.log" | sed 's/^-- /gpu_check: /'
"$build/bench/vidx_gpu_check" --model "$repo/models/demo" ${check_args[@]+"${check_args[@]}"}
