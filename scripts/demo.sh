#!/usr/bin/env bash
# Installs the workspace if needed, builds it, and runs the demo: the origin with its live ABR test stream
# and a VOD title, an edge node (tracker), and the demo page. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent

ORIGIN_PORT="${SHOAL_ORIGIN_PORT:-8080}"
EDGE_PORT="${SHOAL_EDGE_PORT:-8000}"
PAGE_PORT="${SHOAL_DEMO_PORT:-8088}"
pids=()
stop() {
  trap - INT TERM EXIT
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

node origin/dist/cli.js --demo --port "$ORIGIN_PORT" & pids+=($!)
node edge/dist/cli.js --port "$EDGE_PORT" --origin "http://127.0.0.1:${ORIGIN_PORT}" & pids+=($!)
node player-sdk/demo/serve.mjs --port "$PAGE_PORT" --origin-port "$ORIGIN_PORT" --edge-port "$EDGE_PORT" & pids+=($!)

cat <<INFO

  Shoal demo
    demo page (open it in two tabs):  http://localhost:${PAGE_PORT}/
    live stream, any HLS player:      http://localhost:${EDGE_PORT}/live/demo/master.m3u8  (edge cache)
    VOD title:                        http://localhost:${EDGE_PORT}/vod/demo-vod/master.m3u8
    the same from the origin:         http://localhost:${ORIGIN_PORT}/live/demo/master.m3u8
    tracker:                          ws://localhost:${EDGE_PORT}/announce
    stats ingest:                     http://localhost:${EDGE_PORT}/stats
    metrics:                          http://localhost:${ORIGIN_PORT}/metrics  http://localhost:${EDGE_PORT}/metrics

INFO
wait -n "${pids[@]}"
