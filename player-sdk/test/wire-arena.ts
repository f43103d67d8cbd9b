import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { infoHashOf, ShoalEngine, swarmKeyOf } from '../src/core/engine.js';
import type { EngineOptions } from '../src/core/options.js';
import { HostilePeer, type HostileBehaviour } from './hostile-peer.js';
import { MemorySignalingHub } from './memory-signaling.js';
import { SegmentServer } from './segment-server.js';

/**
 * Engines over real data channels, found through an in-memory hub instead of a tracker; and an arena: a
 * real engine and one peer of the tests' own writing (hostile-peer.ts, speaking the wire protocol frame by
 * frame) in one swarm over real data channels, with an origin of `count` segments: the bench for tests
 * that check what goes over the wire.
 */

export type Cleanup = (() => void | Promise<void>)[];

/** Polls `condition` every 25 ms; throws naming `what` after `timeoutMs`. */
export async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An engine that finds its peers through `hub` and connects over node-datachannel, host candidates only. */
export function hubEngine(hub: MemorySignalingHub, options: Partial<EngineOptions> = {}): ShoalEngine {
  return new ShoalEngine({
    RTCPeerConnection: RTCPeerConnection as unknown as EngineOptions['RTCPeerConnection'],
    signaling: hub.signaling(),
    iceServers: [],
    announceIntervalSeconds: 1,
    ...options,
  });
}

/** Peers that told this engine they hold `sequence` (reads the swarm's view, as the scheduler does). */
export function holders(player: ShoalEngine, sequence: number): number {
  return (player as unknown as { ready: { swarm: { candidates(s: number): unknown[] } }[] }).ready[0]!.swarm.candidates(sequence).length;
}

export interface Arena {
  server: SegmentServer;
  /** The engine under test. */
  honest: ShoalEngine;
  /** The peer of the test's own writing. */
  attacker: HostilePeer;
  playlist: string;
  /** Reasons of the engine's peer disconnections, in order. */
  disconnects: string[];
  /** Reasons the engine gave for the peers it banned, in order. */
  bans: string[];
  hub: MemorySignalingHub;
}

export interface ArenaSettings {
  /** Segments in the playlist. @default 6 */
  readonly count?: number;
  /** Size of each segment (segment i is `segmentBytes + i`). @default 300000 */
  readonly segmentBytes?: number;
  readonly options?: Partial<EngineOptions>;
}

/** Opens an arena and waits until the peer's channel to the engine is open; `cleanup` gets what to close. */
export async function openArena(cleanup: Cleanup, behaviourFor: (server: SegmentServer) => HostileBehaviour, settings: ArenaSettings = {}): Promise<Arena> {
  const count = settings.count ?? 6;
  const server = new SegmentServer(count, settings.segmentBytes ?? 300_000);
  await server.start();
  cleanup.push(() => server.stop());
  const playlist = `${server.url}/live/index.m3u8`;
  const hub = new MemorySignalingHub();
  const infoHash = await infoHashOf(swarmKeyOf(playlist, undefined));
  const attacker = new HostilePeer(hub.signaling(), infoHash.binary, infoHash.hex, '-XX0001-hostile00001', behaviourFor(server));
  cleanup.push(() => attacker.destroy());
  const honest = hubEngine(hub, settings.options);
  cleanup.push(() => honest.destroy());
  const disconnects: string[] = [];
  honest.on('peer-disconnected', ({ reason }) => disconnects.push(reason));
  const bans: string[] = [];
  honest.on('peer-banned', ({ reason }) => bans.push(reason));
  await honest.updatePlaylist(playlist, Array.from({ length: count }, (_, i) => server.segment(i)), true);
  await until('the attacker to connect', () => attacker.opened > 0);
  return { server, honest, attacker, playlist, disconnects, bans, hub };
}
