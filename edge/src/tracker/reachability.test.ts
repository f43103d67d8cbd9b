import { describe, expect, it } from 'vitest';
import { MAX_FAILED_PARTNERS, pairFailed, pairPenalty, REACH_CLASS, reachClass, updateReachability, type Reachability } from './reachability.js';

const reach = (ok: number, failed: number, failedWith: string[] = []): Reachability => ({ ok, failed, failedWith: new Set(failedWith) });

describe('NAT-aware matching decisions', () => {
  it('classes peers by their outcomes: any success is reachable, repeated failures alone are hard', () => {
    expect(reachClass(undefined)).toBe(REACH_CLASS.unknown);
    expect(reachClass(reach(0, 1))).toBe(REACH_CLASS.unknown);
    expect(reachClass(reach(0, 2))).toBe(REACH_CLASS.hard);
    expect(reachClass(reach(1, 9))).toBe(REACH_CLASS.reachable);
  });

  it('knows a pair failed when either side said so', () => {
    expect(pairFailed('a', reach(0, 1, ['b']), 'b', undefined)).toBe(true);
    expect(pairFailed('a', undefined, 'b', reach(0, 1, ['a']))).toBe(true);
    expect(pairFailed('a', reach(0, 1, ['c']), 'b', reach(1, 0))).toBe(false);
    expect(pairFailed('a', undefined, 'b', undefined)).toBe(false);
  });

  it('puts two hard peers last and a hard peer with an unknown one after reachable pairs', () => {
    const hard = reach(0, 3);
    expect(pairPenalty(hard, hard)).toBe(2);
    expect(pairPenalty(hard, undefined)).toBe(1);
    expect(pairPenalty(undefined, hard)).toBe(1);
    expect(pairPenalty(hard, reach(2, 0))).toBe(0);
    expect(pairPenalty(undefined, undefined)).toBe(0);
  });

  it('takes the latest counters and remembers a bounded set of failed partners', () => {
    expect(updateReachability(undefined, undefined, undefined)).toBeUndefined();
    const first = updateReachability(undefined, { ok: 0, failed: 1 }, ['x'])!;
    expect(first).toEqual({ ok: 0, failed: 1, failedWith: new Set(['x']) });
    const second = updateReachability(first, { ok: 1, failed: 2 }, ['y'])!;
    expect(second.ok).toBe(1);
    expect([...second.failedWith]).toEqual(['x', 'y']);
    expect(updateReachability(second, undefined, [])).toBe(second);
    let many = second;
    for (let i = 0; i < MAX_FAILED_PARTNERS + 5; i++) many = updateReachability(many, undefined, [`p${i}`])!;
    expect(many.failedWith.size).toBe(MAX_FAILED_PARTNERS);
    expect(many.failedWith.has('x')).toBe(false);
    expect(many.failedWith.has(`p${MAX_FAILED_PARTNERS + 4}`)).toBe(true);
  });
});
