import { describe, expect, it } from 'vitest';
import { contradictedSources, SegmentBuffer } from './segment-buffer.js';
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

  it('records who sent which bytes, and pins a failed copy on the senders whose bytes differ from the origin’s', () => {
    const buffer = new SegmentBuffer(1, 100);
    buffer.declareTotal(8);
    buffer.append(0, new Uint8Array([1, 2]), 'p2p', { id: 'a', claimed: 'complete' });
    buffer.append(2, new Uint8Array([3]), 'p2p', { id: 'a', claimed: 'complete' });
    buffer.append(3, new Uint8Array([9, 9]), 'p2p', { id: 'b', claimed: 'loading' });
    buffer.append(5, new Uint8Array([6, 7]), 'http');
    buffer.append(7, new Uint8Array([8]), 'p2p', { id: 'c', claimed: 'complete' });
    expect(buffer.spans()).toEqual([
      { from: 0, to: 3, source: 'a' },
      { from: 3, to: 5, source: 'b' },
      { from: 5, to: 7, source: 'http' },
      { from: 7, to: 8, source: 'c' },
    ]);
    const truth = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(contradictedSources(buffer.bytes(), buffer.spans(), truth)).toEqual(['b']);
    // The same peer twice, false the second time; and bytes past the origin's end are false too.
    const spans = [
      { from: 0, to: 2, source: 'a' },
      { from: 2, to: 4, source: 'b' },
      { from: 4, to: 6, source: 'a' },
    ];
    expect(contradictedSources(new Uint8Array([1, 2, 3, 4, 0, 6]), spans, truth)).toEqual(['a']);
    expect(contradictedSources(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), [{ from: 0, to: 9, source: 'c' }], truth)).toEqual(['c']);
    // What came over HTTP is never accused, even if it differs (the origin's copy is checked before it is used).
    expect(contradictedSources(new Uint8Array([0]), [{ from: 0, to: 1, source: 'http' }], truth)).toEqual([]);
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
    expect(buffer.spans()).toEqual([]);
    expect(buffer.discardedP2p).toBe(2);
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
