#!/usr/bin/env bash
# Installs everything vidx needs to build, run and test on Debian 12. Idempotent:
# packages already present are skipped; the Python reference environment is made once.
#
#   deploy/install-deps.sh            build + runtime packages
#   deploy/install-deps.sh --test     also the Python reference environment (.venv) for tests
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    *) echo "install-deps.sh: unknown argument '$arg' (expected --test)" >&2; exit 2 ;;
  esac
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libtorch-dev libopenblas0-pthread
  libdnnl-dev  # oneDNN, the int8 Linear kernel (indexer/model/linear_kernel.h)
  libfaiss-dev
  librocksdb-dev
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
  libyaml-cpp-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libcli11-dev nlohmann-json3-dev libsystemd-dev
  libsentencepiece-dev  # SigLIP / SigLIP 2 tokenizers (found with pkg-config sentencepiece)
  libminizip-dev  # the zip container of torch.save checkpoints (indexer/model/torch_checkpoint.h)
  libmicrohttpd-dev  # the web UI's HTTP server (web/http_server.h)
  python3  # make demo generates its library with a small Python script
)
test_packages=(clang-format python3-torch python3-torchvision python3-numpy python3-venv python3-yaml python3-requests
  python3-sentencepiece python3-protobuf  # trains the tokenizer test models; SiglipTokenizer needs protobuf
  systemd  # systemd-analyze verify|security for the unit file tests
  man-db groff-base zsh  # cli/check_cli_docs.sh: `man -l` renders vidx(1); zsh -n parses _vidx
  slurm-wlm slurm-client munge  # tests/slurm_test.cpp runs a private single-node Slurm cluster
  chromium chromium-driver python3-selenium)  # the web UI's browser test (tests/web/)

missing=()
check=("${packages[@]}")
if [ "$want_test" -eq 1 ]; then check+=("${test_packages[@]}"); fi
for p in "${check[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$want_test" -eq 1 ]; then
  venv="$here/.venv"
  # Debian's python3-torch is built for /usr/bin/python3; the venv sees it through
  # --system-site-packages. Packages go in with --no-deps so pip never replaces torch.
  if [ ! -x "$venv/bin/python" ]; then
    /usr/bin/python3 -m venv --system-site-packages "$venv"
  fi
  stamp="$venv/.vidx-reqs"
  reqs="$here/deploy/python-requirements.txt"
  if [ ! -f "$stamp" ] || ! cmp -s "$stamp" "$reqs"; then
    "$venv/bin/pip" install -q --no-deps -r "$reqs"
    cp "$reqs" "$stamp"
  fi
fi
echo "install-deps: done"
