import { describe, expect, it } from 'vitest';
import { UploadBudget } from './upload-budget.js';

describe('UploadBudget', () => {
  const settings = { uploadRateLimit: Infinity, uploadBitrateMultiple: 4, peerUploadShare: 0.5 };

  it('stays below what the uplink was measured to carry, and rises again with the measurement', () => {
    const budget = new UploadBudget(settings, () => 0);
    budget.observeSegment(250_000, 2); // 125 kB/s stream: 500 kB/s budget
    expect(budget.rate).toBe(500_000);
    budget.observeUplink(125_000); // a 1 Mbit/s uplink
    expect(budget.rate).toBe(112_500);
    // Sends go below the measurement, a quarter above it while probing; one peer may take it all, up to its
    // share of the whole budget.
    expect(budget.pacingRate).toBe(112_500);
    expect(budget.peerRate).toBe(112_500);
    budget.probe(true);
    expect(budget.pacingRate).toBe(156_250);
    expect(budget.peerRate).toBe(156_250);
    budget.probe(false);
    budget.observeUplink(300_000);
    expect(budget.peerRate).toBe(250_000);
    budget.observeUplink(10_000_000);
    expect(budget.rate).toBe(500_000);
    budget.observeUplink(Number.NaN);
    expect(budget.rate).toBe(500_000);
  });

  it('paces what one peer draws at the lowered rate', () => {
    let now = 0;
    const budget = new UploadBudget(settings, () => now);
    budget.observeSegment(250_000, 2);
    budget.observeUplink(100_000);
    budget.probe(true);
    // The buckets burst 256 kB, then refill at 125 kB/s (probing: the measured 100 kB/s and a quarter).
    expect(budget.waitMs({}, 0)).toBe(0);
    const peer = {};
    expect(budget.waitMs(peer, 256 * 1024)).toBe(0);
    const wait = budget.waitMs(peer, 125_000);
    expect(wait).toBeGreaterThan(900);
    expect(wait).toBeLessThanOrEqual(1000);
    now += 1000;
    expect(budget.waitMs(peer, 125_000)).toBe(0);
  });

  it('counts the times it held bytes back, for the uplink meter to leave those windows out', () => {
    const budget = new UploadBudget(settings, () => 0);
    budget.observeSegment(250_000, 2);
    budget.observeUplink(100_000);
    const peer = {};
    expect(budget.waitMs(peer, 256 * 1024)).toBe(0);
    expect(budget.held).toBe(0);
    expect(budget.waitMs(peer, 50_000)).toBeGreaterThan(0);
    expect(budget.waitMs(peer, 50_000)).toBeGreaterThan(0);
    expect(budget.held).toBe(2);
  });
});
