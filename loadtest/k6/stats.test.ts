import { afterAll, beforeAll, describe, it } from 'vitest';
import { metricValue } from '../../edge/test/helpers.js';
import { findK6, runK6, stat } from './harness/k6.js';
import { startEdgeProcess, type EdgeProcess } from './harness/stack.js';

/**
 * stats.js under real k6 against real edges: every VU reports from the same address, as viewers behind one
 * NAT do. It passes against an edge with the default limits, and fails against one that refuses most of
 * them (a per-address ceiling far below what the players send).
 */

const found = findK6();
if (!found.k6) console.warn(`stats.js k6 runs skipped: ${found.why}`);

async function reportsCounted(edge: EdgeProcess): Promise<number> {
  const text = await (await fetch(`${edge.url}/metrics`)).text();
  return metricValue(text, 'shoal_player_reports_total{result="counted"}') ?? Number.NaN;
}

describe.skipIf(!found.k6)('stats.js under k6', () => {
  const k6 = found.k6!;
  let edge: EdgeProcess;
  let strict: EdgeProcess;

  beforeAll(async () => {
    [edge, strict] = await Promise.all([
      startEdgeProcess([]),
      startEdgeProcess(['--stats-address-reports-per-second', '1', '--stats-address-reports-burst', '5']),
    ]);
  });

  afterAll(async () => {
    await Promise.all([edge?.child.stop(), strict?.child.stop()]);
  });

  // 40 players reporting every 2 s for 12 s: 240 reports, all from 127.0.0.1. Latency is not what these
  // runs are about, and the machine is shared: a wide p95 bound.
  const settings = (target: EdgeProcess) => ({ STATS_URL: `${target.url}/stats`, VUS: 40, DURATION: '12s', REPORT_SECONDS: 2, REPORT_P95_MS: 1000 });

  it.concurrent('passes against an edge with default limits: every report from one address counted', async ({ expect }) => {
    const run = await runK6(k6, 'stats.js', { env: settings(edge), timeoutMs: 60_000 });
    expect(run.failedThresholds, run.output).toEqual([]);
    expect(run.code, run.output).toBe(0);
    const counted = stat(run, 'shoal_reports_counted', 'count');
    expect(counted).toBeGreaterThanOrEqual(40 * 5);
    expect(counted).toBeLessThanOrEqual(40 * 7);
    expect(stat(run, 'checks', 'fails')).toBe(0);
    // One iteration per session, lasting until the run ended (one more per VU at most, should k6 notice the
    // end late): no empty iterations in a loop, which made hundreds.
    expect(stat(run, 'iterations', 'count')).toBeGreaterThanOrEqual(40);
    expect(stat(run, 'iterations', 'count')).toBeLessThanOrEqual(2 * 40);
    // What k6 saw counted is what the edge counted.
    expect(await reportsCounted(edge)).toBe(counted);
    // Ended on time by k6's clock (each VU's last iteration waits half a second past the end), none cut off.
    expect(run.runSeconds).toBeGreaterThanOrEqual(12);
    expect(run.runSeconds).toBeLessThan(12 + 2);
    expect(run.interruptedIterations).toBe(0);
  });

  it.concurrent('fails against an edge that refuses most reports', async ({ expect }) => {
    const run = await runK6(k6, 'stats.js', { env: settings(strict), timeoutMs: 60_000 });
    expect(run.code, run.output).toBe(99);
    expect(run.failedThresholds.sort()).toEqual(['checks{check:report accepted}: rate>0.99', 'http_req_failed: rate<0.01', 'shoal_reports_counted: rate>=16']);
    // Burst of 5, then 1 per second for about 12 s.
    const counted = stat(run, 'shoal_reports_counted', 'count');
    expect(counted).toBeGreaterThanOrEqual(5 + 10);
    expect(counted).toBeLessThanOrEqual(5 + 14);
    expect(await reportsCounted(strict)).toBe(counted);
  });
});
