#!/usr/bin/env bash
# Installs the two system libraries Agora links (sqlite3, libcurl for URLSession) when missing.
set -euo pipefail
missing=()
for package in libsqlite3-dev libcurl4-openssl-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "agora: installing ${missing[*]}…" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
