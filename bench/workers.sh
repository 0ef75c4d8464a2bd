#!/usr/bin/env bash
# Scale-out benchmark (issue #8): accounts synced per hour with 1, 2 and 4
# `seatkeeper worker` processes sharing one PostgreSQL, and the ratio to one
# worker. Prints one line for bench/RESULTS.md.
#
#   bench/workers.sh [BUILD_DIR]            # default: build
#   ACCOUNTS=12 WORKERS="1 2 4" USERS=300 TICKETS=25 RATE_WINDOW=1 bench/workers.sh build
#
# Uses SEATKEEPER_TEST_PG when set, else starts (and stops) a throwaway cluster
# with scripts/pg-test-cluster.sh. Each zdsim account is its own process with
# its own rate limit (window RATE_WINDOW seconds), like distinct Zendesk
# accounts; every measurement syncs all accounts from scratch in a fresh schema.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$here/build}" && pwd)
ACCOUNTS=${ACCOUNTS:-12}
WORKERS=${WORKERS:-"1 2 4"}
USERS=${USERS:-300}
AGENTS=${AGENTS:-40}
TICKETS=${TICKETS:-25}
RATE_WINDOW=${RATE_WINDOW:-1}
NOW=1795186800  # 2026-11-20T15:00:00Z, as in the tests

for b in seatkeeper zdsim; do [[ -x "$BIN/$b" ]] || { echo "missing $BIN/$b (build it first)" >&2; exit 1; }; done
command -v psql >/dev/null || { echo "psql not found (apt-get install postgresql-client)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sk-bench-workers.XXXXXX")
pids=()
started_cluster=0
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $started_cluster -eq 1 ]]; then "$here/scripts/pg-test-cluster.sh" stop "$SEATKEEPER_TEST_PG_DIR" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "${SEATKEEPER_TEST_PG:-}" ]]; then
  pg_env=$("$here/scripts/pg-test-cluster.sh" start)
  export $pg_env
  started_cluster=1
fi

# The accounts.
for i in $(seq 0 $((ACCOUNTS - 1))); do
  "$BIN/zdsim" serve --port 0 --port-file "$work/port$i" --seed $((500 + i)) --users "$USERS" --agents "$AGENTS" \
    --tickets-per-day "$TICKETS" --now "$NOW" --rate-window-seconds "$RATE_WINDOW" --subdomain "b$i" \
    >"$work/zdsim$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 0 $((ACCOUNTS - 1))); do
  for _ in $(seq 1 100); do [[ -s "$work/port$i" ]] && break; sleep 0.1; done
  [[ -s "$work/port$i" ]] || { echo "zdsim $i did not start" >&2; cat "$work/zdsim$i.log" >&2; exit 1; }
done
printf 'zdsim-admin-api-token\n' >"$work/token"
chmod 600 "$work/token"

declare -A rate
for w in $WORKERS; do
  schema="bench_w$w"
  psql -q "$SEATKEEPER_TEST_PG" -c "SET client_min_messages=warning; DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
  export SEATKEEPER_DB="$SEATKEEPER_TEST_PG?options=-csearch_path%3D$schema"
  export SEATKEEPER_HOME="$work/home$w" SEATKEEPER_NOW=$NOW
  mkdir -p "$SEATKEEPER_HOME"
  for i in $(seq 0 $((ACCOUNTS - 1))); do
    "$BIN/seatkeeper" connect --url "http://127.0.0.1:$(cat "$work/port$i")" --allow-local \
      --email "admin@b$i.test" --token-file "$work/token" --account "b$i" >/dev/null
  done
  start=$(date +%s.%N)
  wp=()
  for j in $(seq 1 "$w"); do
    "$BIN/seatkeeper" worker --until-idle --id "bench$j" --lease-seconds 30 --heartbeat-seconds 5 \
      --log-level warn >"$work/worker$w-$j.log" 2>&1 &
    wp+=($!)
  done
  for p in "${wp[@]}"; do wait "$p" || { echo "worker failed:" >&2; cat "$work"/worker$w-*.log >&2; exit 1; }; done
  end=$(date +%s.%N)
  synced=$("$BIN/seatkeeper" worker status --json | python3 -c 'import json,sys; print(sum(e["successes"] for e in json.load(sys.stdin)))')
  [[ "$synced" -eq "$ACCOUNTS" ]] || { echo "only $synced of $ACCOUNTS accounts synced with $w workers" >&2; exit 1; }
  rate[$w]=$(python3 -c "print(round($ACCOUNTS * 3600 / ($end - $start)))")
  echo "  $w worker(s): $ACCOUNTS accounts in $(python3 -c "print(round($end - $start, 1))") s" >&2
  psql -q "$SEATKEEPER_TEST_PG" -c "SET client_min_messages=warning; DROP SCHEMA $schema CASCADE" >/dev/null
done

first=$(echo $WORKERS | cut -d' ' -f1)
line="workers (PostgreSQL $(psql -tA "$SEATKEEPER_TEST_PG" -c 'SHOW server_version' | cut -d' ' -f1), $ACCOUNTS accounts of $USERS users/$TICKETS tickets per day, zdsim rate window ${RATE_WINDOW}s, $(nproc) cores): accounts synced per hour"
for w in $WORKERS; do
  line+=" | $w: ${rate[$w]} (x$(python3 -c "print(f'{${rate[$w]} / ${rate[$first]}:.2f}')"))"
done
echo "$line"
