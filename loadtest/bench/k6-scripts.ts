import { loadavg } from 'node:os';
import { findK6, runK6, stat, type K6Run } from '../k6/harness/k6.js';
import { LivePublisher } from '../k6/harness/live-publisher.js';
import { startEdgeProcess, startOriginProcess } from '../k6/harness/stack.js';
import { machineFacts } from './machine.js';

/**
 * `npm run bench:k6`: the three k6 scripts at load, one after the other, against a real origin (a live
 * stream pushed over ingest: 2 renditions, 2 s segments of 250 KB) and a real edge with default settings,
 * all on loopback. Prints each run's key figures, its thresholds' verdict and k6's own summary.
 * SHOAL_BENCH_K6_SECONDS sets each run's length (default 60); SHOAL_BENCH_K6_VIEWERS, _PEERS and
 * _PLAYERS the VUs of each script (defaults 50, 500, 1000).
 */

const env = process.env;
const SECONDS = Number(env.SHOAL_BENCH_K6_SECONDS ?? 60);
const VIEWERS = Number(env.SHOAL_BENCH_K6_VIEWERS ?? 50);
const PEERS = Number(env.SHOAL_BENCH_K6_PEERS ?? 500);
const PLAYERS = Number(env.SHOAL_BENCH_K6_PLAYERS ?? 1000);
const RAMP = Math.max(1, Math.round(SECONDS / 6));

const found = findK6();
if (!found.k6) {
  process.stdout.write(`k6 scripts: skipped, ${found.why}\n`);
  process.exit(0);
}
const k6 = found.k6;

const ms = (value: number) => `${value.toFixed(1)} ms`;
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const verdict = (run: K6Run) => (run.code === 0 ? 'all thresholds passed' : `exit ${run.code}, failed: ${run.failedThresholds.join('; ') || 'no threshold (see output)'}`);

/** Latency figures depend on what else the machine runs: each run says how busy it was. */
const load = () => loadavg()[0]!.toFixed(2);

function section(title: string, command: string, run: K6Run, loadBefore: string, figures: string[]): string {
  return [
    `${title}`,
    `  k6 run ${command}`,
    ...figures.map((f) => `  ${f}`),
    `  ${verdict(run)}, ${run.seconds.toFixed(0)} s; load average (1 min) ${loadBefore} before, ${load()} after`,
    '',
    run.summary,
    '',
  ].join('\n');
}

const origin = await startOriginProcess();
const edge = await startEdgeProcess(['--origin', origin.url]).catch(async (error: unknown) => {
  await origin.close();
  throw error;
});
const live = new LivePublisher({ originUrl: origin.url, token: origin.token, stream: 'bench', segmentSeconds: 2, segmentBytes: 250_000, variants: 2 });
let failed = false;
try {
  await live.start();
  process.stdout.write(`k6 v${k6.version} scripts against a real origin and edge on loopback, ${SECONDS} s each (${machineFacts()})\n\n`);

  const viewersEnv = { BASE_URL: edge.url, STREAM: '/live/bench/master.m3u8', VUS: VIEWERS, RAMP: `${RAMP}s`, DURATION: `${SECONDS - RAMP}s` };
  const viewersLoad = load();
  const viewers = await runK6(k6, 'viewers.js', { env: viewersEnv, timeoutMs: (SECONDS + 60) * 1000 });
  process.stdout.write(
    section(`viewers.js: ${VIEWERS} viewers of a live stream through the edge`, `-e VUS=${VIEWERS} -e RAMP=${RAMP}s -e DURATION=${SECONDS - RAMP}s viewers.js`, viewers, viewersLoad, [
      `segments fetched ${int(stat(viewers, 'shoal_segments_fetched', 'count'))} in ${int(stat(viewers, 'shoal_viewing_sessions', 'count'))} viewing sessions; segment download p95 ${ms(stat(viewers, 'shoal_segment_duration', 'p(95)'))}`,
      `behind live (wall clock less new media fetched, less one target duration) p95 ${stat(viewers, 'shoal_live_behind_seconds', 'p(95)').toFixed(2)} s, max ${stat(viewers, 'shoal_live_behind_seconds', 'max').toFixed(2)} s; failed requests ${(100 * stat(viewers, 'http_req_failed', 'value')).toFixed(2)} %`,
    ]),
  );

  const trackerEnv = { TRACKER_URL: edge.trackerUrl, VUS: PEERS, SWARMS: Math.max(1, Math.round(PEERS / 50)), RAMP: `${RAMP}s`, DURATION: `${SECONDS - RAMP}s` };
  const trackerLoad = load();
  const tracker = await runK6(k6, 'tracker.js', { env: trackerEnv, timeoutMs: (SECONDS + 60) * 1000 });
  process.stdout.write(
    section(`tracker.js: ${PEERS} peers in ${trackerEnv.SWARMS} swarms`, `-e VUS=${PEERS} -e SWARMS=${trackerEnv.SWARMS} -e RAMP=${RAMP}s -e DURATION=${SECONDS - RAMP}s tracker.js`, tracker, trackerLoad, [
      `offers relayed ${int(stat(tracker, 'shoal_offers_received', 'count'))}, relay p95 ${ms(stat(tracker, 'shoal_offer_relay_ms', 'p(95)'))}; answers routed back ${int(stat(tracker, 'shoal_answers_received', 'count'))} (${(100 * stat(tracker, 'shoal_answer_routed', 'value')).toFixed(2)} % to the right offer)`,
      `offers answered ${(100 * stat(tracker, 'shoal_offer_answered', 'value')).toFixed(2)} %; announces failed ${(100 * stat(tracker, 'shoal_announce_failed', 'value')).toFixed(2)} %`,
    ]),
  );

  const statsEnv = { STATS_URL: `${edge.url}/stats`, VUS: PLAYERS, DURATION: `${SECONDS}s` };
  const statsLoad = load();
  const stats = await runK6(k6, 'stats.js', { env: statsEnv, timeoutMs: (SECONDS + 60) * 1000 });
  const counted = stat(stats, 'shoal_reports_counted', 'count');
  const sent = stat(stats, 'http_reqs', 'count');
  process.stdout.write(
    section(`stats.js: ${PLAYERS} players behind one address (127.0.0.1, no X-Forwarded-For), one report each per 5 s`, `-e VUS=${PLAYERS} -e DURATION=${SECONDS}s stats.js`, stats, statsLoad, [
      `reports counted ${int(counted)} of ${int(sent)} sent (${((100 * counted) / sent).toFixed(2)} %), ${(counted / SECONDS).toFixed(1)}/s for ${(PLAYERS / 5).toFixed(0)}/s sent by the players; p95 ${ms(stat(stats, 'http_req_duration', 'p(95)'))}`,
    ]),
  );
  failed = [viewers, tracker, stats].some((run) => run.code !== 0) || live.error !== undefined;
  if (live.error) process.stdout.write(`live publisher failed: ${live.error.message}\n`);
} finally {
  await live.freeze();
  await edge.child.stop();
  await origin.close();
}
process.exit(failed ? 1 : 0);
