#!/usr/bin/env bash
# gpu_check.sh: builds the model library alone (-DVIDX_MODEL_ONLY=ON) against a LibTorch and runs
# vidx_gpu_check (bench/gpu_check.cpp): CUDA fp32/fp16/bf16 embeddings against CPU fp32 on the
# committed demo model, the determinism probe on CUDA, and ViT-B/32-shaped image-tower
# throughput in fp16 at batch 64 and 256. Needs no Python and no network. Without a CUDA device
# it builds, prints "no CUDA device, skipping" and exits 0.
#
#   bench/gpu_check.sh [LIBTORCH_DIR] [--build-dir DIR] [--jobs N] [-- vidx_gpu_check args]
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
check_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --) shift; check_args=("$@"); break ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) torch=$1; shift ;;
  esac
done

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
"$build/bench/vidx_gpu_check" --model "$repo/models/demo" ${check_args[@]+"${check_args[@]}"}
