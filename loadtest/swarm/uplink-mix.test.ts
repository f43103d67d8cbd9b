import { describe, expect, it } from 'vitest';
import { assignUplinks, parseRate, parseUplinkMix } from './uplink-mix.js';

describe('uplink mixes', () => {
  it('parses rates in bits or bytes per second', () => {
    expect(parseRate('50mbit')).toBe(6_250_000);
    expect(parseRate('800kbit')).toBe(100_000);
    expect(parseRate('150000')).toBe(150_000);
    expect(parseRate('1.5MB')).toBe(1_500_000);
  });

  it('parses a mix', () => {
    expect(parseUplinkMix('fiber:0.2:50mbit,cable:0.5:5mbit,dsl:0.3:1mbit')).toEqual([
      { name: 'fiber', share: 0.2, bytesPerSecond: 6_250_000 },
      { name: 'cable', share: 0.5, bytesPerSecond: 625_000 },
      { name: 'dsl', share: 0.3, bytesPerSecond: 125_000 },
    ]);
  });

  it('parses a downlink per class when given', () => {
    expect(parseUplinkMix('fiber:0.5:50mbit:300mbit,dsl:0.5:1mbit')).toEqual([
      { name: 'fiber', share: 0.5, bytesPerSecond: 6_250_000, downBytesPerSecond: 37_500_000 },
      { name: 'dsl', share: 0.5, bytesPerSecond: 125_000 },
    ]);
  });

  it.each([
    ['dsl:0.3', /name:share:rate/],
    ['dsl:0.3:fast', /not a number/],
    ['dsl:0:1mbit', /share must be/],
    ['a:0.5:1mbit,b:0.4:1mbit', /add up to 0.900/],
    ['a:0.5:1mbit,a:0.5:2mbit', /must differ/],
    ['dsl:1:0mbit', /above 0/],
    ['dsl:1:1mbit:6mbit:x', /name:share:rate:downlink/],
    ['dsl:1:1mbit:slow', /not a number/],
  ])('refuses %s with a clear error', (text, message) => {
    expect(() => parseUplinkMix(text)).toThrow(message);
  });

  it('gives each class its share of viewers, spread over the join order', () => {
    const classes = parseUplinkMix('fiber:0.2:50mbit,cable:0.5:5mbit,dsl:0.3:1mbit');
    const assigned = assignUplinks(classes, 30).map((c) => c.name);
    expect(assigned.filter((n) => n === 'fiber')).toHaveLength(6);
    expect(assigned.filter((n) => n === 'cable')).toHaveLength(15);
    expect(assigned.filter((n) => n === 'dsl')).toHaveLength(9);
    // Every class among the first and the last ten to join.
    for (const part of [assigned.slice(0, 10), assigned.slice(20)]) expect(new Set(part)).toEqual(new Set(['fiber', 'cable', 'dsl']));
    expect(assignUplinks(classes, 7)).toHaveLength(7);
  });
});
