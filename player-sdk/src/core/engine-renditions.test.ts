import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ShoalEngine } from './engine.js';
import { retiredCounts } from './engine-api.js';
import type { EngineOptions } from './options.js';
import type { SegmentRef } from './segment.js';
import type { Signaling } from '../signaling/signaling.js';

/**
 * Which rendition swarms the engine stays in as the player (ABR) moves between renditions: the tracker
 * is a stand-in that records joins and leaves, segments come over HTTP (a stub), time is a fake clock.
 */

const LOW = 'https://cdn.example/live/low.m3u8';
const HIGH = 'https://cdn.example/live/high.m3u8';

/** Tracker memberships by info hash: how often each swarm was joined and left. */
class RecordingSignaling implements Signaling {
  readonly joins: string[] = [];
  readonly leaves: string[] = [];
  join(infoHash: string): ReturnType<Signaling['join']> {
    this.joins.push(infoHash);
    return { announce: () => undefined, answer: () => undefined, leave: () => this.leaves.push(infoHash) };
  }
  destroy(): void {}
}

/** A segment without a digest: loaded over HTTP at once (nothing unverified comes from peers). */
function segment(playlist: string, sequence: number): SegmentRef {
  return { sequence, url: playlist.replace('.m3u8', `/${sequence}.ts`), duration: 2 };
}

/** An HTTP stub whose responses for `held` URLs wait until released. */
function httpStub(): { fetch: NonNullable<EngineOptions['fetch']>; hold(url: string): void; release(): void } {
  const held = new Set<string>();
  const waiting: (() => void)[] = [];
  return {
    fetch: async (input) => {
      const url = String(input);
      if (held.has(url)) await new Promise<void>((resolve) => waiting.push(resolve));
      return new Response(new Uint8Array(1000), { status: 200, headers: { 'content-length': '1000' } });
    },
    hold: (url) => held.add(url),
    release: () => waiting.splice(0).forEach((resolve) => resolve()),
  };
}

let engine: ShoalEngine | undefined;
let signaling: RecordingSignaling;
let http: ReturnType<typeof httpStub>;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
  signaling = new RecordingSignaling();
  http = httpStub();
  engine = new ShoalEngine({
    signaling,
    // Joining needs WebRTC to exist; no offer is ever made here, so no connection is created.
    RTCPeerConnection: class {} as unknown as EngineOptions['RTCPeerConnection'],
    offersPerAnnounce: 0,
    fetch: http.fetch,
  });
});

afterEach(() => {
  engine?.destroy();
  vi.useRealTimers();
});

/** Plays `playlist` live for `seconds`: a playlist refresh and a segment every 2 s, as hls.js does. */
async function play(playlist: string, seconds: number, firstSequence: number): Promise<void> {
  for (let t = 0; t < seconds; t += 2) {
    const sequence = firstSequence + t / 2;
    await engine!.updatePlaylist(playlist, [segment(playlist, sequence)], true);
    const loaded = engine!.loadSegment(playlist, segment(playlist, sequence), Date.now() + 6_000);
    await vi.advanceTimersByTimeAsync(2_000);
    await loaded;
  }
}

describe('rendition swarms as ABR moves', () => {
  it('leaves a rendition’s swarm once the player has used another for 30 s, and joins it anew on return', async () => {
    await play(LOW, 10, 0);
    expect(signaling.joins).toHaveLength(1);
    const low = signaling.joins[0]!;
    await play(HIGH, 28, 5);
    expect(signaling.joins).toHaveLength(2);
    expect(signaling.leaves).toEqual([]);
    await play(HIGH, 6, 19);
    expect(signaling.leaves).toEqual([low]);
    const high = signaling.joins[1]!;
    // Back down: the low swarm is joined again, the high one left 30 s later.
    await play(LOW, 34, 22);
    expect(signaling.joins).toEqual([low, high, low]);
    expect(signaling.leaves).toEqual([low, high]);
  });

  it('stays in every swarm while the player uses none (paused), so its segments keep serving peers', async () => {
    await play(LOW, 6, 0);
    await play(HIGH, 6, 3);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(signaling.leaves).toEqual([]);
    expect(engine!.getStats().httpBytes).toBe(6_000);
  });

  it('does not leave a rendition while a segment of it is still loading', async () => {
    await play(LOW, 4, 0);
    http.hold(segment(LOW, 2).url);
    const slow = engine!.loadSegment(LOW, segment(LOW, 2), Date.now() + 60_000);
    await play(HIGH, 40, 10);
    expect(signaling.leaves).toEqual([]);
    http.release();
    await slow;
    await play(HIGH, 28, 30);
    expect(signaling.leaves).toEqual([]);
    await play(HIGH, 4, 44);
    expect(signaling.leaves).toHaveLength(1);
  });
});

describe('the counts of swarms left', () => {
  it('keep what was made and failed, with nothing open or in progress', () => {
    const left = (created: number, failed: number, relay: number) => ({
      swarm: { uploadsInProgress: () => 3 },
      connector: { counts: { created, open: 2, failed, connecting: 1 } },
      outcomes: { counts: { ok: created - failed, failed }, pathCounts: { host: 0, srflx: 1, prflx: 0, relay, unknown: 0 } },
    });
    const once = retiredCounts(undefined, left(5, 1, 2));
    const twice = retiredCounts(once, left(4, 2, 1));
    expect(twice.connector!.counts).toEqual({ created: 9, open: 0, failed: 3, connecting: 0 });
    expect(twice.outcomes!.counts).toEqual({ ok: 6, failed: 3 });
    expect(twice.outcomes!.pathCounts).toEqual({ host: 0, srflx: 2, prflx: 0, relay: 3, unknown: 0 });
    expect(twice.swarm.uploadsInProgress()).toBe(0);
  });
});
