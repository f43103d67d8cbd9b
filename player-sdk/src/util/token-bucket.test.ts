import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the rate, on an injected clock', () => {
    let now = 0;
    const bucket = new TokenBucket(1000, 500, () => now);
    expect(bucket.tryTake(500)).toBe(true);
    expect(bucket.tryTake(1)).toBe(false);
    expect(bucket.waitMs(100)).toBe(100);
    now += 100;
    expect(bucket.tryTake(100)).toBe(true);
    expect(bucket.tryTake(1)).toBe(false);
    now += 10_000;
    // Never more than the burst, however long it was idle.
    expect(bucket.tryTake(501)).toBe(false);
    expect(bucket.tryTake(500)).toBe(true);
  });

  it('never limits an infinite rate', () => {
    const bucket = new TokenBucket(Infinity, 0, () => 0);
    expect(bucket.tryTake(1e12)).toBe(true);
    expect(bucket.waitMs(1e12)).toBe(0);
  });
});
