import { describe, expect, it } from 'vitest';
import { parseCacheControl } from './cache-control.js';

describe('parseCacheControl', () => {
  it('reads lifetimes, immutability and stale-if-error', () => {
    expect(parseCacheControl('public, max-age=31536000, immutable')).toEqual({ noStore: false, maxAgeMs: 31_536_000_000, immutable: true, staleIfErrorMs: undefined });
    expect(parseCacheControl('public, max-age=1, s-maxage=2, stale-if-error=30')).toEqual({ noStore: false, maxAgeMs: 2000, immutable: false, staleIfErrorMs: 30_000 });
  });

  it('treats no-store and private as not storable, and bad numbers as absent', () => {
    expect(parseCacheControl('no-store').noStore).toBe(true);
    expect(parseCacheControl('private, max-age=60').noStore).toBe(true);
    expect(parseCacheControl('max-age=abc').maxAgeMs).toBe(0);
    expect(parseCacheControl(undefined)).toEqual({ noStore: false, maxAgeMs: 0, immutable: false, staleIfErrorMs: undefined });
  });
});
