#!/usr/bin/env bash
# Fleet benchmark (issues #8, #19): a fleet of small accounts synced by
# `seatkeeper worker`, for each engine, number of worker processes and
# --concurrency (accounts synced at once per process). Two rounds per
# configuration: every account's first sync, then (zdsim clocks moved a day on,
# with the day's activity) every account's daily sync. Prints, per round,
# accounts synced per hour of wall time and per hour of seatkeeper CPU (user +
# sys of the worker processes, from their rusage: "per core"), and the ratio
# of wall throughput to the first configuration.
#
#   bench/workers.sh [BUILD_DIR]            # default: build
#   ENGINES="sqlite postgres" WORKERS="1 2" CONCURRENCY="1 4" ACCOUNTS=12 \
#     USERS=300 AGENTS=40 TICKETS=25 RATE_WINDOW=1 bench/workers.sh build/bench
# (CONCURRENCY="-" leaves the flag out, for a build that has none.)
#
# PostgreSQL: uses SEATKEEPER_TEST_PG when set, else starts (and stops) a
# throwaway cluster with scripts/pg-test-cluster.sh. Each zdsim account is its
# own process with its own rate limit (window RATE_WINDOW seconds), like
# distinct Zendesk accounts, started afresh (same seeds) for every
# configuration; every configuration syncs into a fresh schema or SQLite file.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$here/build}" && pwd)
ACCOUNTS=${ACCOUNTS:-12}
WORKERS=${WORKERS:-"1 2 4"}
CONCURRENCY=${CONCURRENCY:-1}
ENGINES=${ENGINES:-postgres}
USERS=${USERS:-300}
AGENTS=${AGENTS:-40}
TICKETS=${TICKETS:-25}
RATE_WINDOW=${RATE_WINDOW:-1}
NOW=1795186800  # 2026-11-20T15:00:00Z, as in the tests
DAY=86400

for b in seatkeeper zdsim; do [[ -x "$BIN/$b" ]] || { echo "missing $BIN/$b (build it first)" >&2; exit 1; }; done

work=$(mktemp -d "${TMPDIR:-/tmp}/sk-bench-workers.XXXXXX")
sims=()
started_cluster=0
stop_sims() {
  for p in "${sims[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${sims[@]}"; do wait "$p" 2>/dev/null || true; done
  sims=()
}
cleanup() {
  stop_sims
  if [[ $started_cluster -eq 1 ]]; then "$here/scripts/pg-test-cluster.sh" stop "$SEATKEEPER_TEST_PG_DIR" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ " $ENGINES " == *" postgres "* && -z "${SEATKEEPER_TEST_PG:-}" ]]; then
  command -v psql >/dev/null || { echo "psql not found (apt-get install postgresql-client)" >&2; exit 1; }
  pg_env=$("$here/scripts/pg-test-cluster.sh" start)
  export $pg_env
  started_cluster=1
fi
printf 'zdsim-admin-api-token\n' >"$work/token"
chmod 600 "$work/token"

start_sims() {
  rm -f "$work"/port*
  for i in $(seq 0 $((ACCOUNTS - 1))); do
    "$BIN/zdsim" serve --port 0 --port-file "$work/port$i" --seed $((500 + i)) --users "$USERS" --agents "$AGENTS" \
      --tickets-per-day "$TICKETS" --now "$NOW" --rate-window-seconds "$RATE_WINDOW" --subdomain "b$i" \
      >"$work/zdsim$i.log" 2>&1 &
    sims+=($!)
  done
  for i in $(seq 0 $((ACCOUNTS - 1))); do
    for _ in $(seq 1 100); do [[ -s "$work/port$i" ]] && break; sleep 0.1; done
    [[ -s "$work/port$i" ]] || { echo "zdsim $i did not start" >&2; cat "$work/zdsim$i.log" >&2; exit 1; }
  done
}

# run_round NAME PROCESSES CONCURRENCY: workers until idle; prints "wall cpu".
run_round() {
  local name=$1 procs=$2 conc=$3 start end cpu j
  local wp=() cflag=()
  # "-": a build before `worker --concurrency` (issue #19), which syncs one account at a time.
  [[ $conc != - ]] && cflag=(--concurrency "$conc")
  start=$(date +%s.%N)
  for j in $(seq 1 "$procs"); do
    python3 "$here/bench/measure_child.py" "$work/$name-$j.rusage" \
      "$BIN/seatkeeper" worker --until-idle --id "bench$j" "${cflag[@]}" --lease-seconds 30 \
      --heartbeat-seconds 5 --log-level warn >"$work/$name-$j.log" 2>&1 &
    wp+=($!)
  done
  for p in "${wp[@]}"; do wait "$p" || { echo "worker failed ($name):" >&2; cat "$work/$name"-*.log >&2; exit 1; }; done
  end=$(date +%s.%N)
  cpu=$(python3 -c 'import json,sys; print(sum(json.load(open(f))["utime"] + json.load(open(f))["stime"] for f in sys.argv[1:]))' \
    "$work/$name"-*.rusage)
  echo "$(python3 -c "print($end - $start)") $cpu"
}

