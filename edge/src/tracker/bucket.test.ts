import { describe, expect, it } from 'vitest';
import { Bucket } from './bucket.js';

const item = (id: number) => ({ id, slots: [-1, -1] });

describe('Bucket', () => {
  it('adds and removes in any order, keeping every index right', () => {
    const bucket = new Bucket<ReturnType<typeof item>>(1);
    const items = Array.from({ length: 50 }, (_, i) => item(i));
    for (const it of items) bucket.add(it);
    // Remove every third, then the first and last, checking the invariant each time.
    const removed = new Set<number>();
    for (const it of [...items.filter((x) => x.id % 3 === 0), items[1]!, items[49]!]) {
      bucket.remove(it);
      removed.add(it.id);
      expect(bucket.has(it)).toBe(false);
      bucket.values().forEach((x, i) => expect(x.slots[1]).toBe(i));
    }
    expect(bucket.size).toBe(50 - removed.size);
    expect(new Set(bucket.values().map((x) => x.id))).toEqual(new Set(items.filter((x) => !removed.has(x.id)).map((x) => x.id)));
    // Removing twice or removing a stranger changes nothing; the other tier's slot is untouched.
    bucket.remove(items[0]!);
    bucket.remove(item(999));
    expect(bucket.size).toBe(50 - removed.size);
    expect(items.every((x) => x.slots[0] === -1)).toBe(true);
  });

  it('samples k distinct items, or all of them when there are few', () => {
    const bucket = new Bucket<ReturnType<typeof item>>(0);
    for (let i = 0; i < 100; i++) bucket.add(item(i));
    for (let round = 0; round < 50; round++) {
      const seen: number[] = [];
      bucket.sample(10, Math.random, (x) => seen.push(x.id));
      expect(seen).toHaveLength(10);
      expect(new Set(seen).size).toBe(10);
    }
    const all: number[] = [];
    bucket.sample(1000, Math.random, (x) => all.push(x.id));
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('samples every item with roughly equal odds', () => {
    const bucket = new Bucket<ReturnType<typeof item>>(0);
    for (let i = 0; i < 20; i++) bucket.add(item(i));
    const counts = new Array<number>(20).fill(0);
    for (let round = 0; round < 4000; round++) bucket.sample(5, Math.random, (x) => counts[x.id]!++);
    // Expected 1000 each; a biased sampler (e.g. always the head) would leave some near 0.
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});
