// Player stats reports at the rate real players send them: one POST per viewer every REPORT_SECONDS
// (the SDK's default is 5 s), each a valid report of that interval's deltas, with its session's
// sequence number.
//
//   k6 run loadtest/k6/stats.js
//   k6 run -e STATS_URL=http://edge.example:8000/stats -e VUS=1000 -e DURATION=5m loadtest/k6/stats.js
//
// The edge limits reports per client address. From one load generator every VU shares an address: run
// the edge with `--trusted-proxies 127.0.0.1` and this script gives each VU its own X-Forwarded-For
// address (FORWARDED=1, the default), or raise `--stats-reports-per-second`.
//
// Thresholds: under 1 % of reports refused or failed, 95 % answered within REPORT_P95_MS (default 50 ms).
// Settings (-e NAME=value): STATS_URL (default http://localhost:8000/stats), STREAM (default
// /live/demo/master.m3u8), REPORT_SECONDS (default 5), FORWARDED (default 1), VUS (default 100),
// DURATION (default 1m), REPORT_P95_MS (default 50).
import { check, sleep } from 'k6';
import http from 'k6/http';

const STATS_URL = __ENV.STATS_URL || 'http://localhost:8000/stats';
const STREAM = __ENV.STREAM || '/live/demo/master.m3u8';
const REPORT_SECONDS = Number(__ENV.REPORT_SECONDS || 5);
const FORWARDED = (__ENV.FORWARDED || '1') === '1';

export const options = {
  scenarios: {
    players: {
      executor: 'constant-vus',
      vus: Number(__ENV.VUS || 100),
      duration: __ENV.DURATION || '1m',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: [`p(95)<${Number(__ENV.REPORT_P95_MS || 50)}`],
    checks: ['rate>0.99'],
  },
};

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function sessionId() {
  let out = `k6${__VU}-`;
  while (out.length < 24) out += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return out;
}

export default function () {
  const session = sessionId();
  const headers = { 'Content-Type': 'application/json' };
  // A documentation-range address per VU (RFC 5737), only ever written into a header.
  if (FORWARDED) headers['X-Forwarded-For'] = `198.51.${Math.floor(__VU / 250) % 256}.${__VU % 250}`;
  for (let seq = 0; ; seq++) {
    const offload = 0.5 + Math.random() * 0.4;
    const bytes = Math.floor(REPORT_SECONDS * 150000 * (0.8 + Math.random() * 0.4));
    const report = {
      v: 1,
      session,
      seq,
      stream: STREAM,
      intervalMs: REPORT_SECONDS * 1000,
      httpBytes: Math.floor(bytes * (1 - offload)),
      p2pBytes: Math.floor(bytes * offload),
      uploadBytes: Math.floor(bytes * offload),
      stalls: Math.random() < 0.01 ? 1 : 0,
      stallMs: 0,
      peers: 3 + Math.floor(Math.random() * 5),
    };
    if (seq === 0) report.startupMs = 800 + Math.floor(Math.random() * 1200);
    const res = http.post(STATS_URL, JSON.stringify(report), { headers });
    check(res, { 'report accepted': (r) => r.status === 202 });
    sleep(REPORT_SECONDS);
  }
}
