import { describe, expect, it } from 'vitest';
import { parseRangeHeader } from './range.js';

describe('parseRangeHeader', () => {
  it('reads first-last, open-ended and suffix ranges', () => {
    expect(parseRangeHeader('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRangeHeader('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRangeHeader('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRangeHeader('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseRangeHeader('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
  });

  it('says unsatisfiable past the end or for empty suffixes', () => {
    expect(parseRangeHeader('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=1000-1001', 1000)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=-0', 1000)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=0-0', 0)).toBe('unsatisfiable');
  });

  it('ignores what it does not honour, so the whole object is sent', () => {
    expect(parseRangeHeader(undefined, 1000)).toBeUndefined();
    expect(parseRangeHeader('items=0-1', 1000)).toBeUndefined();
    expect(parseRangeHeader('bytes=0-1,5-6', 1000)).toBeUndefined();
    expect(parseRangeHeader('bytes=5-1', 1000)).toBeUndefined();
    expect(parseRangeHeader('bytes=-', 1000)).toBeUndefined();
  });
});
