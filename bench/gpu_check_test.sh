#!/usr/bin/env bash
# The GPU check as the person with the GPU runs it, on this machine: bench/gpu_check.sh --bundle
# makes the tarball, it is unpacked, and its own gpu_check.sh builds the model-only tree against
# this machine's LibTorch with zlib, pkg-config (so minizip and SentencePiece), oneDNN and the
# system's nlohmann-json hidden from CMake, as on a machine with only a libtorch zip and a compiler.
#
#   bench/gpu_check_test.sh TORCH_DIR WORK_DIR
#
# Passes when the bundle's tree builds, the CPU check passes, int8 is reported absent (the
# build's refusal, kUnsupported, not a failure) and the CUDA checks are skipped (no device) or
# pass; the build must have left the three optional readers out, taken nlohmann-json from the
# bundle, and linked none of zlib, minizip, SentencePiece and oneDNN.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
torch=$1
work=$2
fail() { echo "gpu_check_test: $*" >&2; exit 1; }

mkdir -p "$work"
rm -rf "$work/vidx-gpu-check"
bash "$repo/bench/gpu_check.sh" --bundle "$work/vidx-gpu-check.tar.gz" || fail "--bundle failed"
tar -C "$work" -xzf "$work/vidx-gpu-check.tar.gz" || fail "cannot unpack the bundle"
[ ! -e "$work/vidx-gpu-check/.git" ] || fail "the bundle holds a .git"
[ -f "$work/vidx-gpu-check/bundle-include/nlohmann/json.hpp" ] || fail "no nlohmann in the bundle"

out=$(VIDX_GPU_CHECK_CMAKE_ARGS="-DVIDX_WERROR=ON -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON \
-DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON -DCMAKE_DISABLE_FIND_PACKAGE_dnnl=ON" \
  bash "$work/vidx-gpu-check/bench/gpu_check.sh" "$torch" --build-dir "$work/build" --jobs 2 2>&1)
rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] || fail "the bundle's gpu_check.sh exited $rc"
printf '%s\n' "$out" | grep -q '^gpu_check: bundle made from vidx ' || fail "no bundle commit shown"
printf '%s\n' "$out" | grep -q '^ok    cpu fp32: strict load and determinism probe' ||
  fail "the CPU check did not pass"
printf '%s\n' "$out" | grep -q -e '^no CUDA device, skipping' -e '^all GPU checks passed' ||
  fail "neither skipped nor passed"
printf '%s\n' "$out" | grep -q 'zlib (gzip vocabularies) OFF, minizip (torch.save checkpoints) OFF, SentencePiece (SigLIP tokenizers) OFF' ||
  fail "an optional reader was found although hidden"
printf '%s\n' "$out" | grep -q 'vidx int8 kernel: oneDNN OFF' || fail "oneDNN was found although hidden"
printf '%s\n' "$out" | grep -q '^info  cpu int8: not in this build: ' ||
  fail "the build without oneDNN did not report int8 as absent"

grep -q -- "$work/vidx-gpu-check/bundle-include" "$work/build/compile_commands.json" ||
  fail "the model code was not compiled against the bundle's nlohmann-json"
needed=$(readelf -d "$work/build/bench/vidx_gpu_check" | grep NEEDED)
if printf '%s\n' "$needed" | grep -E 'libminizip|libsentencepiece|libz\.so|libdnnl'; then
  fail "vidx_gpu_check links a library the bundle build must do without"
fi
echo "gpu_check_test: the bundle built and ran without zlib, minizip, SentencePiece, oneDNN or a system nlohmann-json"
