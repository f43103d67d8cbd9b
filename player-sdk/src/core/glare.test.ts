import { describe, expect, it } from 'vitest';
import { keepsConnection } from './glare.js';

describe('keepsConnection', () => {
  it('makes both ends of a pair keep the same one of two crossed connections', () => {
    const [a, b] = ['-SH0001-aaaaaaaaaaaa', '-SH0001-bbbbbbbbbbbb'];
    // The connection a offered: a sees it as its own offer, b as a's.
    expect(keepsConnection(a, b, true)).toBe(true);
    expect(keepsConnection(b, a, false)).toBe(true);
    // The connection b offered: kept by neither.
    expect(keepsConnection(b, a, true)).toBe(false);
    expect(keepsConnection(a, b, false)).toBe(false);
  });
});
