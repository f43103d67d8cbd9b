import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomTrackerId } from '@shoal/protocol';
import { FakeCluster } from '../../test/fake-cluster.js';
import type { PeerProfile } from './ranking.js';
import { TrackerStats } from './stats.js';
import { SwarmRegistry } from './swarm-registry.js';

const profile = (network = '4:203.0.113'): PeerProfile => ({ network, asn: undefined, country: undefined, region: 'r1', position: undefined, positionAt: 0, playing: true });
const record = (peerId: string) => ({ peerId, profile: profile('4:198.51.100'), complete: false });
const IH = randomTrackerId();
const TTL = 10_000;

function setup(options: { maxPeersPerSwarm?: number; cluster?: FakeCluster } = {}) {
  const stats = new TrackerStats();
  let clock = 0;
  const registry = new SwarmRegistry<string>(
    { maxPeersPerSwarm: options.maxPeersPerSwarm ?? 100, memberTtlMs: TTL, expiryIntervalMs: 1_000 },
    { cluster: options.cluster, stats, now: () => clock },
  );
  return { registry, stats, advance: (ms: number) => (clock += ms) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SwarmRegistry', () => {
  it('keeps each connection’s memberships and drops a swarm with its last local peer', () => {
    const { registry } = setup();
    const other = randomTrackerId();
    const a1 = registry.join('conn-a', IH, randomTrackerId(), profile(), false, 0);
    registry.join('conn-a', other, a1.peerId, profile(), true, 0);
    const b1 = registry.join('conn-b', IH, randomTrackerId(), profile(), false, 0);
    expect([registry.swarmCount, registry.localPeerCount, registry.membershipCount('conn-a'), registry.membershipCount('conn-b')]).toEqual([2, 3, 2, 1]);
    expect(registry.member(IH, b1.peerId)).toBe(b1);
    expect(registry.swarm(other)?.complete).toBe(1);

    registry.remove(b1);
    expect(registry.member(IH, b1.peerId)).toBeUndefined();
    expect(registry.membershipCount('conn-b')).toBe(0);
    registry.removeConnection('conn-a');
    expect([registry.swarmCount, registry.localPeerCount, registry.membershipCount('conn-a')]).toEqual([0, 0, 0]);
    // Removing twice, or a connection with nothing, changes nothing.
    registry.remove(a1);
    registry.removeConnection('conn-a');
    expect(registry.swarmCount).toBe(0);
  });

  it('evicts the least recently announced local member of a full swarm, keeping the swarm', () => {
    const { registry, stats } = setup({ maxPeersPerSwarm: 2 });
    const first = registry.join('conn-a', IH, randomTrackerId(), profile(), false, 0);
    const second = registry.join('conn-b', IH, randomTrackerId(), profile(), false, 1);
    registry.refresh(first, profile(), false, 2); // `second` is now the stalest
    const third = registry.join('conn-c', IH, randomTrackerId(), profile(), false, 3);
    expect(registry.member(IH, second.peerId)).toBeUndefined();
    expect([registry.member(IH, first.peerId), registry.member(IH, third.peerId)]).toEqual([first, third]);
    expect([stats.evictions, registry.membershipCount('conn-b')]).toEqual([1, 0]);

    const { registry: one } = setup({ maxPeersPerSwarm: 1 });
    one.join('conn-a', IH, randomTrackerId(), profile(), false, 0);
    const newcomer = one.join('conn-b', IH, randomTrackerId(), profile(), false, 1);
    expect([one.swarmCount, one.localPeerCount, one.member(IH, newcomer.peerId)]).toEqual([1, 1, newcomer]);
  });

  it('holds remote members only in swarms with local peers; local wins, only their node updates or removes them', () => {
    const { registry } = setup({ maxPeersPerSwarm: 2 });
    const [r1, r2, r3] = [randomTrackerId(), randomTrackerId(), randomTrackerId()];
    registry.upsertRemote(IH, 'node-b', record(r1), 0);
    expect(registry.swarmCount).toBe(0);

    const local = registry.join('conn-a', IH, randomTrackerId(), profile(), false, 0);
    registry.upsertRemote(IH, 'node-b', record(local.peerId), 0);
    expect(registry.member(IH, local.peerId)).toBe(local);
    registry.upsertRemote(IH, 'node-b', record(r1), 0);
    registry.upsertRemote(IH, 'node-b', { ...record(r1), complete: true }, 5);
    expect(registry.member(IH, r1)).toMatchObject({ node: 'node-b', complete: true, lastSeen: 5 });
    registry.upsertRemote(IH, 'node-c', record(r1), 6); // the peer moved to another node
    expect(registry.member(IH, r1)?.node).toBe('node-c');
    registry.upsertRemote(IH, 'node-b', record(r2), 0);
    registry.upsertRemote(IH, 'node-b', record(r3), 0); // over the remote limit
    expect([registry.remotePeerCount, registry.member(IH, r3)]).toEqual([2, undefined]);

    registry.removeRemote(IH, 'node-b', r1);
    expect(registry.member(IH, r1)).toBeDefined();
    registry.removeRemote(IH, 'node-c', r1);
    expect(registry.member(IH, r1)).toBeUndefined();
    registry.upsertRemote(IH, 'node-c', record(r3), 0);
    expect(registry.removeNode('node-b')).toBe(1);
    expect([registry.remotePeerCount, registry.member(IH, r3)?.node]).toEqual([1, 'node-c']);
    registry.remove(local);
    expect([registry.swarmCount, registry.remotePeerCount]).toEqual([0, 0]);
  });

  it('expires remote members not refreshed within the member TTL, on its own timer', () => {
    vi.useFakeTimers();
    const cluster = new FakeCluster();
    const { registry, advance } = setup({ cluster });
    const local = registry.join('conn-a', IH, randomTrackerId(), profile(), false, 0);
    const [stale, fresh] = [randomTrackerId(), randomTrackerId()];
    registry.upsertRemote(IH, 'node-b', record(stale), 0);
    registry.upsertRemote(IH, 'node-b', record(fresh), 0);
    advance(TTL);
    registry.upsertRemote(IH, 'node-b', record(fresh), TTL);
    vi.advanceTimersByTime(1_000);
    expect(registry.remotePeerCount).toBe(2);
    advance(1);
    vi.advanceTimersByTime(1_000);
    expect([registry.member(IH, stale), registry.member(IH, fresh)?.peerId, registry.member(IH, local.peerId)]).toEqual([undefined, fresh, local]);
    registry.close();
    advance(TTL);
    vi.advanceTimersByTime(10_000);
    expect(registry.member(IH, fresh)).toBeDefined();
  });

  it('follows a swarm in the cluster while it has local peers and publishes local joins, re-announces and leaves', () => {
    const cluster = new FakeCluster();
    const { registry, stats } = setup({ cluster });
    const member = registry.join('conn-a', IH, randomTrackerId(), profile(), false, 0);
    registry.refresh(member, profile('4:192.0.2'), true, 1);
    registry.upsertRemote(IH, 'node-b', record(randomTrackerId()), 1);
    registry.removeConnection('conn-a');
    expect(cluster.calls).toEqual([
      { kind: 'watch', infoHash: IH },
      { kind: 'member', infoHash: IH, record: { peerId: member.peerId, profile: profile(), complete: false } },
      { kind: 'member', infoHash: IH, record: { peerId: member.peerId, profile: profile('4:192.0.2'), complete: true } },
      { kind: 'leave', infoHash: IH, peerId: member.peerId },
      { kind: 'unwatch', infoHash: IH },
    ]);
    expect([stats.clusterOut.member, stats.clusterOut.leave, registry.remotePeerCount]).toEqual([2, 1, 0]);
    registry.close();
  });
});
