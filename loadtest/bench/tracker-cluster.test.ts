import { describe, expect, it } from 'vitest';
import { formatClusterBench, runClusterBench } from './tracker-cluster.js';

describe('tracker cluster bench (two shoal-edge processes, one redis-server, open-loop load)', () => {
  it('relays offers across the nodes and measures latency, node CPU and Redis operations', async () => {
    const result = await runClusterBench({ viewers: 200, announcesPerViewerMinute: 30, offersPerAnnounce: 2, nodes: 2, warmupSeconds: 2, seconds: 3 });
    // 200 viewers × 30 announces a minute × 2 offers: about 200 offers a second, half of them to the other node.
    expect(result.offersRelayedPerSecond).toBeGreaterThan(100);
    expect(result.relayMs.samples).toBeGreaterThan(300);
    expect(result.relayMs.p95).toBeGreaterThan(0);
    expect(result.nodes).toHaveLength(2);
    for (const node of result.nodes) expect(node.cpuShare).toBeGreaterThan(0);
    // Members, offers and answers crossing between the nodes go through Redis.
    expect(result.redisOpsPerSecond).toBeGreaterThan(50);
    expect(result.failures).toBe(0);
    expect(formatClusterBench(result)).toContain('viewers one edge core serves');
  }, 60_000);
});
