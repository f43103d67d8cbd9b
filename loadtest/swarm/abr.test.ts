import { describe, expect, it } from 'vitest';
import { ABR_DEFAULTS, BandwidthEstimator, chooseRendition } from './abr.js';

const LADDER = [364_000, 764_000, 1_264_000];

describe('hls.js-style bandwidth estimate', () => {
  it('starts at 500 kbit/s and converges on a steady throughput', () => {
    const estimator = new BandwidthEstimator();
    expect(estimator.estimate).toBe(ABR_DEFAULTS.defaultEstimate);
    // 250 kB in 500 ms: 4 Mbit/s, ten times over.
    for (let i = 0; i < 10; i++) estimator.sample(500, 250_000);
    expect(estimator.estimate).toBeCloseTo(4_000_000, -3);
  });

  it('follows a drop faster than a rise: the lower of the fast and slow averages', () => {
    const estimator = new BandwidthEstimator();
    for (let i = 0; i < 10; i++) estimator.sample(500, 250_000);
    // One 2 s transfer at 1 Mbit/s pulls the fast average (3 s half-life) most of the way down.
    estimator.sample(2000, 250_000);
    expect(estimator.estimate).toBeLessThan(3_000_000);
    expect(estimator.estimate).toBeGreaterThan(1_000_000);
  });
});

describe('rendition choice', () => {
  it('goes up only with room to spare (× 0.7) and stays while the estimate × 0.95 covers the bitrate', () => {
    expect(chooseRendition(LADDER, 0, 1_000_000)).toBe(0); // 764k > 700k: not up yet
    expect(chooseRendition(LADDER, 0, 1_100_000)).toBe(1); // 764k ≤ 770k
    expect(chooseRendition(LADDER, 1, 1_000_000)).toBe(1); // 764k ≤ 950k: stays
    expect(chooseRendition(LADDER, 2, 1_000_000)).toBe(1); // 1264k > 950k: down one
    expect(chooseRendition(LADDER, 2, 2_000_000)).toBe(2);
    expect(chooseRendition(LADDER, 1, 100_000)).toBe(0); // nothing fits: the lowest
  });
});
