#!/usr/bin/env bash
# Checks that every tracked C++ source and header is formatted as .clang-format says, and that
# no tracked text file holds an unresolved merge-conflict marker. Generated tables are exempt
# from formatting. Exit 1 lists the files at fault (with the command that fixes formatting).
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format}
if ! command -v "$fmt" >/dev/null 2>&1; then
  echo "check_format: $fmt is not installed (deploy/install-deps.sh --test installs it)" >&2
  exit 1
fi
# A conflict marker is seven <, = or > at the start of a line, the first and last followed by a
# space (git's own form); a bare ======= line is left alone (Markdown and reST use it).
if conflicts=$(git grep -nIE '^(<{7} |>{7} |\|{7} )' -- . 2>/dev/null); then
  echo "check_format: unresolved merge-conflict markers:" >&2
  printf '%s\n' "$conflicts" | sed 's/^/  /' >&2
  exit 1
fi
bad=()
while IFS= read -r f; do
  case "$f" in indexer/model/unicode_tables.cpp | indexer/model/ftfy_tables.cpp) continue ;; esac
  if ! "$fmt" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done < <(git ls-files '*.cpp' '*.h' '*.cc' '*.hpp')
if [ "${#bad[@]}" -gt 0 ]; then
  echo "check_format: ${#bad[@]} file(s) are not formatted:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "fix with: $fmt -i --style=file ${bad[*]}" >&2
  exit 1
fi
echo "check_format: $(git ls-files '*.cpp' '*.h' '*.cc' '*.hpp' | wc -l) files formatted"
