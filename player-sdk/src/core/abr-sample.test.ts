import { describe, expect, it } from 'vitest';
import { transferMsForEstimate } from './abr-sample.js';

// 250 kB in 2000 ms is 1 Mbit/s.
const SLOW_PEER = { bytes: 250_000, p2pBytes: 250_000, transferMs: 2000, inTime: true };

describe('what a segment load tells the bandwidth estimator', () => {
  it('reports a slow peer transfer that arrived in time at the estimate’s own speed (a neutral sample)', () => {
    expect(transferMsForEstimate(SLOW_PEER, 5_000_000)).toBe(400);
  });

  it('reports HTTP transfers as measured, however slow: they are the downlink', () => {
    expect(transferMsForEstimate({ ...SLOW_PEER, p2pBytes: 0 }, 5_000_000)).toBe(2000);
    // Mostly HTTP (a peer sent the first 40 %, HTTP the rest).
    expect(transferMsForEstimate({ ...SLOW_PEER, p2pBytes: 100_000 }, 5_000_000)).toBe(2000);
  });

  it('reports a late peer transfer as measured: a stall is what ABR must react to', () => {
    expect(transferMsForEstimate({ ...SLOW_PEER, inTime: false }, 5_000_000)).toBe(2000);
  });

  it('keeps a peer transfer faster than the estimate as measured, and everything before the first estimate', () => {
    expect(transferMsForEstimate(SLOW_PEER, 500_000)).toBe(2000);
    expect(transferMsForEstimate({ ...SLOW_PEER, transferMs: 100 }, 5_000_000)).toBe(100);
    expect(transferMsForEstimate(SLOW_PEER, undefined)).toBe(2000);
    expect(transferMsForEstimate({ ...SLOW_PEER, bytes: 0, p2pBytes: 0 }, 5_000_000)).toBe(2000);
  });
});
