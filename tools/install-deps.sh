#!/usr/bin/env bash
# Installs the Debian 12 packages shoal builds and tests with.
# Idempotent: asks apt only for what is missing, runs `apt-get update` at most once.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev
  libssl-dev libre2-dev zlib1g-dev libdeflate-dev libidn2-dev catch2 libcli11-dev libtomlplusplus-dev
  openssl python3 ca-certificates
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "shoal: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
