#!/usr/bin/env bash
# Installs what the tests need, builds with ASan+UBSan into build/asan, and
# runs every test. Pass ctest arguments through, e.g. `scripts/test.sh -L quick`.
set -euo pipefail
cd "$(dirname "$0")/.."
phase() { echo "== test.sh: $1 done at ${SECONDS}s" >&2; }
bash scripts/install-deps.sh
phase "install-deps"
JOBS=${JOBS:-$(nproc)}
# The end-to-end tests spend about half their time waiting on zdsim (answer
# times, rate-limit windows, retries, kill points): two per core keep the cores busy.
TEST_JOBS=${TEST_JOBS:-$((JOBS * 2))}
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Asan >/dev/null
cmake --build build/asan -j "$JOBS"
phase "ASan build"
# PostgreSQL engine: a throwaway cluster on loopback for the store conformance and worker tests.
if pg_env=$(bash scripts/pg-test-cluster.sh start); then
  export $pg_env
  trap 'bash scripts/pg-test-cluster.sh stop "$SEATKEEPER_TEST_PG_DIR" >/dev/null 2>&1 || true' EXIT
else
  echo "warning: no PostgreSQL test cluster; PostgreSQL tests will be skipped" >&2
fi
# malloc_context_size=10 (default 30): the allocation and free stacks ASan
# records on every malloc were about a quarter of the end-to-end tests' CPU;
# a report still shows 10 frames of each, and the faulting access in full
# (a fault-matrix cell alone: 79.0 CPU s at 30, 60.4 at 10).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:malloc_context_size=10}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}
# On a fresh build ctest has no timings and would start the slowest tests last;
# seed its cost data (measured times, seconds) so they start first.
costs=build/asan/Testing/Temporary/CTestCostData.txt
if [[ ! -s $costs ]]; then
  mkdir -p "$(dirname "$costs")"
  cp scripts/ctest-costs.txt "$costs"
fi
# With no arguments (the full run, CI's), the optimised build (README command
# 1) and the fuzz build run beside the tests at the lowest priority: the
# end-to-end tests leave CPU idle while they wait on zdsim, and the builds
# take it (CI time, see bench/RESULTS.md "CI time").
side_pid=""
side_log=build/side-builds.log
if [[ $# -eq 0 ]]; then
  mkdir -p build
  # README command 1 builds seatkeeper and zdsim optimised (scripts/demo.sh);
  # GCC's -O2 warnings (-Wformat-truncation, -Wmaybe-uninitialized) differ
  # from the ASan build's, so the same build runs here and fails on them.
  # The same flags as scripts/demo.sh (-g1: a third less compile CPU than -g,
  # sqlite_store.cc 21.9 s against 15.3 s).
  # libFuzzer targets (clang, ASan+UBSan) for the page parsers, the URL
  # validator and the REST API's JSON input: seed corpus plus a bounded run each.
  # The fuzz build is not in build/fuzz: that is where the optimised build
  # writes the fuzz/ directory's (empty) test list, which, configured at the
  # same time, replaced the fuzz build's and left ctest no tests to run.
  # The two builds run at once: one after the other, the fuzz build's longest
  # file (parse.cc, about 70 s under clang's instrumentation) ran alone at
  # the end with a core idle (bench/RESULTS.md "CI time").
  side_builds() {
    set -e
    renice -n 19 -p "$BASHPID" >/dev/null 2>&1 || true # children inherit it
    local start=$SECONDS opt_pid fuzz_pid rc=0
    (
      cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
      cmake --build build -j "$JOBS" --target seatkeeper zdsim
      echo "== side builds: optimised build done after $((SECONDS - start))s"
    ) &
    opt_pid=$!
    (
      cmake -S . -B build/fuzz-clang -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only -DCMAKE_CXX_COMPILER=clang++ \
        -DCMAKE_C_COMPILER=clang -DSK_FUZZ=ON -DSK_FUZZ_RUNS="${SK_FUZZ_RUNS:-400000}" >/dev/null
      cmake --build build/fuzz-clang --target fuzz_targets -j "$JOBS"
      echo "== side builds: fuzz build done after $((SECONDS - start))s"
    ) &
    fuzz_pid=$!
    wait "$opt_pid" || rc=$?
    wait "$fuzz_pid" || rc=$?
    return "$rc"
  }
  set -m # its own process group, so an early exit stops the whole build
  side_builds >"$side_log" 2>&1 </dev/null &
  side_pid=$!
  set +m
  trap 'if [[ -n $side_pid ]]; then kill -- -"$side_pid" 2>/dev/null || true; fi
        bash scripts/pg-test-cluster.sh stop "${SEATKEEPER_TEST_PG_DIR:-}" >/dev/null 2>&1 || true' EXIT
fi
ctest_rc=0
ctest --test-dir build/asan --output-on-failure -j "$TEST_JOBS" "$@" || ctest_rc=$?
phase "ctest"
if [[ -n $side_pid ]]; then
  side_rc=0
  wait "$side_pid" || side_rc=$?
  side_pid=""
  grep '^== side builds' "$side_log" >&2 || true
  if [[ $side_rc -ne 0 ]]; then
    echo "test.sh: the optimised or fuzz build failed (exit $side_rc); its log, $side_log:" >&2
    tail -n 80 "$side_log" >&2
    exit 1
  fi
  phase "optimised and fuzz builds (beside ctest)"
fi
[[ $ctest_rc -eq 0 ]] || exit "$ctest_rc"
if [[ $# -eq 0 ]]; then
  # Each target is one process on one core: all three at once.
  ctest --test-dir build/fuzz-clang -L fuzz --output-on-failure --no-tests=error -j 3
  phase "fuzz"
fi
