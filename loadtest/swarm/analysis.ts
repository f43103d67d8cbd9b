import type { ViewerReport } from './simulated-viewer.js';
import type { SegmentLoad } from './worker.js';

export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface SwarmFigures {
  readonly viewers: number;
  readonly offloadRatio: number;
  /**
   * The best offload possible for this run: every segment a viewer needed must reach the swarm over HTTP
   * once, so for segment s needed by n_s viewers the limit is Σ (n_s − 1)·size_s / Σ n_s·size_s — (N−1)/N
   * when all N viewers need every segment, less when joins and leaves make n_s smaller.
   */
  readonly offloadLimit: number;
  /**
   * The offload limit once uplinks count: peers can deliver at most what their upload budgets allowed over
   * the run, so min(Σ (n_s − 1)·size_s, Σ upload capacity) / Σ n_s·size_s.
   */
  readonly capacityLimit: number;
  /** Bytes uploaded to peers per peer byte kept (received and verified): 1.00 means no upload wasted. */
  readonly uploadSentPerKept: number;
  /**
   * Where the rest went, per peer byte kept: received and thrown away (late chunks of a request given up,
   * copies that failed their check or were withdrawn), and never received (in flight when a
   * connection closed, or still in flight at the end). sentPerKept = 1 + discarded + unreceived.
   */
  readonly uploadDiscardedPerKept: number;
  readonly uploadUnreceivedPerKept: number;
  /** Per uplink class of a mixed run: viewers, offload, stalls per viewer, upload sent. */
  readonly classes: readonly ClassFigures[];
  /** HTTP bytes per segment across the swarm, in copies of the segment. */
  readonly httpCopiesMedian: number;
  readonly httpCopiesP95: number;
  readonly stallsPerViewer: number;
  readonly stallSecondsPerViewer: number;
  readonly viewersWithStalls: number;
  readonly startupP50Ms: number;
  readonly startupP95Ms: number;
  readonly p2pLatencyP50Ms: number;
  readonly p2pLatencyP95Ms: number;
  readonly integrityFailures: number;
  readonly corruptSegments: number;
  /** Per segment: viewers that needed it and HTTP copies fetched for it. */
  readonly segments: readonly { readonly sequence: number; readonly needed: number; readonly httpCopies: number }[];
}

export interface ClassFigures {
  readonly name: string;
  readonly viewers: number;
  readonly offloadRatio: number;
  readonly stallsPerViewer: number;
  readonly uploadBytesPerViewer: number;
}

function classFigures(reports: readonly ViewerReport[]): ClassFigures[] {
  const byClass = new Map<string, ViewerReport[]>();
  for (const report of reports) if (report.uplinkClass !== undefined) byClass.set(report.uplinkClass, [...(byClass.get(report.uplinkClass) ?? []), report]);
  return [...byClass.entries()].map(([name, members]) => {
    const http = members.reduce((sum, r) => sum + r.httpBytes, 0);
    const p2p = members.reduce((sum, r) => sum + r.p2pBytes, 0);
    // A session that churned reports once per generation: count viewers by id without the generation.
    const viewers = new Set(members.map((r) => r.id.replace(/\.\d+$/, ''))).size;
    return {
      name,
      viewers,
      offloadRatio: http + p2p === 0 ? 0 : p2p / (http + p2p),
      stallsPerViewer: members.reduce((sum, r) => sum + r.stalls, 0) / viewers,
      uploadBytesPerViewer: members.reduce((sum, r) => sum + r.uploadBytes, 0) / viewers,
    };
  });
}

/** Figures of one run from what its viewers reported and the per-segment loads. */
export function analyse(reports: readonly ViewerReport[], loads: readonly SegmentLoad[], viewers: number): SwarmFigures {
  const bySegment = new Map<number, { needed: number; size: number; http: number }>();
  for (const load of loads) {
    const size = load.httpBytes + load.p2pBytes;
    if (size === 0) continue;
    const entry = bySegment.get(load.sequence) ?? { needed: 0, size, http: 0 };
    entry.needed++;
    entry.size = Math.max(entry.size, size);
    entry.http += load.httpBytes;
    bySegment.set(load.sequence, entry);
  }
  let limitNumerator = 0;
  let limitDenominator = 0;
  const copies: number[] = [];
  for (const entry of bySegment.values()) {
    limitNumerator += (entry.needed - 1) * entry.size;
    limitDenominator += entry.needed * entry.size;
    copies.push(entry.http / entry.size);
  }
  const http = reports.reduce((sum, r) => sum + r.httpBytes, 0);
  const p2p = reports.reduce((sum, r) => sum + r.p2pBytes, 0);
  const uploaded = reports.reduce((sum, r) => sum + r.uploadBytes, 0);
  const discarded = reports.reduce((sum, r) => sum + r.p2pDiscardedBytes, 0);
  const capacity = reports.reduce((sum, r) => sum + r.uploadCapacityBytes, 0);
  const startups = reports.map((r) => r.startupMs).filter((ms): ms is number => ms !== undefined);
  const latencies = reports.flatMap((r) => r.p2pLatencies);
  return {
    viewers,
    offloadRatio: http + p2p === 0 ? 0 : p2p / (http + p2p),
    offloadLimit: limitDenominator === 0 ? 0 : limitNumerator / limitDenominator,
    capacityLimit: limitDenominator === 0 ? 0 : Math.min(limitNumerator, capacity) / limitDenominator,
    uploadSentPerKept: p2p === 0 ? NaN : uploaded / p2p,
    uploadDiscardedPerKept: p2p === 0 ? NaN : discarded / p2p,
    uploadUnreceivedPerKept: p2p === 0 ? NaN : (uploaded - p2p - discarded) / p2p,
    classes: classFigures(reports),
    httpCopiesMedian: percentile(copies, 0.5),
    httpCopiesP95: percentile(copies, 0.95),
    stallsPerViewer: reports.reduce((sum, r) => sum + r.stalls, 0) / Math.max(1, viewers),
    stallSecondsPerViewer: reports.reduce((sum, r) => sum + r.stallMs, 0) / 1000 / Math.max(1, viewers),
    viewersWithStalls: reports.filter((r) => r.stalls > 0).length,
    startupP50Ms: percentile(startups, 0.5),
    startupP95Ms: percentile(startups, 0.95),
    p2pLatencyP50Ms: percentile(latencies, 0.5),
    p2pLatencyP95Ms: percentile(latencies, 0.95),
    integrityFailures: reports.reduce((sum, r) => sum + r.integrityFailures, 0),
    corruptSegments: reports.reduce((sum, r) => sum + r.corruptSegments, 0),
    segments: [...bySegment.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([sequence, entry]) => ({ sequence, needed: entry.needed, httpCopies: Math.round((entry.http / entry.size) * 100) / 100 })),
  };
}
