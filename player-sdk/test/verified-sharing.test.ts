import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEdge, startEdgeServer } from '@shoal/edge';
import { fetchMediaPlaylist } from '../../loadtest/swarm/media-playlist.js';
import { ShoalEngine } from '../src/core/engine.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../src/core/options.js';
import type { SegmentRef } from '../src/core/segment.js';
import { MemorySignalingHub } from './memory-signaling.js';
import { SegmentServer } from './segment-server.js';
import { holders, hubEngine, until } from './wire-arena.js';

/**
 * With the default options, a segment whose playlist carries no digest never comes from a peer, even
 * when a connected peer holds it: only verifiable bytes are shared. A segment with a digest next to it
 * still does. Viewers whose CDN URLs differ (tokens, hostnames) still meet. And through a real edge in
 * front of an origin that writes no digests, segments the edge could not fetch (missing, too slow) are
 * the untagged, HTTP-only ones, and playback goes on past them.
 */

let engines: ShoalEngine[] = [];
let server: SegmentServer | undefined;
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const engine of engines) engine.destroy();
  engines = [];
  await server?.stop();
  server = undefined;
  while (cleanups.length > 0) await cleanups.pop()!();
});

function engine(hub: MemorySignalingHub, options: Partial<EngineOptions> = {}): ShoalEngine {
  const created = hubEngine(hub, options);
  engines.push(created);
  return created;
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
    for (const ref of refs) await first.loadSegment(playlist, ref, first.options.clock.now());

    const loaded: { sequence: number; http: number; p2p: number }[] = [];
    second.on('segment-loaded', (info) => loaded.push({ sequence: info.sequence, http: info.httpBytes, p2p: info.p2pBytes }));
    for (const ref of refs) {
      const result = await second.loadSegment(playlist, ref, second.options.clock.now() + 10_000);
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
    await first.loadSegment(firstUrl, refs[1]!, first.options.clock.now());
    // Its copy announced before the second asks (otherwise the second, knowing no holder, takes HTTP).
    await until('the second viewer to hear of the first one’s copy', () => holders(second, 1) === 1);
    const loaded = await second.loadSegment(secondUrl, refs[1]!, second.options.clock.now() + 10_000);
    expect(loaded.bytesFrom.p2p).toBe(server.bytes.get('/seg1.ts')!.length);
    // A swarmId keeps another site's viewers of the same path apart.
    expect(other.peerCount()).toBe(0);
  });
});

describe('segments the edge cannot fetch', () => {
  it('stay untagged and come over HTTP only, and playback goes on past them', async () => {
    // An origin that writes no digests, with one segment missing and one slower than the edge will wait.
    const bodies = Array.from({ length: 6 }, () => randomBytes(120_000));
    const requests = new Map<string, number>();
    let playlist = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n';
    for (let i = 0; i < 6; i++) playlist += `#EXTINF:2.0,\nseg${i}.ts\n`;
    playlist += '#EXT-X-ENDLIST\n';
    const origin = createServer((req, res) => {
      requests.set(req.url!, (requests.get(req.url!) ?? 0) + 1);
      if (req.url === '/vod/film/index.m3u8') return void res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl' }).end(playlist);
      const match = /^\/vod\/film\/seg(\d)\.ts$/.exec(req.url!);
      if (!match || match[1] === '2') return void res.writeHead(404).end();
      const send = (): void => void res.writeHead(200, { 'Content-Type': 'video/mp2t' }).end(bodies[Number(match[1])]);
      if (match[1] === '3') setTimeout(send, 1_500);
      else send();
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      origin.closeAllConnections();
      await new Promise((resolve) => origin.close(resolve));
    });
    const edge = await startEdgeServer(
      await createEdge({ originUrl: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`, digestWaitMs: 300 }, { logger: pino({ level: 'silent' }) }),
      0,
      '127.0.0.1',
    );
    cleanups.push(() => edge.close());
    const viewer = (): ShoalEngine => {
      const created = new ShoalEngine({
        trackerUrl: edge.trackerUrl,
        RTCPeerConnection: RTCPeerConnection as unknown as EngineOptions['RTCPeerConnection'],
        WebSocket: WebSocket as unknown as EngineOptions['WebSocket'],
        iceServers: [],
        announceIntervalSeconds: 1,
      });
      engines.push(created);
      return created;
    };
    const url = `${edge.url}/vod/film/index.m3u8`;
    const fetched = await fetchMediaPlaylist(url);
    // The player's copy: tags for what the edge hashed in time, none for the missing and the slow segment.
    expect(fetched.segments.map((segment) => segment.digest !== undefined)).toEqual([true, true, false, false, true, true]);
    const [first, second] = [viewer(), viewer()];
    for (const player of [first, second]) await player.updatePlaylist(url, fetched.segments, false);
    await until('the two viewers to connect', () => first.peerCount() === 1 && second.peerCount() === 1);

    /** Plays the segments in order as a player would: a segment that fails is skipped, the next one loads. */
    const play = async (player: ShoalEngine): Promise<{ sequence: number; http: number; p2p: number; failed: boolean }[]> => {
      const out: { sequence: number; http: number; p2p: number; failed: boolean }[] = [];
      for (const segment of fetched.segments) {
        try {
          const loaded = await player.loadSegment(url, segment, player.options.clock.now() + 8_000);
          expect(Buffer.from(loaded.bytes).equals(bodies[segment.sequence]!)).toBe(true);
          out.push({ sequence: segment.sequence, ...loaded.bytesFrom, failed: false });
        } catch {
          out.push({ sequence: segment.sequence, http: 0, p2p: 0, failed: true });
        }
      }
      return out;
    };
    const firstPlayed = await play(first);
    const secondPlayed = await play(second);
    expect(firstPlayed.map((s) => s.failed)).toEqual([false, false, true, false, false, false]);
    expect(secondPlayed.map((s) => s.failed)).toEqual([false, false, true, false, false, false]);
    // Tagged segments came from the first viewer; the untagged slow one over HTTP, though the first held it.
    for (const i of [0, 1, 4, 5]) expect(secondPlayed[i]).toMatchObject({ http: 0, p2p: bodies[i]!.length });
    expect(secondPlayed[3]).toMatchObject({ http: bodies[3]!.length, p2p: 0 });
    // The edge's own fetch of the slow segment was the only one the origin saw.
    expect(requests.get('/vod/film/seg3.ts')).toBe(1);
  });
});
