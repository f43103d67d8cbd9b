import { describe, expect, it } from 'vitest';
import { randomTrackerId } from '@shoal/protocol';
import type { PeerProfile } from './ranking.js';
import { createMember, Swarm, type SwarmMember } from './swarm.js';

const profile = (network: string, extra: Partial<PeerProfile> = {}): PeerProfile => ({
  network,
  asn: undefined,
  country: undefined,
  region: 'r1',
  position: undefined,
  positionAt: 0,
  playing: true,
  ...extra,
});

const IH = randomTrackerId();

const local = (network: string, extra: Partial<PeerProfile> = {}, complete = false): SwarmMember<string> =>
  createMember(IH, randomTrackerId(), profile(network, extra), { connection: 'conn' }, complete, 0);

describe('Swarm', () => {
  it('counts complete and incomplete members through joins, refreshes and leaves', () => {
    const swarm = new Swarm<string>(IH);
    const a = local('n1');
    const b = local('n1', {}, true);
    const c = createMember<string>(IH, randomTrackerId(), profile('n2'), { node: 'node-b' }, false, 0);
    swarm.add(a);
    swarm.add(b);
    swarm.add(c);
    expect([swarm.size, swarm.localSize, swarm.remoteSize, swarm.complete, swarm.incomplete]).toEqual([3, 2, 1, 1, 2]);
    swarm.refresh(a, a.profile, true, 10);
    expect([swarm.complete, swarm.incomplete]).toEqual([2, 1]);
    expect(swarm.remove(b)).toBe(true);
    expect(swarm.remove(b)).toBe(false);
    expect(swarm.get(b.peerId)).toBeUndefined();
    expect(swarm.get(c.peerId)).toBe(c);
    expect([swarm.size, swarm.complete]).toEqual([2, 1]);
  });

  it('keeps local members in least-recently-announced order', () => {
    const swarm = new Swarm<string>(IH);
    const [a, b, c] = [local('n1'), local('n1'), local('n1')];
    for (const m of [a, b, c]) swarm.add(m);
    expect(swarm.leastRecentLocal()).toBe(a);
    swarm.refresh(a, a.profile, false, 5);
    expect(swarm.leastRecentLocal()).toBe(b);
    swarm.remove(b);
    expect(swarm.leastRecentLocal()).toBe(c);
  });

  it('re-indexes a member whose locality changed', () => {
    const swarm = new Swarm<string>(IH);
    const me = local('n1');
    const other = local('n2');
    swarm.add(me);
    swarm.add(other);
    for (let i = 0; i < 30; i++) swarm.add(local(`far${i}`, { region: 'r9' }));
    swarm.refresh(other, profile('n1'), false, 1);
    expect(swarm.pickTargets(me, 1, 0, Math.random)).toEqual([other]);
  });

  it('sends offers to same-network peers whenever there are any', () => {
    // A swarm spread over many prefixes, with a handful of peers on each of a few "home" prefixes.
    const swarm = new Swarm<string>(IH);
    const members: SwarmMember<string>[] = [];
    for (let i = 0; i < 2_000; i++) {
      const m = local(`4:10.${i % 250}.${i % 7}`, { asn: 64500 + (i % 3), country: i % 2 ? 'FR' : 'DE' });
      members.push(m);
      swarm.add(m);
    }
    for (let round = 0; round < 300; round++) {
      const me = members[Math.floor(Math.random() * members.length)]!;
      const sameNetwork = members.filter((m) => m !== me && m.profile.network === me.profile.network).length;
      const targets = swarm.pickTargets(me, 10, 0, Math.random);
      expect(targets).toHaveLength(10);
      expect(new Set(targets).size).toBe(10);
      expect(targets).not.toContain(me);
      const near = targets.filter((t) => t.profile.network === me.profile.network).length;
      expect(near).toBe(Math.min(10, sameNetwork));
      // The rest come from the same ASN first.
      const sameAsnAvailable = members.filter((m) => m !== me && m.profile.network !== me.profile.network && m.profile.asn === me.profile.asn).length;
      if (sameAsnAvailable >= 10) expect(targets.slice(near).every((t) => t.profile.asn === me.profile.asn)).toBe(true);
    }
  });

  it('falls back tier by tier: ASN, country, region, anyone', () => {
    const swarm = new Swarm<string>(IH);
    const me = local('n0', { asn: 1, country: 'FR', region: 'eu' });
    const sameAsn = local('n1', { asn: 1, country: 'FR', region: 'eu' });
    const sameCountry = local('n2', { asn: 2, country: 'FR', region: 'eu' });
    const sameRegion = local('n3', { asn: 3, country: 'DE', region: 'eu' });
    const anyone = local('n4', { asn: 4, country: 'US', region: 'us' });
    for (const m of [me, anyone, sameRegion, sameCountry, sameAsn]) swarm.add(m);
    expect(swarm.pickTargets(me, 4, 0, Math.random)).toEqual([sameAsn, sameCountry, sameRegion, anyone]);
    expect(swarm.pickTargets(me, 2, 0, Math.random)).toEqual([sameAsn, sameCountry]);
  });

  it('prefers the nearest playback position among equally near peers', () => {
    const swarm = new Swarm<string>(IH);
    const me = local('n0', { position: 1000 });
    swarm.add(me);
    const byPosition = [990, 1500, 1001, 2000, 400, 1012].map((position) => local('n0', { position }));
    for (const m of byPosition) swarm.add(m);
    const picked = swarm.pickTargets(me, 3, 0, Math.random).map((m) => m.profile.position);
    expect(picked).toEqual([1001, 990, 1012]);
  });

  it('does work bounded by the offers, not the swarm size', () => {
    const swarm = new Swarm<string>(IH);
    for (let i = 0; i < 50_000; i++) swarm.add(local(`n${i}`));
    const me = local('lonely');
    swarm.add(me);
    let draws = 0;
    const counting = () => {
      draws++;
      return Math.random();
    };
    swarm.pickTargets(me, 10, 0, counting);
    // One draw per sampled member plus one per ranked candidate: 2 × 30, never 50,000.
    expect(draws).toBeLessThanOrEqual(2 * 30);
  });

  it('with NAT-aware matching, skips pairs that failed and prefers peers that connect for a hard-to-reach one', () => {
    const swarm = new Swarm<string>(IH);
    const me = local('n1');
    const failedWithMe = local('n2');
    const hard = local('n3');
    const reachable = local('n4');
    for (const m of [me, failedWithMe, hard, reachable]) swarm.add(m);
    me.reach = { ok: 0, failed: 3, failedWith: new Set([failedWithMe.peerId]) };
    hard.reach = { ok: 0, failed: 4, failedWith: new Set() };
    reachable.reach = { ok: 2, failed: 0, failedWith: new Set() };
    for (let i = 0; i < 20; i++) {
      expect(swarm.pickTargets(me, 3, 0, Math.random, true)).toEqual([reachable, hard]);
    }
    // Without it, every member is a target, in any order.
    expect(new Set(swarm.pickTargets(me, 3, 0, Math.random))).toEqual(new Set([failedWithMe, hard, reachable]));
    // A failure reported by the other side counts too.
    failedWithMe.reach = { ok: 1, failed: 1, failedWith: new Set([reachable.peerId]) };
    expect(swarm.pickTargets(reachable, 3, 0, Math.random, true)).not.toContain(failedWithMe);
  });
});
