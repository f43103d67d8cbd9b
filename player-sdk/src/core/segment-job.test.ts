import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock, type Clock } from '../util/clock.js';
import { ShoalError } from './errors.js';
import type { FetchLike } from './http-loader.js';
import { sha256 } from './integrity.js';
import { RelayJudge } from './relay-judge.js';
import type { PeerCandidate } from './scheduler.js';
import { SegmentBuffer } from './segment-buffer.js';
import { SegmentJob, type JobHost, type JobPeer } from './segment-job.js';
import type { SegmentRef } from './segment.js';

/**
 * The per-segment job over fake peers, a fake origin and a clock whose timers never fire on their own: no
 * sockets, no waiting. Each fake peer sends what the test says when asked.
 */

/** Timers are kept, not run: a job that waits stays waiting until woken. */
function stillClock(): Clock & { readonly pending: number } {
  const timers = new Set<number>();
  let next = 1;
  const set = (): number => {
    timers.add(next);
    return next++;
  };
  const clear = (handle: unknown): void => void timers.delete(handle as number);
  return { now: () => 1_000, setTimeout: set, setInterval: set, clearTimeout: clear, clearInterval: clear, get pending() { return timers.size; } };
}

/** A peer that holds the segment (as `state`) and answers each request with `send`. */
function fakePeer(id: string, state: 'complete' | 'loading', send: (buffer: SegmentBuffer) => Promise<void>): JobPeer & { readonly id: string; requests: number } {
  return {
    id,
    ready: true,
    failures: 0,
    fruitlessRequests: 0,
    requests: 0,
    has: () => state,
    lastProgress: () => undefined,
    cancel: () => undefined,
    download(_segment, buffer) {
      this.requests++;
      return send(buffer);
    },
  };
}

/** Bytes sent as `id` would send them over the peer protocol, declaring the total first. */
function sendAs(id: string, claimed: 'complete' | 'loading', bytes: Uint8Array) {
  return async (buffer: SegmentBuffer): Promise<void> => {
    buffer.declareTotal(bytes.length);
    buffer.append(buffer.received, bytes.subarray(buffer.received), 'p2p', { id, claimed });
  };
}

interface Harness {
  readonly host: JobHost;
  readonly clock: Clock & { readonly pending?: number };
  readonly announced: string[];
  readonly banned: string[];
  readonly integrityFailures: (readonly string[])[];
  readonly fetched: string[];
}

function harness(peers: ReturnType<typeof fakePeer>[], origin: Uint8Array, options: { elected?: boolean; httpTurnMs?: number; clock?: Clock } = {}): Harness {
  const clock = options.clock ?? stillClock();
  const h = { announced: [] as string[], banned: [] as string[], integrityFailures: [] as (readonly string[])[], fetched: [] as string[] };
  const fetch: FetchLike = async (url, init) => {
    h.fetched.push(`${url} ${init?.headers?.Range ?? ''}`.trim());
    return new Response(origin.slice(), { status: 200, headers: { 'content-length': String(origin.length) } });
  };
  const ban = (peerId: string, reason: string): void => void h.banned.push(`${peerId}: ${reason}`);
  const host: JobHost = {
    clock,
    fetch,
    settings: { urgentWindowMs: 1_000, peerStallMs: 500, initialHttpThroughput: 1_000_000 },
    relays: new RelayJudge({ clock, retracted: () => false, ban }),
    candidates: (_sequence, excluded): PeerCandidate[] =>
      peers.filter((p) => !excluded.has(p.id)).map((p) => ({ peerId: p.id, state: p.has(0) as 'complete' | 'loading', throughput: undefined, activeDownloads: 0, failures: p.failures })),
    peer: (peerId) => peers.find((p) => p.id === peerId),
    httpTurnMs: () => options.httpTurnMs ?? (options.elected ?? true ? 0 : Infinity),
    awaitingPeers: () => false,
    announce: (sequence, state) => void h.announced.push(`${sequence} ${state}`),
    keep: () => undefined,
    loaded: () => undefined,
    integrityFailure: (_sequence, peers) => void h.integrityFailures.push(peers),
    httpThroughput: () => undefined,
    onHttpTransfer: () => undefined,
    onPeerBytesDiscarded: () => undefined,
    ban,
  };
  return { host, clock, ...h };
}

const bytes = new Uint8Array(64 * 1024).map((_, i) => i % 251);

async function segmentOf(content: Uint8Array): Promise<SegmentRef> {
  return { sequence: 0, url: 'https://origin.test/seg0.ts', duration: 2, digest: await sha256(content) };
}

