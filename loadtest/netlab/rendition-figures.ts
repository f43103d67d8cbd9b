/**
 * Bytes per rendition in a lab run with the demo's ladder. Each rendition is its own swarm; the page reports
 * segment loads by swarm id, and which rendition a swarm is (its BANDWIDTH in the master playlist), found by
 * deriving each level's swarm id from its playlist URL as the SDK does.
 */

/** One viewer's loads of one rendition (swarm). */
export interface RenditionBytes {
  readonly swarm: string;
  /** The rendition's BANDWIDTH from the master playlist, kbit/s; undefined if no level had this swarm's id. */
  readonly kbps: number | undefined;
  readonly segments: number;
  /** The segments' sequence numbers (each segment of a swarm must come over HTTP once). */
  readonly sequences: readonly number[];
  readonly httpBytes: number;
  readonly p2pBytes: number;
}

/** One rendition over all viewers of a phase. */
export interface RenditionFigures {
  /** The rendition's declared bitrate, else its mean segment bytes × 8 / segment seconds. */
  readonly kbps: number;
  readonly viewers: number;
  readonly segments: number;
  readonly httpBytes: number;
  readonly p2pBytes: number;
  /** Peer bytes / all bytes of this rendition. */
  readonly offloadRatio: number;
  /** This rendition's bytes / all bytes of every rendition. */
  readonly shareOfBytes: number;
  /** The offload limit of its swarm: every distinct segment over HTTP once, 1 − distinct / loaded. */
  readonly limit: number;
}

/** The offload limit across renditions, each its own swarm: their limits weighted by their bytes. */
export function limitAcrossRenditions(renditions: readonly RenditionFigures[]): number {
  return renditions.reduce((sum, r) => sum + r.shareOfBytes * r.limit, 0);
}

/** Groups viewers' loads by rendition, highest bitrate first. */
export function renditionFigures(viewers: readonly (readonly RenditionBytes[])[], segmentSeconds: number): RenditionFigures[] {
  const bySwarm = new Map<string, { kbps: number | undefined; viewers: number; segments: number; distinct: Set<number>; httpBytes: number; p2pBytes: number }>();
  for (const renditions of viewers) {
    for (const r of renditions) {
      const sum = bySwarm.get(r.swarm) ?? { kbps: r.kbps, viewers: 0, segments: 0, distinct: new Set<number>(), httpBytes: 0, p2pBytes: 0 };
      sum.viewers++;
      sum.segments += r.segments;
      for (const sequence of r.sequences) sum.distinct.add(sequence);
      sum.httpBytes += r.httpBytes;
      sum.p2pBytes += r.p2pBytes;
      bySwarm.set(r.swarm, sum);
    }
  }
  const all = [...bySwarm.values()].reduce((total, r) => total + r.httpBytes + r.p2pBytes, 0);
  return [...bySwarm.values()]
    .map((r) => {
      const bytes = r.httpBytes + r.p2pBytes;
      return {
        kbps: r.kbps ?? (r.segments === 0 ? 0 : Math.round((bytes / r.segments) * 8 / segmentSeconds / 1000)),
        viewers: r.viewers,
        segments: r.segments,
        httpBytes: r.httpBytes,
        p2pBytes: r.p2pBytes,
        offloadRatio: bytes === 0 ? 0 : r.p2pBytes / bytes,
        shareOfBytes: all === 0 ? 0 : bytes / all,
        limit: r.segments === 0 ? 0 : 1 - r.distinct.size / r.segments,
      };
    })
    .sort((a, b) => b.kbps - a.kbps);
}

/** One viewer's segment loads (the engine's segment-loaded events) summed by swarm; `levels` names the swarms. */
export function bytesBySwarm(
  loads: readonly { readonly swarm: string; readonly sequence: number; readonly httpBytes: number; readonly p2pBytes: number }[],
  levels: readonly { readonly swarm: string; readonly kbps: number }[] = [],
): RenditionBytes[] {
  const sums = new Map<string, { segments: number; sequences: number[]; httpBytes: number; p2pBytes: number }>();
  for (const load of loads) {
    const sum = sums.get(load.swarm) ?? { segments: 0, sequences: [], httpBytes: 0, p2pBytes: 0 };
    sum.segments++;
    sum.sequences.push(load.sequence);
    sum.httpBytes += load.httpBytes;
    sum.p2pBytes += load.p2pBytes;
    sums.set(load.swarm, sum);
  }
  return [...sums].map(([swarm, sum]) => ({ swarm, kbps: levels.find((level) => level.swarm === swarm)?.kbps, ...sum }));
}
