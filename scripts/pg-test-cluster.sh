#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: never touches a system service.
#
#   scripts/pg-test-cluster.sh start   # prints SEATKEEPER_TEST_PG=postgresql://... and SEATKEEPER_TEST_PG_DIR=...
#   scripts/pg-test-cluster.sh stop    # stops and removes it (uses SEATKEEPER_TEST_PG_DIR, or the last started)
#
# Typical use:
#   pg_env=$(scripts/pg-test-cluster.sh start) && export $pg_env
#   trap 'scripts/pg-test-cluster.sh stop' EXIT
#
# The cluster lives in a temporary directory, listens on 127.0.0.1 on a free
# port (no Unix socket outside that directory), trusts local connections and
# holds one database, seatkeeper_test. As root, initdb runs as the `postgres`
# user (initdb refuses root).
set -euo pipefail

PG_BIN=${PG_BIN:-}
if [[ -z "$PG_BIN" ]]; then
  for v in 17 16 15 14 13; do
    if [[ -x /usr/lib/postgresql/$v/bin/initdb ]]; then PG_BIN=/usr/lib/postgresql/$v/bin; break; fi
  done
fi
STATE_FILE=${TMPDIR:-/tmp}/seatkeeper-pg-test.last

die() { echo "pg-test-cluster: $*" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  else
    echo $((20000 + RANDOM % 20000))
  fi
}

start() {
  [[ -n "$PG_BIN" && -x "$PG_BIN/initdb" ]] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
  if [[ $(id -u) -eq 0 ]]; then id postgres >/dev/null 2>&1 || die "running as root needs the postgres user"; fi
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/seatkeeper-pg.XXXXXX")
  chmod 0755 "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; die "initdb failed"; }
  local port ok=0
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >/dev/null 2>&1; then
      ok=1; break
    fi
  done
  [[ $ok -eq 1 ]] || { cat "$dir/server.log" >&2 || true; rm -rf "$dir"; die "the server did not start"; }
  as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres seatkeeper_test \
    || { stop_dir "$dir"; die "createdb failed"; }
  echo "$dir" >"$STATE_FILE"
  echo "SEATKEEPER_TEST_PG=postgresql://postgres@127.0.0.1:$port/seatkeeper_test"
  echo "SEATKEEPER_TEST_PG_DIR=$dir"
}

stop_dir() {
  local dir=$1
  [[ -d "$dir/data" ]] || die "$dir is not a test cluster"
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

stop() {
  local dir=${1:-${SEATKEEPER_TEST_PG_DIR:-}}
  if [[ -z "$dir" && -f "$STATE_FILE" ]]; then dir=$(cat "$STATE_FILE"); fi
  [[ -n "$dir" ]] || die "no test cluster to stop (set SEATKEEPER_TEST_PG_DIR)"
  case "$dir" in "${TMPDIR:-/tmp}"/seatkeeper-pg.*) ;; *) die "refusing to remove $dir" ;; esac
  stop_dir "$dir"
  if [[ -f "$STATE_FILE" && "$(cat "$STATE_FILE")" == "$dir" ]]; then rm -f "$STATE_FILE"; fi
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start|stop [dir]" >&2; exit 2 ;;
esac
