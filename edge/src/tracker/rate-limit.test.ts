import { describe, expect, it } from 'vitest';
import { initialRate, RATE_VERDICTS, takeToken } from './rate-limit.js';

describe('takeToken', () => {
  it('allows a burst, then rejects, then calls sustained sending abuse', () => {
    const state = initialRate(5, 0);
    const verdicts = Array.from({ length: 12 }, () => takeToken(state, 10, 5, 0));
    expect(verdicts.slice(0, 5).every((v) => v === RATE_VERDICTS.allow)).toBe(true);
    expect(verdicts.slice(5, 10).every((v) => v === RATE_VERDICTS.reject)).toBe(true);
    expect(verdicts[10]).toBe(RATE_VERDICTS.abuse);
  });

  it('refills at the average rate, never above the burst', () => {
    const state = initialRate(5, 0);
    for (let i = 0; i < 5; i++) takeToken(state, 10, 5, 0);
    expect(takeToken(state, 10, 5, 0)).toBe(RATE_VERDICTS.reject);
    // 10 per second: after 250 ms, 2.5 tokens came back, minus the one just taken in debt.
    expect(takeToken(state, 10, 5, 250)).toBe(RATE_VERDICTS.allow);
    expect(takeToken(state, 10, 5, 10_000_000)).toBe(RATE_VERDICTS.allow);
    expect(state.tokens).toBe(4);
  });

  it('lets a client that keeps to the rate through forever', () => {
    const state = initialRate(3, 0);
    for (let t = 0; t < 100_000; t += 100) expect(takeToken(state, 10, 3, t)).toBe(RATE_VERDICTS.allow);
  });
});
