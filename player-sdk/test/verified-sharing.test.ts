import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { afterEach, describe, expect, it } from 'vitest';
import { ShoalEngine } from '../src/core/engine.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../src/core/options.js';
import type { SegmentRef } from '../src/core/segment.js';
import { MemorySignalingHub } from './memory-signaling.js';
import { SegmentServer } from './segment-server.js';

/**
 * With the default options, a segment whose playlist carries no digest never comes from a peer, even
 * when a connected peer holds it: only verifiable bytes are shared. A segment with a digest next to it
 * still does. And viewers whose CDN URLs differ (tokens, hostnames) still meet.
 */

let engines: ShoalEngine[] = [];
let server: SegmentServer | undefined;

afterEach(async () => {
  for (const engine of engines) engine.destroy();
  engines = [];
  await server?.stop();
  server = undefined;
});

function engine(hub: MemorySignalingHub, options: Partial<EngineOptions> = {}): ShoalEngine {
  const created = new ShoalEngine({
    RTCPeerConnection: RTCPeerConnection as unknown as EngineOptions['RTCPeerConnection'],
    signaling: hub.signaling(),
    iceServers: [],
    announceIntervalSeconds: 1,
    ...options,
  });
  engines.push(created);
  return created;
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const untagged = (ref: SegmentRef): SegmentRef => ({ sequence: ref.sequence, url: ref.url, duration: ref.duration });

describe('segments without a digest', () => {
  it('are verified-only by default: loaded over HTTP although a peer holds them', async () => {
    expect(DEFAULT_ENGINE_OPTIONS.requireIntegrity).toBe(true);
    server = new SegmentServer(3);
    await server.start();
    const hub = new MemorySignalingHub();
    const first = engine(hub);
    const second = engine(hub);
    const playlist = `${server.url}/live/index.m3u8`;
    // Segment 1 is one the edge could not hash: its playlist line has no digest.
    const refs = [server.segment(0), untagged(server.segment(1)), server.segment(2)];
    for (const player of [first, second]) await player.updatePlaylist(playlist, refs, false);
    await until('the two players to connect', () => first.peerCount() === 1 && second.peerCount() === 1);
    for (const ref of refs) await first.loadSegment(playlist, ref, first.options.now());

    const loaded: { sequence: number; http: number; p2p: number }[] = [];
    second.on('segment-loaded', (info) => loaded.push({ sequence: info.sequence, http: info.httpBytes, p2p: info.p2pBytes }));
    for (const ref of refs) {
      const result = await second.loadSegment(playlist, ref, second.options.now() + 10_000);
      expect(Buffer.from(result.bytes).equals(server.bytes.get(`/seg${ref.sequence}.ts`)!)).toBe(true);
      expect(result.verified).toBe(ref.digest !== undefined);
    }
    expect(loaded.find((l) => l.sequence === 1)).toMatchObject({ p2p: 0, http: server.bytes.get('/seg1.ts')!.length });
    expect(loaded.filter((l) => l.sequence !== 1).every((l) => l.http === 0 && l.p2p > 0)).toBe(true);
    expect(server.requests.get('/seg1.ts')).toBe(2);
    expect(server.requests.get('/seg0.ts')).toBe(1);
    expect(server.requests.get('/seg2.ts')).toBe(1);
  });
});

describe('viewers with different CDN URLs for one rendition', () => {
  it('meet in one swarm and share verified segments', async () => {
    server = new SegmentServer(2);
    await server.start();
    const hub = new MemorySignalingHub();
    const port = new URL(server.url).port;
    // Per-viewer token, per-viewer hostname, and a name=value path token; the bytes are the same.
    const first = engine(hub);
    const second = engine(hub);
    const other = engine(hub, { swarmId: 'another-site' });
    const firstUrl = `http://127.0.0.1:${port}/live/news/index.m3u8?token=viewer-1`;
    const secondUrl = `http://localhost:${port}/bcdn_token=Zx81&expires=1700000000/live/news/index.m3u8?token=viewer-2`;
    const refs = [server.segment(0), server.segment(1)];
    await first.updatePlaylist(firstUrl, refs, false);
    await second.updatePlaylist(secondUrl, refs, false);
    await other.updatePlaylist(firstUrl, refs, false);
    await until('the two viewers to connect', () => first.peerCount() === 1 && second.peerCount() === 1);
    await first.loadSegment(firstUrl, refs[1]!, first.options.now());
    const loaded = await second.loadSegment(secondUrl, refs[1]!, second.options.now() + 10_000);
    expect(loaded.bytesFrom.p2p).toBe(server.bytes.get('/seg1.ts')!.length);
    // A swarmId keeps another site's viewers of the same path apart.
    expect(other.peerCount()).toBe(0);
  });
});
