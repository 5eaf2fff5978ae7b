#!/usr/bin/env bash
# Checks of the generated completions and man page (cli/cli_docs.h), run by CTest:
#   check_cli_docs.sh BASH_COMPLETION ZSH_COMPLETION MAN_PAGE
# bash: completing words gives the commands, options and files the definition names.
# zsh: the file parses (zsh -n). man: `man -l` renders the page without
# a warning.
set -euo pipefail
bash_completion=$1
zsh_completion=$2
man_page=$3

fail() { echo "FAIL: $*" >&2; exit 1; }

# complete WORD...: what _vidx offers for the last word of `vidx WORD...`, one per line.
complete_words() {
  bash -c '
    source "$1"; shift
    COMP_WORDS=(vidx "$@"); COMP_CWORD=$#
    _vidx
    printf "%s\n" "${COMPREPLY[@]}"' _ "$bash_completion" "$@" | LC_ALL=C sort
}
expect() {  # EXPECTED WORD...: the offers are exactly EXPECTED (newline-separated)
  local expected=$1; shift
  local got
  got=$(complete_words "$@")
  [[ $got == "$expected" ]] || fail "completing 'vidx $*' gave '$got', expected '$expected'"
}

expect search se
expect "$(printf 'embed\nkeys\ntokenize\nverify')" model ''
expect --image search --im
expect "$(printf 'debug')" --log-level de
expect --json model verify --js
expect "$(printf 'reindex\nrepair')" re
expect merge me
expect --into merge --in
expect "$(printf -- '--shard\n--state-dir')" index --s
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/clips"
touch "$work/clips/a.mp4" "$work/clips/b.mkv"
expect "$(printf '%s\n' "$work/clips/a.mp4" "$work/clips/b.mkv")" frames "$work/clips/"
expect "$work/clips/a.mp4" search --like "$work/clips/a"
expect "$work/clips" frames x --out "$work/cl"
expect "$(printf '%s\n' "$work/clips/a.mp4" "$work/clips/b.mkv")" --config c.yaml index "$work/clips/"
expect "" search -k ''

command -v zsh >/dev/null 2>&1 || { echo "SKIP: zsh is not installed" >&2; exit 77; }
zsh -n "$zsh_completion" || fail "$zsh_completion does not parse in zsh"
grep -q '^#compdef vidx$' "$zsh_completion" || fail "$zsh_completion lacks #compdef vidx"

command -v man >/dev/null 2>&1 || { echo "SKIP: man is not installed" >&2; exit 77; }
warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$man_page" 2>&1 >"$work/vidx.txt") ||
  fail "man -l $man_page failed: $warnings"
[[ -z $warnings ]] || fail "man -l $man_page warned: $warnings"
for word in SYNOPSIS "vidx search" "vidx merge" "--like" "--shard" "EXIT STATUS" VIDX_CONFIG; do
  grep -qF -- "$word" "$work/vidx.txt" || fail "the rendered man page lacks '$word'"
done
echo "completion and man page ok"
