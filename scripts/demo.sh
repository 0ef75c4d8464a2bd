#!/usr/bin/env bash
# The main job on embedded defaults: installs what is needed, builds into
# build/, starts zdsim with a generated Zendesk account, connects seatkeeper
# to it, adds a sample reclaim policy, syncs users and 90 days of usage, and
# prints the users table, the daily usage summary, the idle paid seats, the
# recommendations and the proposals the policy made (none is approved).
#
# Then it starts the web app (`seatkeeper serve`) and prints the URL to open
# and the admin login; Ctrl-C stops the web app and the simulator.
#
# Environment: SEATKEEPER_HOME (default build/demo-home), DEMO_USERS (2000),
# DEMO_AGENTS (120), DEMO_PLAN (enterprise), DEMO_RATE_WINDOW (6: the
# simulator's rate-limit windows last 6 s instead of 60 s so the demo's
# backfill takes about a minute; set 60 for Zendesk's real pace), DEMO_SERVE
# (1; 0 ends after the reports), DEMO_LISTEN (127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# -O2 with line tables only (-g1): backtraces keep file:line, and the build
# takes a third less CPU than with full -g (scripts/test.sh builds the same).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build build -j "$(nproc)" --target seatkeeper zdsim

export SEATKEEPER_HOME=${SEATKEEPER_HOME:-$PWD/build/demo-home}
rm -rf "$SEATKEEPER_HOME"
mkdir -p "$SEATKEEPER_HOME"
chmod 700 "$SEATKEEPER_HOME"
SK=build/seatkeeper
PORT_FILE=$SEATKEEPER_HOME/zdsim.port

build/zdsim serve --port 0 --port-file "$PORT_FILE" --seed 42 \
  --users "${DEMO_USERS:-2000}" --agents "${DEMO_AGENTS:-120}" --plan "${DEMO_PLAN:-enterprise}" \
  --rate-window-seconds "${DEMO_RATE_WINDOW:-6}" >"$SEATKEEPER_HOME/zdsim.log" 2>&1 &
ZDSIM_PID=$!
cleanup() { kill "$ZDSIM_PID" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  [[ -s "$PORT_FILE" ]] && break
  sleep 0.1
done
[[ -s "$PORT_FILE" ]] || { echo "zdsim did not start:"; cat "$SEATKEEPER_HOME/zdsim.log"; exit 1; }
URL="http://127.0.0.1:$(cat "$PORT_FILE")"
echo "== zdsim (simulated Zendesk account, plan ${DEMO_PLAN:-enterprise}) at $URL"

echo "== seatkeeper connect"
printf 'zdsim-admin-oauth-token\n' | $SK connect --url "$URL" --allow-local --oauth-token-file - \
  --permission read-write
echo "== seatkeeper policy add idle-agents (a reclaim rule: its matches become proposals after each sync)"
$SK policy add idle-agents --action downgrade-end-user --license agent --idle-days 45 --let-zendesk-reassign
echo "== seatkeeper sync (users + 90 days of usage)"
$SK sync
echo "== seatkeeper users (first 25 rows)"
$SK users > "$SEATKEEPER_HOME/users.txt"   # (no pipe into head: pipefail would see SIGPIPE)
head -n 26 "$SEATKEEPER_HOME/users.txt"
echo "== seatkeeper usage (daily active users, last 14 days)"
$SK usage --from "$(date -u -d '13 days ago' +%F)" | cat
echo "== seatkeeper seats --inactive-days 30 --seat-price 115"
$SK seats --inactive-days 30 --seat-price 115 | tail -n 15
echo "== seatkeeper recommendations --seat-price 115 (paid seats worth changing)"
$SK recommendations --seat-price 115 > "$SEATKEEPER_HOME/recommendations.txt"
tail -n 12 "$SEATKEEPER_HOME/recommendations.txt"
echo "== seatkeeper proposals (made by the sync from policy idle-agents; nothing runs until an admin approves)"
$SK proposals > "$SEATKEEPER_HOME/proposals.txt"
head -n 12 "$SEATKEEPER_HOME/proposals.txt"
echo "($(($(wc -l < "$SEATKEEPER_HOME/proposals.txt") - 1)) proposals; approve with: $SK proposals approve ID)"
cat <<EOT

Next steps (export SEATKEEPER_HOME=$SEATKEEPER_HOME):
  $SK status                      # connection state and preflight checklist
  $SK capabilities                # what this connection can do, and why not
  $SK usage --user ID             # one user's active days with the evidence
  $SK offboard ID --reassign-to ID --delete --dry-run
EOT

if [[ "${DEMO_SERVE:-1}" == 1 ]]; then
  PASSWORD=$(head -c 9 /dev/urandom | base64 | tr '+/' 'xy')  # 12 characters
  printf '%s\n' "$PASSWORD" | $SK admin set-password --password-file - >/dev/null
  echo
  echo "== seatkeeper serve (web UI and REST API; Ctrl-C stops it)"
  echo "   log in with the admin password: $PASSWORD"
  $SK serve --listen "${DEMO_LISTEN:-127.0.0.1:8080}" --web-root "$PWD/web" --allow-local --no-schedule
fi
