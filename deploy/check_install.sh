#!/usr/bin/env bash
# Checks of the install layer, run by CTest (deploy/systemd_test.cmake):
#   check_install.sh layout   BUILD_DIR WORK_DIR  `cmake --install` with DESTDIR and with a plain
#                                                 prefix; the files, modes and unit contents
#   check_install.sh verify   BUILD_DIR WORK_DIR  `systemd-analyze verify` on the installed unit
#                                                 (silent = pass); sysusers/tmpfiles applied to
#                                                 a scratch root
#   check_install.sh security BUILD_DIR WORK_DIR  `systemd-analyze security --offline` exposure
#                                                 score, at most VIDX_MAX_EXPOSURE (default 1.5)
# Exit 77 (CTest: skipped) when a systemd tool is missing.
set -euo pipefail

mode=$1
build=$2
work=$3
rm -rf "$work"
mkdir -p "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed" >&2; exit 77; }; }
check_file() { [[ -f $1 ]] || fail "missing $1"; }
check_line() {  # FILE LINE: the exact line is in the file
  grep -qxF -- "$2" "$1" || { echo "--- $1"; cat "$1"; fail "$1 lacks the line: $2"; }
}

# A plain prefix (no DESTDIR): what `systemd-analyze verify` can check, since ExecStart then names
# a binary that exists.
install_prefix() {
  cmake --install "$build" --prefix "$work/opt" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "cmake --install --prefix $work/opt failed"; }
}

