import { describe, expect, it } from 'vitest';
import { CLOSENESS, closeness, currentPosition, positionDistance, rankCandidates, type PeerProfile } from './ranking.js';

const base: PeerProfile = {
  network: '4:203.0.113',
  asn: 64500,
  country: 'FR',
  region: 'eu-west',
  position: undefined,
  positionAt: 0,
  playing: true,
};
const peer = (name: string, profile: Partial<PeerProfile>) => ({ name, profile: { ...base, ...profile } });

/** Deterministic "random": draws from a fixed list, so ties break in a known order. */
const draws = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('closeness', () => {
  it('ranks network > ASN > country > region > anyone', () => {
    expect(closeness(base, { ...base })).toBe(CLOSENESS.network);
    expect(closeness(base, { ...base, network: '4:198.51.100' })).toBe(CLOSENESS.asn);
    expect(closeness(base, { ...base, network: 'x', asn: 1 })).toBe(CLOSENESS.country);
    expect(closeness(base, { ...base, network: 'x', asn: 1, country: 'DE' })).toBe(CLOSENESS.region);
    expect(closeness(base, { ...base, network: 'x', asn: 1, country: 'DE', region: 'us-east' })).toBe(CLOSENESS.any);
  });

  it('never matches on an unknown ASN or country', () => {
    const noGeo = { ...base, asn: undefined, country: undefined };
    expect(closeness(noGeo, { ...noGeo, network: 'x' })).toBe(CLOSENESS.region);
  });
});

describe('positions', () => {
  it('extrapolate while playing and stay put while paused', () => {
    const playing = { ...base, position: 100, positionAt: 1_000, playing: true };
    expect(currentPosition(playing, 11_000)).toBe(110);
    expect(currentPosition({ ...playing, playing: false }, 11_000)).toBe(100);
    expect(currentPosition(base, 11_000)).toBeUndefined();
  });

  it('compare fairly across announce times', () => {
    const early = { ...base, position: 100, positionAt: 0 };
    const late = { ...base, position: 110, positionAt: 10_000 };
    expect(positionDistance(early, late, 20_000)).toBe(0);
    expect(positionDistance(early, base, 20_000)).toBe(Infinity);
  });
});

describe('rankCandidates', () => {
  it('puts every same-network peer first, whatever their positions', () => {
    const me = { ...base, position: 50 };
    const candidates = [
      peer('other-country-near', { network: 'n2', asn: 1, country: 'DE', position: 50 }),
      peer('same-net-far', { position: 5_000 }),
      peer('same-asn', { network: 'n3', position: 50 }),
      peer('same-net-unknown', { position: undefined }),
      peer('same-country', { network: 'n4', asn: 2, position: 50 }),
    ];
    const ranked = rankCandidates(me, candidates, 5, 0, Math.random).map((c) => c.name);
    expect(ranked).toEqual(['same-net-far', 'same-net-unknown', 'same-asn', 'same-country', 'other-country-near']);
  });

  it('breaks ties in a tier by nearest playback position, then by the random draw', () => {
    const me = { ...base, position: 100 };
    const candidates = [
      peer('far', { position: 160 }),
      peer('tie-a', { position: 90 }),
      peer('near', { position: 101 }),
      peer('tie-b', { position: 110 }),
      peer('unknown', { position: undefined }),
    ];
    expect(rankCandidates(me, candidates, 5, 0, draws(0.5, 0.9, 0.5, 0.1, 0.5)).map((c) => c.name)).toEqual(['near', 'tie-b', 'tie-a', 'far', 'unknown']);
    expect(rankCandidates(me, candidates, 5, 0, draws(0.5, 0.1, 0.5, 0.9, 0.5)).map((c) => c.name)).toEqual(['near', 'tie-a', 'tie-b', 'far', 'unknown']);
  });

  it('keeps only what was asked for and copes with nothing to rank', () => {
    const candidates = [peer('a', {}), peer('b', {}), peer('c', {})];
    expect(rankCandidates(base, candidates, 2, 0, Math.random)).toHaveLength(2);
    expect(rankCandidates(base, candidates, 0, 0, Math.random)).toEqual([]);
    expect(rankCandidates(base, [], 3, 0, Math.random)).toEqual([]);
  });

  it('is pure: same inputs and draws, same order; the input is untouched', () => {
    const candidates = Array.from({ length: 20 }, (_, i) => peer(`p${i}`, { network: `n${i % 3}`, position: i }));
    const copy = [...candidates];
    const a = rankCandidates({ ...base, network: 'n1', position: 7 }, candidates, 10, 0, draws(0.3, 0.7, 0.2));
    const b = rankCandidates({ ...base, network: 'n1', position: 7 }, candidates, 10, 0, draws(0.3, 0.7, 0.2));
    expect(a).toEqual(b);
    expect(candidates).toEqual(copy);
    expect(a.slice(0, 7).every((c) => c.profile.network === 'n1')).toBe(true);
  });
});
