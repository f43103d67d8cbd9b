import { describe, expect, it } from 'vitest';
import { parseNetlabOptions } from './netlab-options.js';
import { homeSpecs } from './netlab-run.js';
import { bytesBySwarm, renditionFigures } from './rendition-figures.js';

describe('lab figures by rendition', () => {
  it('sums each viewer’s loads by swarm and ranks renditions by their segments’ bitrate', () => {
    const a = bytesBySwarm([
      { swarm: 'low', httpBytes: 75_000, p2pBytes: 0 },
      { swarm: 'top', httpBytes: 0, p2pBytes: 300_000 },
      { swarm: 'top', httpBytes: 100_000, p2pBytes: 200_000 },
    ]);
    expect(a).toEqual([
      { swarm: 'low', segments: 1, httpBytes: 75_000, p2pBytes: 0 },
      { swarm: 'top', segments: 2, httpBytes: 100_000, p2pBytes: 500_000 },
    ]);
    const b = bytesBySwarm([{ swarm: 'top', httpBytes: 300_000, p2pBytes: 0 }]);
    const figures = renditionFigures([a, b], 2);
    expect(figures.map((r) => r.kbps)).toEqual([1200, 300]);
    expect(figures[0]).toMatchObject({ viewers: 2, segments: 3, httpBytes: 400_000, p2pBytes: 500_000 });
    expect(figures[0]!.offloadRatio).toBeCloseTo(5 / 9);
    expect(figures[0]!.shareOfBytes + figures[1]!.shareOfBytes).toBeCloseTo(1);
    expect(figures[1]!.offloadRatio).toBe(0);
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
