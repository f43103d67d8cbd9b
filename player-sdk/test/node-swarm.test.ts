import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeServer } from '@shoal/edge';
import type { EngineOptions } from '../src/core/options.js';
import { engineOptions as swarmEngineOptions, measureAttack } from '../../loadtest/swarm/origin-scenarios.js';
import { SimulatedViewer, type ViewerReport } from '../../loadtest/swarm/simulated-viewer.js';
import { startStack, waitForLiveSegments, type TestStack } from '../../test-support/stack.js';

/**
 * Real origin (demo encoder, one rendition, 2 s segments), real edge tracker, and SDK viewers in Node
 * over node-datachannel: the swarm fetches each segment over HTTP about once, late joiners get most bytes
 * from peers, nobody misses a deadline; a viewer serving corrupted segments is caught and banned.
 */

let stack: TestStack;
let edge: EdgeServer;
let playlistUrl: string;

beforeAll(async () => {
  // Viewers fetch from the origin itself; the edge is their tracker.
  stack = await startStack({ name: 'node-swarm', ladder: [{ width: 426, height: 240, videoKbps: 400 }], edgeFrontsOrigin: false });
  edge = stack.edge;
  playlistUrl = `${stack.origin.url}/live/demo/0/index.m3u8`;
  // Wait for a few segments of live stream.
  await waitForLiveSegments(playlistUrl);
});

afterAll(() => stack?.close());

const engineOptions = (): Partial<EngineOptions> => swarmEngineOptions({ playlistUrl, trackerUrl: edge.trackerUrl });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** HTTP bytes per segment across the swarm, in copies of the segment. */
function copiesPerSegment(viewers: SimulatedViewer[], from: number): number[] {
  const bySegment = new Map<number, { http: number; size: number }>();
  for (const viewer of viewers) {
    for (const [sequence, loaded] of (viewer as unknown as { loads: Map<number, { http: number; size: number }> }).loads) {
      if (sequence < from) continue;
      const entry = bySegment.get(sequence) ?? { http: 0, size: loaded.size };
      entry.http += loaded.http;
      bySegment.set(sequence, entry);
    }
  }
  return [...bySegment.values()].map((e) => e.http / e.size);
}

describe('an SDK swarm in Node against a real origin and edge', () => {
  it('offloads late joiners to peers at about one HTTP copy per segment, without missed deadlines', async () => {
    const viewers: SimulatedViewer[] = [];
    const loads = new Map<SimulatedViewer, Map<number, { http: number; size: number }>>();
    try {
      for (let i = 0; i < 6; i++) {
        const viewer = new SimulatedViewer(`viewer-${i}`, { playlistUrl, engine: engineOptions() });
        const perSegment = new Map<number, { http: number; size: number }>();
        viewer.engine.on('segment-loaded', (info) => perSegment.set(info.sequence, { http: info.httpBytes, size: info.httpBytes + info.p2pBytes }));
        (viewer as unknown as { loads: typeof perSegment }).loads = perSegment;
        loads.set(viewer, perSegment);
        viewer.start();
        viewers.push(viewer);
        await sleep(1_500);
      }
      // Segments that appear from now on are fetched by a complete swarm.
      const firstLoads = [...loads.values()].map((m) => Math.max(-1, ...m.keys()));
      const warm = Math.max(...firstLoads) + 3;
      await sleep(26_000);
      const reports: ViewerReport[] = viewers.map((v) => v.report());
      const copies = copiesPerSegment(viewers, warm).sort((a, b) => a - b);
      const median = copies[Math.floor(copies.length / 2)]!;
      const offload = reports.map((r) => r.p2pBytes / Math.max(1, r.p2pBytes + r.httpBytes));
      console.log(
        `node swarm, 6 viewers: offload per viewer ${offload.map((o) => (o * 100).toFixed(0) + '%').join(' ')}; ` +
          `HTTP copies per segment after warm-up: median ${median.toFixed(2)}, max ${copies[copies.length - 1]!.toFixed(2)} over ${copies.length} segments; ` +
          `stalls ${reports.map((r) => r.stalls).join(' ')}; missed deadlines ${reports.map((r) => r.missedDeadlines).join(' ')}`,
      );
      expect(copies.length).toBeGreaterThanOrEqual(8);
      for (const report of reports) {
        expect(report.segmentsPlayed).toBeGreaterThan(8);
        expect(report.corruptSegments).toBe(0);
        expect(report.missedDeadlines).toBe(0);
        expect(report.stalls).toBe(0);
        expect(report.peers).toBeGreaterThanOrEqual(3);
      }
      for (const share of offload.slice(2)) expect(share).toBeGreaterThan(0.5);
      expect(median).toBeLessThanOrEqual(1.5);
    } finally {
      for (const viewer of viewers) viewer.stop();
    }
  });

  it('rejects every corrupted segment from a malicious viewer, bans it, and plays every segment intact', async () => {
    // The attacker fetches every new segment at once (it always considers itself elected) and corrupts it;
    // bans are counted once the window for retracting a relayed copy has passed (measureAttack).
    const figures = await measureAttack({ playlistUrl, trackerUrl: edge.trackerUrl }, { honest: 4, joinGapMs: 1_000, watchMs: 24_000 });
    console.log(`malicious viewer: ${figures.rejected} corrupted segments rejected; banned by ${figures.bannedAttacker} of the ${figures.receivedCorrupt} viewers it reached`);
    expect(figures.rejected).toBeGreaterThan(0);
    expect(figures.receivedCorrupt).toBeGreaterThan(0);
    // Whoever received corrupted bytes from the attacker banned it, and no one banned an honest viewer.
    expect(figures.bannedAttacker).toBe(figures.receivedCorrupt);
    expect(figures.wrongBans).toBe(0);
    expect(figures.corruptPlayed).toBe(0);
    expect(figures.segmentsPlayedMin).toBeGreaterThan(8);
  });
});
