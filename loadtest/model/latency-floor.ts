import { percentile } from '../swarm/analysis.js';

/** A player that got a segment over HTTP: when its first byte arrived and how fast it can upload. */
export interface HttpCopy {
  readonly at: number;
  readonly upBytesPerSecond: number;
}

/** A segment a player got from peers alone: when the player asked for it and how long it took (ms). */
export interface PeerOnlyFetch {
  readonly url: string;
  readonly requestedAt: number;
  readonly ms: number;
}

/**
 * The earliest time (ms) at which `bytes` bytes can have left the uplinks of the players that got the
 * segment over HTTP, each sending from its first HTTP byte on at its full upload rate. Every byte a peer
 * delivers left one of those uplinks first, so no copy from peers alone is complete sooner. (It counts each
 * uplink from the first byte, as if the whole segment were there: a bound, never above the truth.)
 */
export function earliestSpread(copies: readonly HttpCopy[], bytes: number): number {
  const sorted = [...copies].filter((c) => c.upBytesPerSecond > 0).sort((a, b) => a.at - b.at);
  if (sorted.length === 0) return Infinity;
  let sent = 0;
  let rate = 0;
  for (let i = 0; i < sorted.length; i++) {
    rate += sorted[i]!.upBytesPerSecond / 1000;
    const until = i + 1 < sorted.length ? sorted[i + 1]!.at : Infinity;
    const reachedAt = sorted[i]!.at + (bytes - sent) / rate;
    if (reachedAt <= until) return reachedAt;
    sent += rate * (until - sorted[i]!.at);
  }
  return Infinity;
}

/**
 * For the segments players got from peers alone: the measured latency (request to last byte) and the least
 * it could have been, max(0, earliestSpread − request), both as p50 over the same fetches; and how many
 * fetches took less than their floor, which a true bound never allows (0, or the bound is wrong).
 */
export function peerOnlyLatency(
  fetches: readonly PeerOnlyFetch[],
  copiesOf: (url: string) => readonly HttpCopy[],
  bytesOf: (url: string) => number,
): { readonly count: number; readonly p50Ms: number; readonly floorP50Ms: number; readonly belowFloor: number } {
  const spread = new Map<string, number>();
  const floors = fetches.map((fetch) => {
    let at = spread.get(fetch.url);
    if (at === undefined) {
      at = earliestSpread(copiesOf(fetch.url), bytesOf(fetch.url));
      spread.set(fetch.url, at);
    }
    return Math.max(0, at - fetch.requestedAt);
  });
  return {
    count: fetches.length,
    p50Ms: percentile(fetches.map((f) => f.ms), 0.5),
    floorP50Ms: percentile(floors, 0.5),
    // (A millisecond of slack for timers rounded by the clock.)
    belowFloor: fetches.filter((fetch, i) => fetch.ms < floors[i]! - 1).length,
  };
}
