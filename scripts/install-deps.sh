#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine: system packages (only those missing) and the
# npm workspace exactly as locked.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: browser tests; ffmpeg: a second, newer encoder for ingest tests (the npm one is 4.1);
# redis-server: edge scale-out tests; prometheus: promtool checks and the end-to-end scrape test;
# nginx (with Debian ffmpeg): the third-party live origin Shoal's edge is tested in front of;
# iproute2, nftables, coturn: network namespaces, the network lab's NAT routers and tc shaping, STUN/TURN.
PACKAGES=(chromium ffmpeg redis-server prometheus nginx iproute2 nftables coturn)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
