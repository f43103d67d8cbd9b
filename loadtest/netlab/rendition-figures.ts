/**
 * Bytes per rendition in a lab run with the demo's ladder. Each rendition is its own swarm; the page reports
 * segment loads by swarm id, and a rendition is told apart by its segments' mean size (the ladder's bitrates
 * are 1.7× and more apart), given as kbit/s.
 */

/** One viewer's loads of one rendition (swarm). */
export interface RenditionBytes {
  readonly swarm: string;
  readonly segments: number;
  readonly httpBytes: number;
  readonly p2pBytes: number;
}

/** One rendition over all viewers of a phase. */
export interface RenditionFigures {
  /** Mean segment bytes × 8 / segment seconds. */
  readonly kbps: number;
  readonly viewers: number;
  readonly segments: number;
  readonly httpBytes: number;
  readonly p2pBytes: number;
  /** Peer bytes / all bytes of this rendition. */
  readonly offloadRatio: number;
  /** This rendition's bytes / all bytes of every rendition. */
  readonly shareOfBytes: number;
}

/** Groups viewers' loads by rendition, highest bitrate first. */
export function renditionFigures(viewers: readonly (readonly RenditionBytes[])[], segmentSeconds: number): RenditionFigures[] {
  const bySwarm = new Map<string, { viewers: number; segments: number; httpBytes: number; p2pBytes: number }>();
  for (const renditions of viewers) {
    for (const r of renditions) {
      const sum = bySwarm.get(r.swarm) ?? { viewers: 0, segments: 0, httpBytes: 0, p2pBytes: 0 };
      sum.viewers++;
      sum.segments += r.segments;
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
        kbps: r.segments === 0 ? 0 : Math.round((bytes / r.segments) * 8 / segmentSeconds / 1000),
        viewers: r.viewers,
        segments: r.segments,
        httpBytes: r.httpBytes,
        p2pBytes: r.p2pBytes,
        offloadRatio: bytes === 0 ? 0 : r.p2pBytes / bytes,
        shareOfBytes: all === 0 ? 0 : bytes / all,
      };
    })
    .sort((a, b) => b.kbps - a.kbps);
}

/** One viewer's segment loads (the engine's segment-loaded events) summed by swarm. */
export function bytesBySwarm(loads: readonly { readonly swarm: string; readonly httpBytes: number; readonly p2pBytes: number }[]): RenditionBytes[] {
  const sums = new Map<string, { segments: number; httpBytes: number; p2pBytes: number }>();
  for (const load of loads) {
    const sum = sums.get(load.swarm) ?? { segments: 0, httpBytes: 0, p2pBytes: 0 };
    sum.segments++;
    sum.httpBytes += load.httpBytes;
    sum.p2pBytes += load.p2pBytes;
    sums.set(load.swarm, sum);
  }
  return [...sums].map(([swarm, sum]) => ({ swarm, ...sum }));
}
