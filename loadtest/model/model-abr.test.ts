import { describe, expect, it } from 'vitest';
import { parseUplinkMix } from '../swarm/uplink-mix.js';
import { parseAbr, parseLadder } from './model.js';
import { runModel } from './model-run.js';

/** Half the viewers on 20 Mbit/s downlinks, half on 1.2 Mbit/s: the second half cannot hold the top rendition. */
const MIXED = parseUplinkMix('fast:0.5:5mbit:20mbit,slow:0.5:1mbit:1200kbit');
const LADDER = [364, 764, 1264];

describe('swarm model with an ABR ladder', () => {
  it('puts viewers on the renditions their downlinks carry, each rendition its own swarm, without stalls', async () => {
    const result = await runModel({ viewers: 12, durationSeconds: 40, rampSeconds: 6, uplinkMix: MIXED, ladderKbps: LADDER, abr: 'p2p-aware', seed: 4 });
    expect(result.figures.stallsPerViewer).toBe(0);
    expect(result.figures.corruptSegments).toBe(0);
    expect(result.renditions.map((r) => r.kbps)).toEqual(LADDER);
    expect(result.renditions.reduce((sum, r) => sum + r.byteShare, 0)).toBeCloseTo(1, 6);
    // The fast half climbs to the top; the slow half stays below it (1264 kbit/s > 0.95 × 1.2 Mbit/s).
    const top = result.renditions[2]!;
    expect(top.byteShare).toBeGreaterThan(0.2);
    expect(top.offloadRatio).toBeGreaterThan(0);
    expect(result.renditions[0]!.byteShare + result.renditions[1]!.byteShare).toBeGreaterThan(0.2);
    expect(result.renditionSwitchesPerViewer).toBeGreaterThan(0);
  });

  it('keeps every viewer on one rendition when ABR is pinned', async () => {
    const result = await runModel({ viewers: 6, durationSeconds: 20, rampSeconds: 4, uplinkMix: MIXED, ladderKbps: LADDER, abr: 1, seed: 4 });
    expect(result.renditions.map((r) => r.byteShare)).toEqual([0, 1, 0]);
    expect(result.renditionSwitchesPerViewer).toBe(0);
    expect(result.renditions[1]!.offloadRatio).toBeGreaterThan(0.1);
  });

  it('refuses a ladder or ABR mode that is not one, with a clear error', () => {
    expect(parseLadder('364,764,1264')).toEqual(LADDER);
    expect(() => parseLadder('764')).toThrow(/two or more/);
    expect(() => parseLadder('764,364')).toThrow(/lowest to highest/);
    expect(() => parseLadder('364,fast')).toThrow(/kbit\/s/);
    expect(parseAbr('p2p-aware', 3)).toBe('p2p-aware');
    expect(parseAbr('2', 3)).toBe(2);
    expect(() => parseAbr('3', 3)).toThrow(/index 0–2/);
    expect(() => parseAbr('auto', 0)).toThrow(/needs --ladder/);
  });
});
