import { describe, expect, it } from 'vitest';
import { earliestSpread, peerOnlyLatency } from './latency-floor.js';

describe('earliestSpread', () => {
  it('is one uplink sending the whole segment, from its first HTTP byte', () => {
    // 200 kB at 150 kB/s: 1333 ms after the first byte.
    expect(earliestSpread([{ at: 1_000, upBytesPerSecond: 150_000 }], 200_000)).toBeCloseTo(2_333.3, 1);
  });

  it('adds the uplinks of later HTTP copies from their first byte on', () => {
    // 0.5 s alone: 75 kB; then 300 kB/s for the other 125 kB: 417 ms more.
    expect(earliestSpread([{ at: 500, upBytesPerSecond: 150_000 }, { at: 0, upBytesPerSecond: 150_000 }], 200_000)).toBeCloseTo(916.7, 1);
    // A copy that comes after the first could send it all changes nothing.
    expect(earliestSpread([{ at: 0, upBytesPerSecond: 150_000 }, { at: 5_000, upBytesPerSecond: 150_000 }], 200_000)).toBeCloseTo(1_333.3, 1);
  });

  it('is never for a segment nobody got over HTTP', () => {
    expect(earliestSpread([], 1)).toBe(Infinity);
    expect(earliestSpread([{ at: 0, upBytesPerSecond: 0 }], 1)).toBe(Infinity);
  });
});

describe('peerOnlyLatency', () => {
  it('gives the measured p50 beside the least each fetch could have taken', () => {
    const copies = { a: [{ at: 0, upBytesPerSecond: 100_000 }], b: [{ at: 10_000, upBytesPerSecond: 100_000 }] };
    const result = peerOnlyLatency(
      [
        { url: 'a', requestedAt: 0, ms: 2_500 }, // floor 2000
        { url: 'a', requestedAt: 1_500, ms: 1_000 }, // floor 500
        { url: 'a', requestedAt: 3_000, ms: 900 }, // floor 0: the bytes were out already
        { url: 'b', requestedAt: 10_500, ms: 2_000 }, // floor 1500
      ],
      (url) => copies[url as 'a' | 'b'],
      () => 200_000,
    );
    expect(result).toEqual({ count: 4, p50Ms: 1_000, floorP50Ms: 500, belowFloor: 0 });
    // A fetch faster than its floor shows the bound is wrong: it is counted.
    expect(peerOnlyLatency([{ url: 'a', requestedAt: 0, ms: 1_000 }], () => copies.a, () => 200_000).belowFloor).toBe(1);
  });
});
