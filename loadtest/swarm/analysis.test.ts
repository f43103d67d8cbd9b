import { describe, expect, it } from 'vitest';
import { analyse, percentile } from './analysis.js';
import type { ViewerReport } from './simulated-viewer.js';

const report = (overrides: Partial<ViewerReport>): ViewerReport => ({
  id: 'v',
  joinedAt: 0,
  startupMs: 1000,
  segmentsPlayed: 10,
  stalls: 0,
  stallMs: 0,
  missedDeadlines: 0,
  uplinkRate: undefined,
  corruptSegments: 0,
  httpBytes: 0,
  p2pBytes: 0,
  uploadBytes: 0,
  p2pDiscardedBytes: 0,
  uploadCapacityBytes: 1e9,
  uplinkClass: undefined,
  integrityFailures: 0,
  peers: 2,
  p2pLatencies: [],
  ...overrides,
});

describe('swarm analysis', () => {
  it('takes percentiles by rank', () => {
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('computes the offload limit from who needed which segment', () => {
    // Segment 1 needed by 3 viewers, segment 2 by only 1 (the others left): limit (2·100 + 0·100) / (3·100 + 1·100).
    const loads = [
      { viewer: 'a', sequence: 1, httpBytes: 100, p2pBytes: 0 },
      { viewer: 'b', sequence: 1, httpBytes: 0, p2pBytes: 100 },
      { viewer: 'c', sequence: 1, httpBytes: 50, p2pBytes: 50 },
      { viewer: 'a', sequence: 2, httpBytes: 100, p2pBytes: 0 },
    ];
    const reports = [report({ httpBytes: 250, p2pBytes: 150, stalls: 1, stallMs: 500, p2pLatencies: [10, 30] }), report({}), report({})];
    const figures = analyse(reports, loads, 3);
    expect(figures.offloadLimit).toBeCloseTo(0.5);
    expect(figures.offloadRatio).toBeCloseTo(150 / 400);
    expect(figures.httpCopiesMedian).toBe(1);
    expect(figures.httpCopiesP95).toBe(1.5);
    expect(figures.stallsPerViewer).toBeCloseTo(1 / 3);
    expect(figures.viewersWithStalls).toBe(1);
    expect(figures.p2pLatencyP95Ms).toBe(30);
  });

  it('gives (N−1)/N when every viewer needs every segment', () => {
    const loads = ['a', 'b', 'c', 'd'].flatMap((viewer) => [1, 2, 3].map((sequence) => ({ viewer, sequence, httpBytes: viewer === 'a' ? 10 : 0, p2pBytes: viewer === 'a' ? 0 : 10 })));
    expect(analyse([], loads, 4).offloadLimit).toBeCloseTo(0.75);
  });

  it('bounds the limit by what the uplinks could carry, and measures upload sent per byte kept', () => {
    // 4 viewers need 3 segments of 10 bytes: 30 bytes must move between peers; their budgets allowed 12.
    const loads = ['a', 'b', 'c', 'd'].flatMap((viewer) => [1, 2, 3].map((sequence) => ({ viewer, sequence, httpBytes: 10, p2pBytes: 0 })));
    const reports = ['a', 'b', 'c', 'd'].map((id) => report({ id: `${id}.0`, uploadCapacityBytes: 3, uploadBytes: 6, p2pBytes: 5, p2pDiscardedBytes: 0.75 }));
    const figures = analyse(reports, loads, 4);
    expect(figures.offloadLimit).toBeCloseTo(0.75);
    expect(figures.capacityLimit).toBeCloseTo(12 / 120);
    expect(figures.uploadSentPerKept).toBeCloseTo(24 / 20);
    // Of the 4 bytes sent and not kept, 3 were thrown away by their receivers and 1 never arrived.
    expect(figures.uploadDiscardedPerKept).toBeCloseTo(3 / 20);
    expect(figures.uploadUnreceivedPerKept).toBeCloseTo(1 / 20);
    // Ample uplinks leave the plain limit.
    expect(analyse(reports.map((r) => ({ ...r, uploadCapacityBytes: 100 })), loads, 4).capacityLimit).toBeCloseTo(0.75);
  });

  it('gives figures per uplink class, counting a churned session once', () => {
    const reports = [
      report({ id: 'v1.0', uplinkClass: 'dsl', httpBytes: 100, p2pBytes: 300, stalls: 1, uploadBytes: 10 }),
      report({ id: 'v1.1', uplinkClass: 'dsl', httpBytes: 100, p2pBytes: 100, stalls: 1, uploadBytes: 10 }),
      report({ id: 'v2.0', uplinkClass: 'fiber', httpBytes: 0, p2pBytes: 100, uploadBytes: 900 }),
    ];
    expect(analyse(reports, [], 2).classes).toEqual([
      { name: 'dsl', viewers: 1, offloadRatio: 400 / 600, stallsPerViewer: 2, uploadBytesPerViewer: 20 },
      { name: 'fiber', viewers: 1, offloadRatio: 1, stallsPerViewer: 0, uploadBytesPerViewer: 900 },
    ]);
  });
});
