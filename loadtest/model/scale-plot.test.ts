import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_OPTIONS, type ModelResult } from './model-run.js';
import { scalePlotSvg } from './scale-plot.js';

const result = (viewers: number, offload: number, median: number, p95: number): ModelResult =>
  ({
    options: { ...DEFAULT_MODEL_OPTIONS, viewers },
    figures: { offloadRatio: offload, offloadLimit: 1, httpCopiesMedian: median, httpCopiesP95: p95 },
  }) as unknown as ModelResult;

describe('scalePlotSvg', () => {
  it('draws offload and HTTP copies against viewers on a log axis, one point per run and series', () => {
    const svg = scalePlotSvg([result(3000, 0.8, 40, 90), result(30, 0.9, 1, 6), result(300, 0.85, 5, 20)]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<circle/g)).toHaveLength(9);
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    // Sorted by viewers, 30 at the left edge and 3000 at the right, 300 halfway on the log axis.
    const offloadLine = /<polyline[^>]*points="([^"]+)"/.exec(svg)![1]!.split(' ').map((p) => Number(p.split(',')[0]));
    expect(offloadLine).toEqual([60, 320, 580]);
  });

  it('refuses to plot nothing', () => {
    expect(() => scalePlotSvg([])).toThrow('nothing to plot');
  });
});
