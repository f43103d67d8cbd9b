import { describe, expect, it } from 'vitest';
import { parseUplinkMix } from '../swarm/uplink-mix.js';
import { parseEngineOptions, parseNatMix } from './model.js';
import { runModel } from './model-run.js';

describe('swarm model, end to end (real SDK core, virtual time)', () => {
  it('shares a live stream among viewers without stalls, and repeats exactly with the same seed', async () => {
    const options = { viewers: 12, durationSeconds: 24, rampSeconds: 6, seed: 7 };
    const first = await runModel(options);
    const f = first.figures;
    expect(f.stallsPerViewer).toBe(0);
    expect(f.corruptSegments).toBe(0);
    expect(f.integrityFailures).toBe(0);
    // 12 viewers: the limit is about 11/12; the swarm gets most of it.
    expect(f.offloadRatio).toBeGreaterThan(0.7 * f.offloadLimit);
    expect(f.httpCopiesMedian).toBeLessThanOrEqual(2);
    expect(first.relayDepth.max).toBeGreaterThanOrEqual(1);
    expect(first.trackerMessagesPerViewerMinute).toBeGreaterThan(0);
    expect(first.connections.connected).toBeGreaterThan(0);
    const again = await runModel(options);
    expect(again.figures).toEqual(first.figures);
    expect(again.eventsRun).toBe(first.eventsRun);
    const other = await runModel({ ...options, seed: 8 });
    expect(other.eventsRun).not.toBe(first.eventsRun);
  });

  it('loads each segment once per viewer when the store holds fewer segments than the playlist', async () => {
    // Peers announcing segments this viewer evicted must not make it fetch them again.
    // (Without that, this run loaded one segment 123 times among its 20 viewers.)
    const result = await runModel({ viewers: 20, durationSeconds: 30, rampSeconds: 10, segmentMemorySegments: 3, seed: 3 });
    expect(result.figures.segments.length).toBeGreaterThan(10);
    for (const segment of result.figures.segments) expect(segment.needed).toBeLessThanOrEqual(20);
    expect(result.figures.stallsPerViewer).toBe(0);
  });

  it('keeps playing behind NATs that cannot all reach each other: failed connections, no stalls', async () => {
    const result = await runModel({
      viewers: 10,
      durationSeconds: 24,
      rampSeconds: 4,
      natMix: parseNatMix('cone:0.5,symmetric:0.5'),
      delayInRegionMs: 20,
      delayBetweenRegionsMs: 20,
      cdnLatencyMs: 40,
      seed: 5,
    });
    expect(result.connections.failed).toBeGreaterThan(0);
    expect(result.connections.connected).toBeGreaterThan(0);
    expect(result.figures.stallsPerViewer).toBe(0);
    expect(result.figures.offloadRatio).toBeGreaterThan(0.3);
  });

  it('lets a viewer behind a slow uplink learn its rate and promise peers no more than it carries', async () => {
    const result = await runModel({
      viewers: 12,
      durationSeconds: 30,
      rampSeconds: 4,
      uplinkMix: parseUplinkMix('fast:0.5:50mbit,slow:0.5:1mbit'),
      delayInRegionMs: 15,
      delayBetweenRegionsMs: 15,
      seed: 2,
    });
    // 1 Mbit/s is 125 kB/s; the SDK's own budget (4× the stream) would be 465 kB/s.
    expect(result.measuredUplinks.slow).toBeGreaterThan(100_000);
    expect(result.measuredUplinks.slow).toBeLessThan(140_000);
    expect(result.figures.stallsPerViewer).toBe(0);
  });

  it('brings segments into the swarm through the best uplinks: viewers behind slow ones fetch less over HTTP', async () => {
    // Players advertise their upload budget, and the election for HTTP weighs them by it. Without the weights
    // (every player equal) this run gave both classes the same offload (slow 79.9 %, fast 79.0 %).
    const result = await runModel({
      viewers: 12,
      durationSeconds: 30,
      rampSeconds: 4,
      uplinkMix: parseUplinkMix('fast:0.5:50mbit,slow:0.5:1200kbit'),
      delayInRegionMs: 15,
      delayBetweenRegionsMs: 15,
      seed: 1,
    });
    const offloadOf = (name: string): number => result.figures.classes.find((c) => c.name === name)!.offloadRatio;
    expect(offloadOf('slow') - offloadOf('fast')).toBeGreaterThan(0.04);
    expect(result.figures.stallsPerViewer).toBe(0);
  });

  it('bounds the latency of segments from peers alone by the uplinks of the players that fetched them over HTTP', async () => {
    // Uplinks of 2 Mbit/s: a link, not the SDK's upload budget (which lets two seconds of its rate out at once).
    const result = await runModel({ viewers: 10, durationSeconds: 30, rampSeconds: 4, defaultUplinkBytesPerSecond: 250_000, seed: 3 });
    const { count, p50Ms, floorP50Ms } = result.peerOnlyFetch;
    expect(count).toBeGreaterThan(50);
    // One 250 kB/s uplink sends the 232 kB segment in 0.93 s: a fetch asked for before that is over cannot end
    // sooner, and none took less than its floor.
    expect(floorP50Ms).toBeGreaterThan(0);
    expect(floorP50Ms).toBeLessThanOrEqual(p50Ms);
    expect(result.peerOnlyFetch.belowFloor).toBe(0);
    expect(result.figures.stallsPerViewer).toBe(0);
  });

  it('rejects a NAT mix that is not one', () => {
    expect(() => parseNatMix('cone:0.5,carrier:0.5')).toThrow(/open, cone or symmetric/);
    expect(() => parseNatMix('cone:0.5')).toThrow(/add up/);
  });

  it('takes engine options as name=value and refuses what the engine has no such option for', () => {
    expect(parseEngineOptions(['uploadQueueMs=800', 'requireIntegrity=false', 'uploadRateLimit=Infinity'])).toEqual({
      uploadQueueMs: 800,
      requireIntegrity: false,
      uploadRateLimit: Infinity,
    });
    expect(() => parseEngineOptions(['uploadQueueMS=800'])).toThrow(/not a numeric or true\/false engine option/);
    expect(() => parseEngineOptions(['trackerUrl=ws://x'])).toThrow(/not a numeric/);
    expect(() => parseEngineOptions(['uploadQueueMs=fast'])).toThrow(/takes a number/);
    expect(() => parseEngineOptions(['uploadQueueMs'])).toThrow(/name=value/);
  });
});
