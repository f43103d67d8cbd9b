#!/usr/bin/env bash
# Installs the workspace if needed, builds it, and runs the demo: the origin with its live ABR test stream
# and a VOD title. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
PORT="${SHOAL_PORT:-8080}"
echo "Shoal demo: live  http://localhost:${PORT}/live/demo/master.m3u8"
echo "            VOD   http://localhost:${PORT}/vod/demo-vod/master.m3u8"
exec node origin/dist/cli.js --demo --port "$PORT"
