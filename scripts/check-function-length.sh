#!/usr/bin/env bash
# Lists every function in src/ (tests excepted) longer than MAX lines (default 80),
# measured by universal-ctags from its first line to its closing brace, lambdas
# included. Exits 1 when there is one, so ctest keeps the rule (issue #21).
#   scripts/check-function-length.sh [MAX]
set -euo pipefail
cd "$(dirname "$0")/.."
MAX=${1:-80}
if ! command -v ctags >/dev/null 2>&1 || ! ctags --version 2>/dev/null | grep -q 'Universal Ctags'; then
  echo "check-function-length: universal-ctags is missing (scripts/install-deps.sh installs it)" >&2
  exit 2
fi
long=$(ctags -R --languages=C++ --c++-kinds=f --fields=+ne -o - src |
  awk -F'\t' -v max="$MAX" '$2 !~ /_test\.cc$/ && $2 !~ /_testing\.h$/ {
    l = 0; e = 0
    for (i = 4; i <= NF; i++) {
      if ($i ~ /^line:/) l = substr($i, 6)
      if ($i ~ /^end:/) e = substr($i, 5)
    }
    if (l > 0 && e > 0 && e - l + 1 > max) printf "%5d lines  %s:%d  %s\n", e - l + 1, $2, l, $1
  }' | sort -rn)
if [[ -n "$long" ]]; then
  echo "functions in src/ longer than $MAX lines (split them into named phases):"
  echo "$long"
  exit 1
fi
echo "check-function-length: no function in src/ is longer than $MAX lines"
