import { describe, expect, it } from 'vitest';
import { SegmentBuffer } from './segment-buffer.js';
import { SegmentStore } from './segment-store.js';

describe('SegmentBuffer', () => {
  it('takes only contiguous bytes within the declared total', () => {
    const buffer = new SegmentBuffer(7, 1000, 4);
    expect(buffer.declareTotal(10)).toBe(true);
    expect(buffer.append(0, new Uint8Array([1, 2, 3]), 'p2p', { id: 'a', claimed: 'loading' })).toBe(true);
    expect(buffer.append(5, new Uint8Array([9]), 'http')).toBe(false); // gap
    expect(buffer.append(2, new Uint8Array([9]), 'http')).toBe(false); // overlap
    expect(buffer.append(3, new Uint8Array(8), 'http')).toBe(false); // past the total
    expect(buffer.append(3, new Uint8Array(7), 'http')).toBe(true);
    expect(buffer.filled).toBe(true);
    expect(buffer.bytesFrom).toEqual({ http: 7, p2p: 3 });
    expect([...buffer.contributors]).toEqual([['a', 'loading']]);
  });

  it('bounds every allocation by the maximum, and refuses contradicting totals', () => {
    const buffer = new SegmentBuffer(1, 100);
    expect(buffer.declareTotal(101)).toBe(false);
    expect(buffer.declareTotal(-1)).toBe(false);
    expect(buffer.append(0, new Uint8Array(101), 'p2p', { id: 'x', claimed: 'complete' })).toBe(false);
    expect(buffer.declareTotal(50)).toBe(true);
    expect(buffer.declareTotal(60)).toBe(false);
    expect(buffer.declareTotal(50)).toBe(true);
  });

  it('remembers bytes dropped to switch sources, and says whether the verified copy disagrees with them', () => {
    const fill = (buffer: SegmentBuffer, bytes: number[], from: string): void => {
      buffer.append(buffer.received, Uint8Array.from(bytes), 'p2p', { id: from, claimed: 'loading' });
    };
    const agreeing = new SegmentBuffer(1, 100);
    fill(agreeing, [1, 2], 'slow');
    agreeing.reset(false);
    expect(agreeing.discardedSuspect).toBe(false);
    fill(agreeing, [1, 2, 3, 4], 'other');
    agreeing.markComplete();
    expect(agreeing.droppedBytesDiffer()).toBe(false);

    const differing = new SegmentBuffer(2, 100);
    fill(differing, [1, 9], 'liar');
    differing.reset(false);
    fill(differing, [1, 2, 3, 4], 'other');
    expect(differing.droppedBytesDiffer()).toBe(true);
    // Asked once: the answer is given and forgotten.
    expect(differing.droppedBytesDiffer()).toBe(false);

    // A suspect reset voids what was relayed by itself ('absent' downstream): nothing left to compare.
    const suspect = new SegmentBuffer(3, 100);
    fill(suspect, [7, 7], 'liar');
    suspect.reset(false);
    suspect.reset();
    expect(suspect.discardedSuspect).toBe(true);
    fill(suspect, [1, 2], 'other');
    expect(suspect.droppedBytesDiffer()).toBe(false);

    // Too many switches to keep every prefix: treated as differing.
    const restless = new SegmentBuffer(4, 100);
    for (let i = 0; i < 4; i++) {
      fill(restless, [1], `p${i}`);
      restless.reset(false);
    }
    fill(restless, [1, 2], 'last');
    expect(restless.droppedBytesDiffer()).toBe(true);
  });

  it('resets to empty after a failed check and notifies subscribers', () => {
    const buffer = new SegmentBuffer(1, 100);
    let changes = 0;
    const unsubscribe = buffer.subscribe(() => changes++);
    buffer.declareTotal(2);
    buffer.append(0, new Uint8Array([1, 2]), 'p2p', { id: 'x', claimed: 'complete' });
    buffer.reset();
    expect(buffer.received).toBe(0);
    expect(buffer.total).toBeUndefined();
    expect(buffer.contributors.size).toBe(0);
    expect(changes).toBe(2);
    unsubscribe();
    buffer.markFailed();
    expect(changes).toBe(2);
  });
});

describe('SegmentStore', () => {
  it('evicts the oldest complete segments past its byte budget, never loading ones', () => {
    const evicted: string[] = [];
    const store = new SegmentStore(250, 1000, (swarm, segment) => evicted.push(`${swarm}#${segment}`));
    const fill = (segment: number, size: number) => {
      const buffer = store.open('s', segment);
      buffer.declareTotal(size);
      buffer.append(0, new Uint8Array(size), 'http');
      buffer.markComplete();
      store.completed('s', buffer);
    };
    const loading = store.open('s', 99);
    loading.append(0, new Uint8Array(500), 'http');
    fill(1, 100);
    fill(2, 100);
    expect(evicted).toEqual([]);
    fill(3, 100);
    expect(evicted).toEqual(['s#1']);
    expect(store.get('s', 1)).toBeUndefined();
    expect(store.get('s', 99)).toBe(loading);
    expect(store.bytes).toBe(200);
  });
});
