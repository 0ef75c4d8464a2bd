#!/usr/bin/env bash
# seatkeeper benchmarks (issue #6): builds its own Release dir, then runs
# bench/bench.py over the small, large and huge zdsim accounts and prints one
# table (paste it into bench/RESULTS.md).
#
#   bash bench/run.sh                       # small,large,huge (huge takes long)
#   bash bench/run.sh --sizes small,large   # any of tiny,small,large,huge
#   bash bench/run.sh --fraction 0.2        # huge at 20 % of its volume
#   SK_BENCH_JOBS=2 SK_BENCH_BUILD=/tmp/b bash bench/run.sh --json out.json
#
# Issue #19's targets in one table (bench/targets.py), optionally with a
# baseline revision's seatkeeper measured back to back before this build's
# (built in build/bench-base from a detached worktree; zdsim is this build's):
#
#   bash bench/run.sh --targets --baseline f8be5f8 --json t.json
#   bash bench/run.sh --targets --sizes tiny,small --latency-size tiny   # quick
#
# Needs only what scripts/install-deps.sh installs, plus python3 (standard
# library only) and, for the server row, wrk (apt-get install -y wrk).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SK_BENCH_BUILD:-$ROOT/build/bench}
JOBS=${SK_BENCH_JOBS:-2}
# GCC 12 at -O3 reports false-positive -Wrestrict/-Wstringop-overflow inside
# libstdc++ string code; the project builds with -Werror.
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="-Wno-restrict -Wno-error=stringop-overflow -Wno-error=maybe-uninitialized -Wno-error=array-bounds" >/dev/null
ninja -C "$BUILD" -j"$JOBS" seatkeeper zdsim
if [[ ${1:-} != --targets ]]; then
  exec python3 "$ROOT/bench/bench.py" --bin "$BUILD" "$@"
fi
shift
args=()
baseline=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --baseline) baseline=$2; shift 2 ;;
    --baseline=*) baseline=${1#--baseline=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
after=$(git -C "$ROOT" rev-parse --short HEAD)
git -C "$ROOT" diff --quiet HEAD -- src sim CMakeLists.txt || after="$after+changes"
if [[ -n $baseline ]]; then
  rev=$(git -C "$ROOT" rev-parse --short "$baseline^{commit}")
  base=$ROOT/build/bench-base
  if [[ ! -d $base/src ]]; then
    git -C "$ROOT" worktree add --detach -f "$base/src" "$rev" >/dev/null
  else
    git -C "$base/src" checkout -q --detach "$rev"
  fi
  cmake -S "$base/src" -B "$base/src/build/bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="-Wno-restrict -Wno-error=stringop-overflow -Wno-error=maybe-uninitialized -Wno-error=array-bounds" >/dev/null
  ninja -C "$base/src/build/bench" -j"$JOBS" seatkeeper
  # The baseline's seatkeeper against this build's zdsim: the same accounts,
  # answer times and rate limits for both.
  mkdir -p "$base/bin"
  ln -sf "$base/src/build/bench/seatkeeper" "$base/bin/seatkeeper"
  ln -sf "$BUILD/zdsim" "$base/bin/zdsim"
  args+=(--baseline-bin "$base/bin" --before-label "$rev")
fi
exec python3 "$ROOT/bench/targets.py" --bin "$BUILD" --after-label "$after" "${args[@]}"