describe('SegmentJob', () => {
  it('takes a segment from the peer that holds it, verifies it, and tells the swarm', async () => {
    const peer = fakePeer('a', 'complete', sendAs('a', 'complete', bytes));
    const h = harness([peer], bytes);
    const job = new SegmentJob(await segmentOf(bytes), new SegmentBuffer(0, 1 << 20), 60_000, false, h.host);
    const loaded = await job.run();
    expect(loaded.bytesFrom).toEqual({ http: 0, p2p: bytes.length });
    expect(loaded.verified).toBe(true);
    expect(Buffer.from(loaded.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(h.announced).toEqual(['0 loading', '0 complete']);
    expect(h.fetched).toEqual([]);
    // The watchdog of the transfer was cleared.
    expect(h.clock.pending).toBe(0);
  });

  it('bans a peer that vouched for false bytes, and loads the segment over HTTP instead', async () => {
    const lie = bytes.map((b) => b ^ 1);
    const peer = fakePeer('liar', 'complete', sendAs('liar', 'complete', lie));
    const h = harness([peer], bytes);
    const job = new SegmentJob(await segmentOf(bytes), new SegmentBuffer(0, 1 << 20), 60_000, false, h.host);
    const loaded = await job.run();
    expect(loaded.bytesFrom).toEqual({ http: bytes.length, p2p: 0 });
    expect(h.integrityFailures).toEqual([['liar']]);
    expect(h.banned).toEqual(['liar: bad bytes']);
    expect(peer.requests).toBe(1);
    expect(h.announced).toEqual(['0 loading', '0 dropped', '0 loading', '0 complete']);
  });

  it('asks a busy peer again, but not one that answered it has no copy', async () => {
    let busyAnswers = 0;
    const peers: ReturnType<typeof fakePeer>[] = [];
    const busy = fakePeer('busy', 'complete', () => {
      // After its second 'busy' the peer leaves the candidates: HTTP is the only way left.
      if (++busyAnswers === 2) peers.length = 0;
      return Promise.reject(new ShoalError('SHOAL_ERR_PEER_BUSY'));
    });
    const absent = fakePeer('absent', 'complete', () => Promise.reject(new ShoalError('SHOAL_ERR_PEER_GONE')));
    // A past failure ranks the busy peer second: the other is asked first.
    busy.failures = 1;
    peers.push(busy, absent);
    const h = harness(peers, bytes);
    const job = new SegmentJob(await segmentOf(bytes), new SegmentBuffer(0, 1 << 20), 60_000, false, h.host);
    const loaded = await job.run();
    expect(absent.requests).toBe(1);
    expect(busy.requests).toBe(2);
    expect(loaded.bytesFrom.http).toBe(bytes.length);
    expect(h.banned).toEqual([]);
  });

  it('waits for a peer while not elected for HTTP, and fails when stopped', async () => {
    const h = harness([], bytes, { elected: false });
    const job = new SegmentJob(await segmentOf(bytes), new SegmentBuffer(0, 1 << 20), undefined, false, h.host);
    const running = job.run();
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.fetched).toEqual([]);
    job.stop();
    await expect(running).rejects.toMatchObject({ code: 'SHOAL_ERR_DESTROYED' });
    expect(h.clock.pending).toBe(0);
  });

  describe('when its turn for HTTP comes', () => {
    afterEach(() => vi.useRealTimers());

    it('fetches a segment nobody has brought into the swarm over HTTP itself', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
      const h = harness([], bytes, { httpTurnMs: 300, clock: systemClock });
      const running = new SegmentJob(await segmentOf(bytes), new SegmentBuffer(0, 1 << 20), undefined, false, h.host).run();
      await vi.advanceTimersByTimeAsync(299);
      expect(h.fetched).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      const loaded = await running;
      expect(h.fetched).toEqual(['https://origin.test/seg0.ts']);
      expect(loaded.bytesFrom).toEqual({ http: bytes.length, p2p: 0 });
    });

    it('takes it from a peer that started loading it before then', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
      const peers: ReturnType<typeof fakePeer>[] = [];
      const h = harness(peers, bytes, { httpTurnMs: 300, clock: systemClock });
      const job = new SegmentJob(await segmentOf(bytes), new SegmentBuffer(0, 1 << 20), undefined, false, h.host);
      const running = job.run();
      await vi.advanceTimersByTimeAsync(200);
      peers.push(fakePeer('a', 'loading', sendAs('a', 'loading', bytes)));
      job.wake();
      const loaded = await running;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(loaded.bytesFrom).toEqual({ http: 0, p2p: bytes.length });
      expect(h.fetched).toEqual([]);
    });
  });
});
