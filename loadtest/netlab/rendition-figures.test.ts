import { describe, expect, it } from 'vitest';
import { parseNetlabOptions } from './netlab-options.js';
import { homeSpecs } from './netlab-run.js';
import { bytesBySwarm, limitAcrossRenditions, renditionFigures } from './rendition-figures.js';

describe('lab figures by rendition', () => {
  it('sums each viewer’s loads by swarm and ranks renditions by bitrate', () => {
    const a = bytesBySwarm([
      { swarm: 'low', sequence: 4, httpBytes: 75_000, p2pBytes: 0 },
      { swarm: 'top', sequence: 5, httpBytes: 0, p2pBytes: 300_000 },
      { swarm: 'top', sequence: 6, httpBytes: 100_000, p2pBytes: 200_000 },
    ], [{ swarm: 'top', kbps: 1264 }, { swarm: 'mid', kbps: 764 }]);
    expect(a).toEqual([
      { swarm: 'low', kbps: undefined, segments: 1, sequences: [4], httpBytes: 75_000, p2pBytes: 0 },
      { swarm: 'top', kbps: 1264, segments: 2, sequences: [5, 6], httpBytes: 100_000, p2pBytes: 500_000 },
    ]);
    const b = bytesBySwarm([{ swarm: 'top', sequence: 5, httpBytes: 300_000, p2pBytes: 0 }]);
    const figures = renditionFigures([a, b], 2);
    // Declared where the page named the swarm, else estimated from segment sizes.
    expect(figures.map((r) => r.kbps)).toEqual([1264, 300]);
    expect(figures[0]).toMatchObject({ viewers: 2, segments: 3, httpBytes: 400_000, p2pBytes: 500_000 });
    expect(figures[0]!.offloadRatio).toBeCloseTo(5 / 9);
    expect(figures[0]!.shareOfBytes + figures[1]!.shareOfBytes).toBeCloseTo(1);
    expect(figures[1]!.offloadRatio).toBe(0);
    // Top: 3 loads of 2 distinct segments, one of them could have come from a peer; low: a swarm of one.
    expect(figures[0]!.limit).toBeCloseTo(1 / 3);
    expect(figures[1]!.limit).toBe(0);
    expect(limitAcrossRenditions(figures)).toBeCloseTo(figures[0]!.shareOfBytes / 3);
    expect(renditionFigures([], 2)).toEqual([]);
  });
});

describe('lab options for mixed links and ABR', () => {
  it('gives a list of rates to the homes in turn', () => {
    const options = parseNetlabOptions(['--homes', '4', '--downlink', '20mbit,1500kbit']);
    expect(homeSpecs(options).map((h) => h.downlink)).toEqual(['20mbit', '1500kbit', '20mbit', '1500kbit']);
    expect(homeSpecs(options).map((h) => h.uplink)).toEqual(['2mbit', '2mbit', '2mbit', '2mbit']);
  });

  it('refuses malformed rates and ABR without a browser, with a clear message', () => {
    expect(() => parseNetlabOptions(['--downlink', '20mbit,fast'])).toThrow('--downlink takes rates like 2mbit');
    expect(() => parseNetlabOptions(['--level', 'auto'])).toThrow('--level needs --viewer chromium');
    expect(() => parseNetlabOptions(['--viewer', 'chromium', '--level', '7'])).toThrow('--level takes a number from 0 to 2');
  });

  it('publishes the ladder whenever a level is asked for', () => {
    expect(parseNetlabOptions(['--viewer', 'chromium', '--level', 'auto'])).toMatchObject({ ladder: true, level: 'auto' });
    expect(parseNetlabOptions(['--viewer', 'chromium', '--level', '2'])).toMatchObject({ ladder: true, level: 2 });
    expect(parseNetlabOptions([])).toMatchObject({ ladder: false, level: undefined });
  });
});
