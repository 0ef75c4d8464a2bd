#!/usr/bin/env bash
# Installs every Debian package seatkeeper needs to build, run and test.
# Idempotent: packages already present are not fetched again; apt-get update
# runs only when something is missing. Run as root (or with sudo available).
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git
  libcpp-httplib-dev libcurl4-openssl-dev libssl-dev ca-certificates
  nlohmann-json3-dev libsimdjson-dev
  libsqlite3-dev sqlite3 libpq-dev libpqxx-dev
  libcli11-dev libspdlog-dev libfmt-dev libsodium-dev
  libhowardhinnant-date-dev tzdata
  libgtest-dev libgmock-dev
)
if [[ "${SEATKEEPER_WITH_BROWSER:-0}" == 1 ]]; then PKGS+=(chromium nodejs npm); fi
if [[ "${SEATKEEPER_WITH_POSTGRES:-0}" == 1 ]]; then PKGS+=(postgresql); fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
