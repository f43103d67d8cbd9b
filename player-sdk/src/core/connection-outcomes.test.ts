import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionOutcomes } from './connection-outcomes.js';

/** Enough of RTCPeerConnection for the watcher: a state, its change event, and stats naming the selected pair. */
class FakePc extends EventTarget {
  connectionState: RTCPeerConnectionState = 'new';
  constructor(private readonly path: string) {
    super();
  }
  set(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.dispatchEvent(new Event('connectionstatechange'));
  }
  getStats(): Promise<Map<string, unknown>> {
    return Promise.resolve(
      new Map<string, unknown>([
        ['L', { id: 'L', type: 'local-candidate', candidateType: this.path }],
        ['R', { id: 'R', type: 'remote-candidate', candidateType: 'srflx' }],
        ['P', { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' }],
        ['T', { id: 'T', type: 'transport', selectedCandidatePairId: 'P' }],
      ]),
    );
  }
}
const asPc = (pc: FakePc) => pc as unknown as RTCPeerConnection;

describe('ConnectionOutcomes', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('counts connected and failed attempts and lists each failed peer once in the next announce', async () => {
    const outcomes = new ConnectionOutcomes({ connectTimeoutMs: 10_000 });
    const [a, b, c] = [new FakePc('srflx'), new FakePc('relay'), new FakePc('host')];
    outcomes.watch('peer-a', asPc(a));
    outcomes.watch('peer-b', asPc(b));
    outcomes.watch('peer-c', asPc(c));
    a.set('connected');
    b.set('failed');
    await vi.advanceTimersByTimeAsync(10_000); // c never connects: failed by the timeout
    expect(outcomes.counts).toEqual({ ok: 1, failed: 2 });
    expect(outcomes.takeExtension()).toEqual({ reach: { ok: 1, failed: 2 }, failedPeers: ['peer-b', 'peer-c'] });
    expect(outcomes.takeExtension()).toEqual({ reach: { ok: 1, failed: 2 } });
    expect(outcomes.pathOf('peer-a')).toBe('srflx');
    expect(outcomes.pathCounts).toMatchObject({ srflx: 1, relay: 0 });
    outcomes.destroy();
  });

  it('records a relayed path, and does not count a connection this side closed before it connected', async () => {
    const outcomes = new ConnectionOutcomes({ connectTimeoutMs: 10_000 });
    const [relayed, closed] = [new FakePc('relay'), new FakePc('host')];
    outcomes.watch('r', asPc(relayed));
    outcomes.watch('x', asPc(closed));
    relayed.set('connected');
    closed.set('closed');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(outcomes.pathOf('r')).toBe('relay');
    expect(outcomes.counts).toEqual({ ok: 1, failed: 0 });
    outcomes.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts an attempt its owner gave up on (connect deadline, ICE failure) as failed, once', async () => {
    const outcomes = new ConnectionOutcomes({ connectTimeoutMs: 10_000 });
    const [given, open] = [new FakePc('host'), new FakePc('host')];
    outcomes.watch('g', asPc(given));
    outcomes.watch('o', asPc(open));
    open.set('connected');
    await vi.advanceTimersByTimeAsync(0);
    outcomes.gaveUp(asPc(given));
    given.set('closed');
    outcomes.gaveUp(asPc(given));
    outcomes.gaveUp(asPc(open));
    expect(outcomes.counts).toEqual({ ok: 1, failed: 1 });
    expect(outcomes.takeExtension()).toEqual({ reach: { ok: 1, failed: 1 }, failedPeers: ['g'] });
    outcomes.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });
});
