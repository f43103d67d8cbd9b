import { validateStatsReport, type StatsReport } from '@shoal/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineStats } from './engine-api.js';
import { StatsReporter } from './stats-reporter.js';

const ZERO_STATS: EngineStats = {
  httpBytes: 0,
  p2pBytes: 0,
  p2pRelayBytes: 0,
  uploadBytes: 0,
  offloadRatio: 0,
  connectionPaths: { host: 0, srflx: 0, prflx: 0, relay: 0, unknown: 0 },
  connectionAttempts: { ok: 0, failed: 0 },
  peers: 0,
  stalls: 0,
  stallMs: 0,
  startupMs: undefined,
  integrityFailures: 0,
  faults: 0,
  uploadBudget: 0,
  uplinkRate: undefined,
  uploadsInProgress: 0,
  uploadsRefusedBusy: 0,
  p2pDiscardedBytes: 0,
  segmentMemoryBytes: 0,
  connectionsCreated: 0,
  connectionsOpen: 0,
  connectionsFailed: 0,
  connectionsConnecting: 0,
};

afterEach(() => {
  vi.useRealTimers();
});

describe('StatsReporter', () => {
  it('posts valid reports of deltas on every interval, with startup once', async () => {
    vi.useFakeTimers();
    let now = 0;
    let stats: EngineStats = { ...ZERO_STATS };
    const posted: StatsReport[] = [];
    const reporter = new StatsReporter({
      url: 'http://edge.test/stats',
      intervalMs: 5000,
      stream: () => '/live/demo/master.m3u8',
      stats: () => stats,
      now: () => now,
      fetch: async (_url, init) => {
        posted.push(JSON.parse(init.body) as StatsReport);
        return { ok: true };
      },
    });
    stats = { ...stats, httpBytes: 1000, p2pBytes: 3000, uploadBytes: 500, peers: 2, startupMs: 800 };
    now = 5000;
    await vi.advanceTimersByTimeAsync(5000);
    stats = { ...stats, httpBytes: 1500, p2pBytes: 7000, stalls: 1, stallMs: 300 };
    now = 10000;
    await vi.advanceTimersByTimeAsync(5000);
    reporter.destroy();
    await vi.advanceTimersByTimeAsync(20000);

    expect(posted).toHaveLength(2);
    for (const report of posted) expect(validateStatsReport(report).ok).toBe(true);
    expect(posted[0]).toMatchObject({ seq: 0, intervalMs: 5000, httpBytes: 1000, p2pBytes: 3000, uploadBytes: 500, startupMs: 800, peers: 2 });
    expect(posted[1]).toMatchObject({ seq: 1, httpBytes: 500, p2pBytes: 4000, uploadBytes: 0, stalls: 1, stallMs: 300 });
    expect(posted[1]!.startupMs).toBeUndefined();
    expect(posted[0]!.p2pRelayBytes).toBeUndefined();
    expect(posted[0]!.session).toBe(posted[1]!.session);
  });

  it('sends nothing before the stream is known', async () => {
    vi.useFakeTimers();
    const posted: unknown[] = [];
    const reporter = new StatsReporter({
      url: 'http://edge.test/stats',
      intervalMs: 1000,
      stream: () => undefined,
      stats: () => ({ ...ZERO_STATS, httpBytes: 1 }),
      now: () => 0,
      fetch: async (_url, init) => void posted.push(init.body),
    });
    await vi.advanceTimersByTimeAsync(5000);
    reporter.destroy();
    expect(posted).toEqual([]);
  });

  it('carries the deltas of a refused report over to the next one', async () => {
    vi.useFakeTimers();
    let now = 0;
    let stats: EngineStats = { ...ZERO_STATS };
    const posted: StatsReport[] = [];
    let accept = false;
    const reporter = new StatsReporter({
      url: 'http://edge.test/stats',
      intervalMs: 1000,
      stream: () => '/live/demo/master.m3u8',
      stats: () => stats,
      now: () => now,
      fetch: async (_url, init) => {
        posted.push(JSON.parse(init.body) as StatsReport);
        return { ok: accept };
      },
    });
    stats = { ...stats, p2pBytes: 100 };
    now = 1000;
    await vi.advanceTimersByTimeAsync(1000);
    accept = true;
    stats = { ...stats, p2pBytes: 250 };
    now = 2000;
    await vi.advanceTimersByTimeAsync(1000);
    stats = { ...stats, p2pBytes: 300 };
    now = 3000;
    await vi.advanceTimersByTimeAsync(1000);
    reporter.destroy();
    expect(posted.map((r) => [r.seq, r.p2pBytes, r.intervalMs])).toEqual([
      [0, 100, 1000],
      [1, 250, 2000],
      [2, 50, 1000],
    ]);
  });

  it('reports bytes relayed through TURN as their own delta, only when there are some', async () => {
    vi.useFakeTimers();
    let stats: EngineStats = { ...ZERO_STATS };
    const posted: StatsReport[] = [];
    const reporter = new StatsReporter({
      url: 'http://edge.test/stats',
      intervalMs: 1000,
      stream: () => '/live/demo/master.m3u8',
      stats: () => stats,
      now: () => 0,
      fetch: async (_url, init) => {
        posted.push(JSON.parse(init.body) as StatsReport);
        return { ok: true };
      },
    });
    stats = { ...stats, p2pBytes: 5000, p2pRelayBytes: 2000 };
    await vi.advanceTimersByTimeAsync(1000);
    stats = { ...stats, p2pBytes: 6000 };
    await vi.advanceTimersByTimeAsync(1000);
    reporter.destroy();
    expect(posted[0]).toMatchObject({ p2pBytes: 5000, p2pRelayBytes: 2000 });
    expect(posted[1]).toMatchObject({ p2pBytes: 1000 });
    expect(posted[1]!.p2pRelayBytes).toBeUndefined();
    for (const report of posted) expect(validateStatsReport(report).ok).toBe(true);
  });
});
