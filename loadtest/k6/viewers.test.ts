import { afterAll, beforeAll, describe, it } from 'vitest';
import { findK6, runK6, stat } from './harness/k6.js';
import { LivePublisher } from './harness/live-publisher.js';
import { startEdgeProcess, startOriginProcess, type EdgeProcess, type OriginProcess } from './harness/stack.js';

/**
 * viewers.js under real k6 against a real origin and edge: it passes on a live stream that keeps going,
 * and fails on one whose playlist froze (a stuck encoder), where every viewer would have stalled.
 */

const found = findK6();
if (!found.k6) console.warn(`viewers.js k6 runs skipped: ${found.why}`);

describe.skipIf(!found.k6)('viewers.js under k6', () => {
  const k6 = found.k6!;
  let origin: OriginProcess;
  let edge: EdgeProcess;
  let live: LivePublisher;
  let frozen: LivePublisher;

  beforeAll(async () => {
    origin = await startOriginProcess();
    edge = await startEdgeProcess(['--origin', origin.url]);
    const stream = (name: string) => new LivePublisher({ originUrl: origin.url, token: origin.token, stream: name, segmentSeconds: 1, segmentBytes: 50_000, variants: 2 });
    live = stream('k6-live');
    frozen = stream('k6-frozen');
    await Promise.all([live.start(), frozen.start()]);
    await frozen.freeze();
  });

  afterAll(async () => {
    await live?.freeze();
    await edge?.child.stop();
    await origin?.close();
  });

  // 4 viewers over 2 s, then 13 s of watching; both runs side by side (they are light).
  const settings = (stream: string) => ({ BASE_URL: edge.url, STREAM: `/live/${stream}/master.m3u8`, VUS: 4, RAMP: '2s', DURATION: '13s' });

  it.concurrent('passes on a live stream through the edge: every segment fetched as it appears', async ({ expect }) => {
    const run = await runK6(k6, 'viewers.js', { env: settings('k6-live'), timeoutMs: 60_000 });
    expect(run.failedThresholds, run.output).toEqual([]);
    expect(run.code, run.output).toBe(0);
    expect(live.error).toBeUndefined();
    // Four viewers, each about 11–13 s: three segments behind live, then one per second.
    expect(stat(run, 'shoal_segments_fetched', 'count')).toBeGreaterThanOrEqual(4 * 10);
    expect(stat(run, 'shoal_live_behind_seconds', 'p(95)')).toBeLessThan(4);
    expect(stat(run, 'checks', 'fails')).toBe(0);
    // Every session ended with the run: no graceful-stop wait, no interrupted iteration.
    expect(stat(run, 'shoal_viewing_sessions', 'count')).toBe(4);
    // One iteration per session, lasting until the run ended (one more per VU at most, should k6 notice the
    // end late): no empty iterations in a loop, which made hundreds.
    expect(stat(run, 'iterations', 'count')).toBeGreaterThanOrEqual(4);
    expect(stat(run, 'iterations', 'count')).toBeLessThanOrEqual(2 * 4);
    // Ended on time by k6's clock (each VU's last iteration waits half a second past the end), none cut off.
    expect(run.runSeconds).toBeGreaterThanOrEqual(15);
    expect(run.runSeconds).toBeLessThan(15 + 2);
    expect(run.interruptedIterations).toBe(0);
  });

  it.concurrent('fails on a frozen live playlist, on how far the viewers fell behind live alone', async ({ expect }) => {
    const run = await runK6(k6, 'viewers.js', { env: settings('k6-frozen'), timeoutMs: 60_000 });
    expect(run.code, run.output).toBe(99);
    expect(run.failedThresholds).toEqual(['shoal_live_behind_seconds: p(95)<4']);
    // The frozen playlist still answers, with its digests; the viewers fetched what it lists, then nothing.
    expect(stat(run, 'shoal_segments_fetched', 'count')).toBeGreaterThanOrEqual(4 * 3);
    expect(stat(run, 'shoal_segments_fetched', 'count')).toBeLessThanOrEqual(4 * 4);
    // Each viewer watched 10–13 s and got nothing new: behind by all of it, less one target duration.
    expect(stat(run, 'shoal_live_behind_seconds', 'min')).toBeGreaterThan(8);
  });
});
