import { afterEach, describe, expect, it } from 'vitest';
import type { ShoalEngine } from '../src/core/engine.js';
import type { EngineOptions } from '../src/core/options.js';
import { MemorySignalingHub } from './memory-signaling.js';
import { SegmentServer } from './segment-server.js';
import { holders, hubEngine, until } from './wire-arena.js';

/**
 * How long chunks already sent may take to arrive. On loopback that is milliseconds, but a receiver starved
 * of CPU (a loaded 2-core machine) overflows its UDP buffer, and SCTP resends after a timeout of a second
 * and more, doubling: uploaded bytes are then accounted seconds later. The checks wait for them, not a guess.
 */
const LATE_BYTES_MS = 30_000;

/**
 * Real WebRTC data channels (node-datachannel) between engines in one process, with an in-memory
 * tracker: segments move between players, each is fetched over HTTP about once, and corrupted bytes
 * from a peer are caught.
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
  const created = hubEngine(hub, options);
  engines.push(created);
  return created;
}

describe('engines sharing a live swarm over WebRTC', () => {
  it('fetch each new segment over HTTP about once and the rest from each other, verified', async () => {
    server = new SegmentServer(6);
    await server.start();
    const hub = new MemorySignalingHub();
    const players = [engine(hub), engine(hub), engine(hub)];
    const playlist = `${server.url}/live/index.m3u8`;
    for (const player of players) await player.updatePlaylist(playlist, [server.segment(0)], true);
    await until('a full mesh', () => players.every((p) => p.peerCount() === 2));

    for (let i = 1; i < 6; i++) {
      const refs = Array.from({ length: i + 1 }, (_, k) => server!.segment(k));
      for (const player of players) await player.updatePlaylist(playlist, refs, true);
      const loaded = await Promise.all(players.map((p) => p.loadSegment(playlist, server!.segment(i), p.options.clock.now() + 8000)));
      for (const result of loaded) expect(Buffer.from(result.bytes).equals(server.bytes.get(`/seg${i}.ts`)!)).toBe(true);
    }
    const copies = [1, 2, 3, 4, 5].map((i) => server!.requests.get(`/seg${i}.ts`) ?? 0);
    expect(copies.every((n) => n >= 1)).toBe(true);
    expect(copies.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(6);
    const stats = players.map((p) => p.getStats());
    const p2p = stats.reduce((sum, s) => sum + s.p2pBytes, 0);
    const http = stats.reduce((sum, s) => sum + s.httpBytes, 0);
    expect(p2p / (p2p + http)).toBeGreaterThan(0.55);
    // Every byte a player uploaded reached a peer, which kept it or says it threw it away: a player that gives
    // up on a slow peer drops the chunks still in flight. None is lost or counted twice.
    const sum = (key: 'uploadBytes' | 'p2pBytes' | 'p2pDiscardedBytes') => players.reduce((total, p) => total + p.getStats()[key], 0);
    await until('every uploaded byte to be kept or discarded', () => sum('uploadBytes') === sum('p2pBytes') + sum('p2pDiscardedBytes'), LATE_BYTES_MS).catch(() => undefined);
    console.log(`3 players, 5 segments: HTTP copies ${copies.join(' ')}; uploaded ${sum('uploadBytes')} B, kept ${sum('p2pBytes')} B, discarded ${sum('p2pDiscardedBytes')} B`);
    expect(sum('uploadBytes')).toBe(sum('p2pBytes') + sum('p2pDiscardedBytes'));
    expect(sum('p2pBytes')).toBe(p2p);
    expect(stats.every((s) => s.integrityFailures === 0)).toBe(true);
  });

  it('rejects corrupted bytes from a peer, bans it, and fetches the segment over HTTP', async () => {
    server = new SegmentServer(2);
    await server.start();
    const hub = new MemorySignalingHub();
    // The attacker's copies are corrupted in flight to it, so it serves bad bytes with a straight face.
    const corrupting: EngineOptions['fetch'] = async (url, init) => {
      const response = await fetch(url, init);
      const bytes = new Uint8Array(await response.arrayBuffer());
      bytes[100] = bytes[100]! ^ 0xff;
      return new Response(bytes, { status: response.status, headers: response.headers });
    };
    const attacker = engine(hub, { fetch: corrupting });
    const honest = engine(hub);
    const playlist = `${server.url}/live/index.m3u8`;
    await attacker.updatePlaylist(playlist, [server.segment(0)], true);
    await honest.updatePlaylist(playlist, [server.segment(0)], true);
    await until('the two peers to connect', () => honest.peerCount() === 1 && attacker.peerCount() === 1);

    await attacker.loadSegment(playlist, server.segment(1), attacker.options.clock.now());
    await until('the attacker to announce its copy', () => holders(honest, 1) === 1);
    const failures: number[] = [];
    honest.on('integrity-failure', (info) => failures.push(info.sequence));
    const result = await honest.loadSegment(playlist, server.segment(1), honest.options.clock.now() + 10_000);
    expect(Buffer.from(result.bytes).equals(server.bytes.get('/seg1.ts')!)).toBe(true);
    expect(failures).toEqual([1]);
    expect(honest.getStats().integrityFailures).toBe(1);
    // Bytes that failed verification are not counted as P2P.
    expect(honest.getStats().p2pBytes).toBe(0);
    // They are counted as discarded: all the attacker uploaded, and nothing else.
    expect(honest.getStats().p2pDiscardedBytes).toBe(server.bytes.get('/seg1.ts')!.length);
    expect(attacker.getStats().uploadBytes).toBe(server.bytes.get('/seg1.ts')!.length);
    expect(server.requests.get('/seg1.ts')).toBe(2);
    await until('the attacker to be disconnected', () => honest.peerCount() === 0);
  });

  it('finishes over HTTP with a Range request when a slow peer would miss the deadline', async () => {
    server = new SegmentServer(2, 1_000_000);
    await server.start();
    const hub = new MemorySignalingHub();
    const slow = engine(hub, { uploadRateLimit: 100_000 });
    const player = engine(hub);
    const playlist = `${server.url}/live/index.m3u8`;
    await slow.updatePlaylist(playlist, [server.segment(0)], true);
    await player.updatePlaylist(playlist, [server.segment(0)], true);
    await until('the two peers to connect', () => player.peerCount() === 1);
    await slow.loadSegment(playlist, server.segment(1), slow.options.clock.now());
    await until('the slow peer to announce its copy', () => holders(player, 1) === 1);

    const started = player.options.clock.now();
    const result = await player.loadSegment(playlist, server.segment(1), started + 4_000);
    const elapsed = player.options.clock.now() - started;
    expect(Buffer.from(result.bytes).equals(server.bytes.get('/seg1.ts')!)).toBe(true);
    expect(result.bytesFrom.p2p).toBeGreaterThan(0);
    expect(result.bytesFrom.http).toBeGreaterThan(0);
    expect(result.bytesFrom.p2p + result.bytesFrom.http).toBe(1_000_001);
    // The rest came with a Range from exactly the bytes the peer had delivered.
    expect(server.ranges).toEqual([`/seg1.ts bytes=${result.bytesFrom.p2p}-`]);
    expect(elapsed).toBeLessThan(4_000);
    // The chunks the slow peer had already queued arrive after the cancel and are counted as discarded.
    await until('the slow peer to stop sending', () => slow.getStats().uploadBytes === result.bytesFrom.p2p + player.getStats().p2pDiscardedBytes, LATE_BYTES_MS).catch(() => undefined);
    expect(slow.getStats().uploadBytes).toBe(result.bytesFrom.p2p + player.getStats().p2pDiscardedBytes);
    expect(player.getStats().p2pBytes).toBe(result.bytesFrom.p2p);
  });
});
