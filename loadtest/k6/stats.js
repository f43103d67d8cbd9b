// Player stats reports at the rate real players send them: one POST per viewer every REPORT_SECONDS (the
// SDK's default is 5 s, jittered here by ±10 %), each a valid report of that interval's deltas with its
// session's next sequence number. Viewers start at random offsets within the first interval, so reports
// spread over it as real audiences' do. Each iteration is one player session of SESSION_SECONDS (a new
// session id, sequence from 0), cut short when the run ends, so runs end on time.
//
//   k6 run loadtest/k6/stats.js
//   k6 run -e STATS_URL=http://edge.example:8000/stats -e VUS=1000 -e DURATION=5m loadtest/k6/stats.js
//
// All VUs share the load generator's address, as viewers behind one NAT do: the edge limits reports per
// session under a per-address ceiling (`--stats-address-reports-per-second`, default 500, enough for 2,500
// players). FORWARDED=1 gives VU n the X-Forwarded-For address 198.51.100.(n % 254 + 1) (documentation
// range, RFC 5737; written into the header only), for an edge started with `--trusted-proxies 127.0.0.1`.
//
// Thresholds (each fails when nothing was measured):
// - checks{check:report accepted} over 99 % (202) and http_req_failed under 1 %;
// - shoal_reports_counted at least MIN_SHARE (default 0.8) of the rate the players send,
//   VUS / REPORT_SECONDS per second: reports the edge answered 202 {"counted":true};
// - http_req_duration p95 < REPORT_P95_MS (default 50 ms).
// Settings (-e NAME=value): STATS_URL (default http://localhost:8000/stats), STREAM (default
// /live/demo/master.m3u8), REPORT_SECONDS (default 5), FORWARDED (default 0), VUS (default 100),
// DURATION (default 1m), SESSION_SECONDS (default 300), REPORT_P95_MS (default 50), MIN_SHARE (default 0.8).
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { boundedSeconds, durationSeconds, idleUntilEnd, secondsLeft } from './lib/run-time.js';

const STATS_URL = __ENV.STATS_URL || 'http://localhost:8000/stats';
const STREAM = __ENV.STREAM || '/live/demo/master.m3u8';
const REPORT_SECONDS = Number(__ENV.REPORT_SECONDS || 5);
const FORWARDED = (__ENV.FORWARDED || '0') === '1';
const VUS = Number(__ENV.VUS || 100);
const DURATION = __ENV.DURATION || '1m';
const SESSION_SECONDS = Number(__ENV.SESSION_SECONDS || 300);
const RUN_SECONDS = durationSeconds(DURATION);

const counted = new Counter('shoal_reports_counted');

export const options = {
  scenarios: {
    players: {
      executor: 'constant-vus',
      vus: VUS,
      duration: DURATION,
      gracefulStop: '10s',
    },
  },
  thresholds: {
    'checks{check:report accepted}': ['rate>0.99'],
    http_req_failed: ['rate<0.01'],
    shoal_reports_counted: [`rate>=${(Number(__ENV.MIN_SHARE || 0.8) * VUS) / REPORT_SECONDS}`],
    http_req_duration: [`p(95)<${Number(__ENV.REPORT_P95_MS || 50)}`],
  },
};

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function sessionId() {
  let out = `k6${__VU}-`;
  while (out.length < 24) out += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return out;
}

let started = false;

export default function () {
  if (secondsLeft(RUN_SECONDS) < 0.5) {
    idleUntilEnd(RUN_SECONDS);
    return;
  }
  if (!started) {
    // Players do not all press play in the same second.
    started = true;
    sleep(boundedSeconds(Math.random() * REPORT_SECONDS, RUN_SECONDS));
  }
  const sessionEnds = Date.now() + SESSION_SECONDS * 1000;
  const session = sessionId();
  const headers = { 'Content-Type': 'application/json' };
  if (FORWARDED) headers['X-Forwarded-For'] = `198.51.100.${(__VU % 254) + 1}`;
  for (let seq = 0; secondsLeft(RUN_SECONDS) > 0 && Date.now() < sessionEnds; seq++) {
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
    const accepted = check(res, { 'report accepted': (r) => r.status === 202 });
    if (accepted && String(res.body).indexOf('"counted":true') >= 0) counted.add(1);
    sleep(boundedSeconds(REPORT_SECONDS * (0.9 + Math.random() * 0.2), RUN_SECONDS));
  }
  // The run is over: wait for k6 to stop this VU rather than start an empty iteration.
  if (secondsLeft(RUN_SECONDS) < 0.5) idleUntilEnd(RUN_SECONDS);
}
