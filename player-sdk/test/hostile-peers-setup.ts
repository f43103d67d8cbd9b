import { expect } from 'vitest';
import { ShoalEngine } from '../src/core/engine.js';
import type { EngineOptions } from '../src/core/options.js';
import type { HostileBehaviour, HostilePeer } from './hostile-peer.js';
import type { SegmentServer } from './segment-server.js';
import { openArena, type Arena } from './wire-arena.js';

/**
 * What the hostile-peer tests share: an arena of one honest engine and one attacker, the deadline each
 * segment must meet, and what the attacker was asked and let in on.
 */

export const SEGMENT_BYTES = 300_000;
export const DEADLINE_MS = 5_000;

/** What a test opened, undone after it in reverse order by `runCleanup` (each test file's `afterEach`). */
export const cleanup: (() => void | Promise<void>)[] = [];

export async function runCleanup(): Promise<void> {
  for (const step of cleanup.reverse()) await step();
  cleanup.length = 0;
}

/** An origin of `count` segments, one honest engine and one attacker in the same swarm, connected. */
export function arena(behaviourFor: (server: SegmentServer) => HostileBehaviour, count = 6, options: Partial<EngineOptions> = {}): Promise<Arena> {
  return openArena(cleanup, behaviourFor, { count, segmentBytes: SEGMENT_BYTES, options });
}

/** Channels the honest engine took the attacker in on (it greets a peer it accepts with hello). */
export function accepted(attacker: HostilePeer): number {
  return attacker.channels.filter((channel) => (channel.received.get('hello') ?? 0) > 0).length;
}

/** Requests the attacker received on the channels it was accepted on. */
export function requestsTo(attacker: HostilePeer): number {
  return attacker.channels.reduce((sum, channel) => sum + (channel.received.get('request') ?? 0), 0);
}

/** Loads segment `sn` with the player needing it DEADLINE_MS from now; returns how long it took. */
export async function loadInTime(a: Arena, sn: number): Promise<number> {
  const started = a.honest.options.clock.now();
  const result = await a.honest.loadSegment(a.playlist, a.server.segment(sn), started + DEADLINE_MS);
  const elapsed = a.honest.options.clock.now() - started;
  expect(Buffer.from(result.bytes).equals(a.server.bytes.get(`/seg${sn}.ts`)!)).toBe(true);
  expect(elapsed).toBeLessThan(DEADLINE_MS);
  return elapsed;
}

/** The same segment over HTTP alone, for the baseline. */
export async function httpOnlyMs(a: Arena, sn: number): Promise<number> {
  const plain = new ShoalEngine({});
  try {
    const started = plain.options.clock.now();
    await plain.loadSegment(a.playlist, a.server.segment(sn), started + DEADLINE_MS);
    return plain.options.clock.now() - started;
  } finally {
    plain.destroy();
  }
}
