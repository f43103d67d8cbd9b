import { describe, expect, it } from 'vitest';
import { initialRate, RATE_VERDICTS, takeToken, takeTokenIfAny } from './rate-limit.js';

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

describe('takeTokenIfAny', () => {
  it('allows a burst, then refuses without going into debt', () => {
    const state = initialRate(5, 0);
    const taken = Array.from({ length: 1000 }, () => takeTokenIfAny(state, 1, 5, 0));
    expect(taken.filter(Boolean)).toHaveLength(5);
    expect(state.tokens).toBe(0);
    // However many were refused, the next token is there after one refill period.
    expect(takeTokenIfAny(state, 1, 5, 999)).toBe(false);
    expect(takeTokenIfAny(state, 1, 5, 1000)).toBe(true);
  });

  it('lets a client that floods and then slows down back to its full rate at once', () => {
    const state = initialRate(3, 0);
    // Ten times the rate for a minute: about the rate gets through.
    let allowed = 0;
    for (let t = 0; t < 60_000; t += 10) if (takeTokenIfAny(state, 10, 3, t)) allowed++;
    expect(allowed).toBeGreaterThanOrEqual(600);
    expect(allowed).toBeLessThanOrEqual(603);
    // Then at the rate, starting one token's time after the flood: every one passes, from the first.
    for (let t = 60_100; t < 70_000; t += 100) expect(takeTokenIfAny(state, 10, 3, t)).toBe(true);
  });
});