case $mode in
  layout)
    # Packaging style: prefix /usr staged under DESTDIR.
    DESTDIR="$work/stage" cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1 ||
      { cat "$work/install.log"; fail "DESTDIR install failed"; }
    s=$work/stage
    [[ -x $s/usr/bin/vidx ]] || fail "missing executable $s/usr/bin/vidx"
    "$s/usr/bin/vidx" --version >/dev/null || fail "the installed vidx does not run"
    # The full binary the command executes, beside the SentencePiece module, and the files
    # generated from the command-line definition.
    core=$(find "$s/usr/lib" -path '*/vidx/vidx-core' -type f)
    [[ -n $core && -x $core ]] || fail "missing executable $s/usr/LIBDIR/vidx/vidx-core"
    check_file "$s/usr/share/bash-completion/completions/vidx"
    check_file "$s/usr/share/zsh/site-functions/_vidx"
    check_file "$s/usr/share/man/man1/vidx.1"
    grep -qx 'complete -F _vidx vidx' "$s/usr/share/bash-completion/completions/vidx" ||
      fail "the installed bash completion does not register _vidx"
    # The staged command reaches the staged vidx-core (a command the front binary hands over).
    core_run=$("$s/usr/bin/vidx" frames "$work/absent.mp4" 2>&1 || true)
    [[ $core_run != *vidx-core* ]] || fail "the installed vidx does not find vidx-core: $core_run"
    unit=$s/usr/lib/systemd/system/vidx.service
    check_file "$unit"
    check_line "$unit" "ExecStart=/usr/bin/vidx --config /etc/vidx/vidx.yaml daemon"
    check_line "$unit" "Type=notify"
    check_line "$unit" "WatchdogSec=60"
    check_line "$unit" "Documentation=file:///usr/share/doc/vidx/systemd.md"
    if grep -n '@' "$unit" | grep -v '^[0-9]*:#' | grep -q '@[A-Z_]*@'; then
      fail "unsubstituted @VARIABLE@ in $unit"
    fi
    check_file "$s/usr/lib/sysusers.d/vidx.conf"
    check_file "$s/usr/lib/tmpfiles.d/vidx.conf"
    check_file "$s/etc/vidx/vidx.yaml.example"
    cmp -s "$s/etc/vidx/vidx.yaml.example" "$(dirname "$0")/../config/vidx.example.yaml" ||
      fail "vidx.yaml.example differs from config/vidx.example.yaml"
    [[ ! -e $s/etc/vidx/vidx.yaml ]] || fail "install must not create /etc/vidx/vidx.yaml"
    check_file "$s/usr/share/doc/vidx/systemd.md"
    # The SentencePiece module vidx loads at run time, in LIBDIR/vidx (lib or lib/<multiarch>).
    [[ -n $(find "$s/usr/lib" -path '*/vidx/libvidx_sentencepiece.so' -type f) ]] ||
      fail "missing $s/usr/LIBDIR/vidx/libvidx_sentencepiece.so"
    [[ $(stat -c %a "$unit") == 644 ]] || fail "$unit has mode $(stat -c %a "$unit"), not 644"
    # Every installed file is in the manifest, under its final (DESTDIR-less) name.
    manifest=$build/install_manifest.txt
    for f in /usr/bin/vidx /usr/lib/systemd/system/vidx.service /etc/vidx/vidx.yaml.example \
             /usr/lib/sysusers.d/vidx.conf /usr/lib/tmpfiles.d/vidx.conf \
             /usr/share/bash-completion/completions/vidx /usr/share/zsh/site-functions/_vidx \
             /usr/share/man/man1/vidx.1; do
      grep -qxF -- "$s$f" "$manifest" || grep -qxF -- "$f" "$manifest" ||
        fail "$f is not in $manifest"
    done

    # A private prefix: everything below it, the unit pointing at it.
    install_prefix
    o=$work/opt
    [[ -x $o/bin/vidx ]] || fail "missing $o/bin/vidx"
    core_run=$("$o/bin/vidx" frames "$work/absent.mp4" 2>&1 || true)
    [[ $core_run != *vidx-core* ]] || fail "$o/bin/vidx does not find vidx-core: $core_run"
    check_line "$o/lib/systemd/system/vidx.service" \
      "ExecStart=$o/bin/vidx --config $o/etc/vidx/vidx.yaml daemon"
    check_file "$o/etc/vidx/vidx.yaml.example"
    [[ -n $(find "$o/lib" -path '*/vidx/libvidx_sentencepiece.so' -type f) ]] ||
      fail "missing $o/LIBDIR/vidx/libvidx_sentencepiece.so"
    echo "layout ok: $(cd "$s" && find . -type f | sort | tr '\n' ' ')"
    ;;

  verify)
    need systemd-analyze
    install_prefix
    unit=$work/opt/lib/systemd/system/vidx.service
    # verify prints nothing for a clean unit; any line (warning included) fails the test.
    out=$(systemd-analyze verify --man=no "$unit" 2>&1) || { echo "$out"; fail "verify failed"; }
    [[ -z $out ]] || { echo "$out"; fail "systemd-analyze verify printed warnings"; }
    echo "systemd-analyze verify: clean"

    # sysusers.d and tmpfiles.d snippets, applied to a scratch root.
    need systemd-sysusers
    need systemd-tmpfiles
    r=$work/root
    mkdir -p "$r/etc" "$r/usr/lib/sysusers.d" "$r/usr/lib/tmpfiles.d"
    cp "$work/opt/lib/sysusers.d/vidx.conf" "$r/usr/lib/sysusers.d/vidx.conf"
    cp "$work/opt/lib/tmpfiles.d/vidx.conf" "$r/usr/lib/tmpfiles.d/vidx.conf"
    systemd-sysusers --root="$r" 2>&1 || fail "systemd-sysusers rejected vidx.conf"
    grep -q '^vidx:x:[0-9]*:[0-9]*:vidx video indexer:/var/lib/vidx:' "$r/etc/passwd" ||
      { cat "$r/etc/passwd"; fail "user vidx not created as expected"; }
    grep -q '^vidx:x:' "$r/etc/group" || fail "group vidx not created"
    out=$(systemd-tmpfiles --root="$r" --create 2>&1) || { echo "$out"; fail "systemd-tmpfiles failed"; }
    [[ -z $out ]] || { echo "$out"; fail "systemd-tmpfiles printed warnings"; }
    uid=$(awk -F: '$1=="vidx"{print $3}' "$r/etc/passwd")
    for d in var/lib/vidx var/lib/vidx/models run/vidx; do
      [[ -d $r/$d ]] || fail "tmpfiles did not create /$d"
      [[ $(stat -c '%a %u' "$r/$d") == "750 $uid" ]] ||
        fail "/$d is $(stat -c '%a %u' "$r/$d"), expected 750 $uid"
    done
    echo "sysusers/tmpfiles: ok"
    ;;

  security)
    need systemd-analyze
    systemd-analyze --help 2>/dev/null | grep -q -- '--offline' ||
      { echo "SKIP: this systemd-analyze has no --offline (needs systemd >= 250)" >&2; exit 77; }
    install_prefix
    unit=$work/opt/lib/systemd/system/vidx.service
    max=${VIDX_MAX_EXPOSURE:-1.5}
    systemd-analyze security --offline=true "$unit" >"$work/security.txt" 2>&1 || true
    grep -E '✗|Overall exposure' "$work/security.txt" || true
    score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$work/security.txt")
    [[ -n $score ]] || { cat "$work/security.txt"; fail "no exposure score in the output"; }
    awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' ||
      fail "exposure $score is above $max"
    echo "exposure: $score (limit $max)"
    ;;

  *)
    fail "unknown mode $mode"
    ;;
esac
rm -rf "$work"
