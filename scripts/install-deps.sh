#!/usr/bin/env bash
# Installs every Debian package seatkeeper needs to build, run and test.
# Idempotent: packages already present are not fetched again; apt-get update
# runs only when something is missing. Run as root (or with sudo available).
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git
  libcpp-httplib-dev libcurl4-openssl-dev libssl-dev ca-certificates
  nlohmann-json3-dev libsimdjson-dev rapidjson-dev
  libsqlite3-dev sqlite3 libpq-dev libpqxx-dev postgresql
  libcli11-dev libspdlog-dev libfmt-dev libsodium-dev
  libhowardhinnant-date-dev tzdata
  libgtest-dev libgmock-dev
  chromium wrk clang libclang-rt-14-dev iproute2 universal-ctags
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PKGS[@]} packages present"
else
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Web UI packages from npm (uplot for the charts, vendored into web/vendor by
# postinstall; playwright-core for the browser test). Node.js comes with the machine.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -f "$ROOT/web/package-lock.json" ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  if [[ ! -d "$ROOT/web/node_modules/playwright-core" || ! -d "$ROOT/web/vendor" ]]; then
    (cd "$ROOT/web" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