synced_total() {
  "$BIN/seatkeeper" worker status --json | python3 -c 'import json,sys; print(sum(e["successes"] for e in json.load(sys.stdin)))'
}

lines=()
first_rate=""
for engine in $ENGINES; do
  for w in $WORKERS; do
    for c in $CONCURRENCY; do
      tag="$engine-w$w-c$c"
      start_sims
      export SEATKEEPER_HOME="$work/home-$tag" SEATKEEPER_NOW=$NOW
      mkdir -p "$SEATKEEPER_HOME"
      if [[ $engine == postgres ]]; then
        schema="bench_${w}_${c/-/0}"
        psql -q "$SEATKEEPER_TEST_PG" -c "SET client_min_messages=warning; DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
        export SEATKEEPER_DB="$SEATKEEPER_TEST_PG?options=-csearch_path%3D$schema"
      else
        unset SEATKEEPER_DB
      fi
      for i in $(seq 0 $((ACCOUNTS - 1))); do
        "$BIN/seatkeeper" connect --url "http://127.0.0.1:$(cat "$work/port$i")" --allow-local \
          --email "admin@b$i.test" --token-file "$work/token" --account "b$i" >/dev/null
      done
      read -r wall1 cpu1 < <(run_round "$tag-first" "$w" "$c")
      [[ $(synced_total) -eq $ACCOUNTS ]] || { echo "first round: not every account synced ($tag)" >&2; exit 1; }
      # A day later, with the day's activity: every account is due again.
      for i in $(seq 0 $((ACCOUNTS - 1))); do
        curl -sf -X POST -H 'Content-Type: application/json' -d "{\"seconds\": $((DAY + 60)), \"activity\": true}" \
          "http://127.0.0.1:$(cat "$work/port$i")/_sim/advance" >/dev/null
      done
      export SEATKEEPER_NOW=$((NOW + DAY + 60))
      read -r wall2 cpu2 < <(run_round "$tag-daily" "$w" "$c")
      [[ $(synced_total) -eq $((2 * ACCOUNTS)) ]] || { echo "daily round: not every account synced ($tag)" >&2; exit 1; }
      stop_sims
      if [[ $engine == postgres ]]; then
        psql -q "$SEATKEEPER_TEST_PG" -c "SET client_min_messages=warning; DROP SCHEMA $schema CASCADE" >/dev/null
      fi
      row=$(python3 - "$ACCOUNTS" "$wall1" "$cpu1" "$wall2" "$cpu2" "${first_rate:-0}" <<'EOF'
import sys
n, w1, c1, w2, c2, base = int(sys.argv[1]), *map(float, sys.argv[2:])
r1, r2 = n * 3600 / w1, n * 3600 / w2
ratio = f" (x{r2 / (base or r2):.2f})"
print(f"{r1:.0f}/h wall, {n * 3600 / c1:.0f}/h per core | {r2:.0f}/h wall{ratio}, {n * 3600 / c2:.0f}/h per core"
      f" ({c2 / n * 1000:.0f} ms CPU an account) | {r2:.6f}")
EOF
)
      [[ -z $first_rate ]] && first_rate=${row##*| }
      lines+=("| $engine | $w | $c | ${row% | *} |")
      echo "  $tag: first $(printf %.1f "$wall1") s wall / $(printf %.1f "$cpu1") s CPU, daily $(printf %.1f "$wall2") s / $(printf %.1f "$cpu2") s" >&2
    done
  done
done

echo "Fleet of $ACCOUNTS accounts ($USERS users, $AGENTS agents, $TICKETS tickets a day each; zdsim rate window ${RATE_WINDOW}s; $(nproc) cores):"
echo ""
echo "| engine | worker processes | --concurrency | first sync: accounts per hour (wall), per CPU hour | daily sync: accounts per hour (wall, ratio to the first row), per CPU hour |"
echo "|---|---|---|---|---|"
for l in "${lines[@]}"; do echo "$l"; done
