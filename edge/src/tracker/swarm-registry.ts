import type { ClusterAdapter, MemberRecord } from '../cluster/cluster.js';
import type { PeerProfile } from './ranking.js';
import type { TrackerStats } from './stats.js';
import { createMember, Swarm, type SwarmMember } from './swarm.js';

export interface SwarmRegistryOptions {
  /** Most local members per swarm (the least recently announced is evicted past it), and likewise remote ones. */
  readonly maxPeersPerSwarm: number;
  /** A remote member not refreshed for this long is gone (its node missed telling us). */
  readonly memberTtlMs: number;
  /** How often remote members are checked for expiry. */
  readonly expiryIntervalMs: number;
}

export interface SwarmRegistryDeps {
  /** Shares local memberships with other edge nodes and brings theirs; none means standalone. */
  readonly cluster?: ClusterAdapter | undefined;
  /** Counts evictions and membership messages published. */
  readonly stats: TrackerStats;
  /** Clock in ms, for expiry. */
  readonly now: () => number;
}

/**
 * Who is in which swarm, connected here (`C` is the tracker's connection) or to other edge nodes: the one owner
 * of membership. A node keeps only swarms it has local peers in; creating one follows it in the cluster (its
 * remote members load meanwhile, see `Swarm.loading`), dropping the last local peer forgets it. Local joins,
 * re-announces and leaves are published to the cluster; remote members not refreshed in time expire.
 */
export class SwarmRegistry<C> {
  private readonly swarms = new Map<string, Swarm<C>>();
  /** Each connection's memberships (swarm × peer id), few by the swarms-per-connection limit. */
  private readonly byConnection = new Map<C, SwarmMember<C>[]>();
  private readonly cluster: ClusterAdapter | undefined;
  private readonly stats: TrackerStats;
  private readonly expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: SwarmRegistryOptions,
    { cluster, stats, now }: SwarmRegistryDeps,
  ) {
    this.cluster = cluster;
    this.stats = stats;
    // Remote members only come from a cluster.
    if (cluster) {
      this.expiryTimer = setInterval(() => this.expireRemote(now()), options.expiryIntervalMs);
      this.expiryTimer.unref();
    }
  }

  get swarmCount(): number {
    return this.swarms.size;
  }

  /** Memberships of peers connected to this node, over all swarms. */
  get localPeerCount(): number {
    let count = 0;
    for (const swarm of this.swarms.values()) count += swarm.localSize;
    return count;
  }

  /** Peers of other nodes known in this node's swarms. */
  get remotePeerCount(): number {
    let count = 0;
    for (const swarm of this.swarms.values()) count += swarm.remoteSize;
    return count;
  }

  swarm(infoHash: string): Swarm<C> | undefined {
    return this.swarms.get(infoHash);
  }

  member(infoHash: string, peerId: string): SwarmMember<C> | undefined {
    return this.swarms.get(infoHash)?.get(peerId);
  }

  /** How many swarms `connection` has joined (with any peer id). */
  membershipCount(connection: C): number {
    return this.byConnection.get(connection)?.length ?? 0;
  }

  /**
   * Adds a local member (the caller has checked that the peer id is free in the swarm), creating the swarm or
   * evicting its least recently announced local member when it is full.
   */
  join(connection: C, infoHash: string, peerId: string, profile: PeerProfile, complete: boolean, now: number): SwarmMember<C> {
    let swarm = this.swarms.get(infoHash);
    if (swarm === undefined) {
      swarm = this.create(infoHash);
    } else if (swarm.localSize >= this.options.maxPeersPerSwarm) {
      this.stats.evictions++;
      // The newcomer takes the place: the swarm stays even if that was its only local member.
      this.removeLocal(swarm, swarm.leastRecentLocal()!, true);
    }
    const member = createMember(infoHash, peerId, profile, { connection }, complete, now);
    swarm.add(member);
    const memberships = this.byConnection.get(connection);
    if (memberships) memberships.push(member);
    else this.byConnection.set(connection, [member]);
    this.publish(member);
    return member;
  }

  /** Records a local member's re-announce. */
  refresh(member: SwarmMember<C>, profile: PeerProfile, complete: boolean, now: number): void {
    this.swarms.get(member.infoHash)?.refresh(member, profile, complete, now);
    this.publish(member);
  }

  /** Removes a member, local or remote; a swarm left without local peers is dropped. */
  remove(member: SwarmMember<C>): void {
    const swarm = this.swarms.get(member.infoHash);
    if (!swarm) return;
    if (member.connection === undefined) swarm.remove(member);
    else this.removeLocal(swarm, member, false);
  }

  /** Removes every membership of a connection that is gone. */
  removeConnection(connection: C): void {
    const memberships = this.byConnection.get(connection);
    if (!memberships) return;
    for (const member of [...memberships]) this.remove(member);
    this.byConnection.delete(connection);
  }

  /** A member on another node joined or re-announced; ignored for swarms without local peers here. */
  upsertRemote(infoHash: string, node: string, record: MemberRecord, now: number): void {
    const swarm = this.swarms.get(infoHash);
    if (!swarm) return;
    const existing = swarm.get(record.peerId);
    if (existing?.connection !== undefined) return; // our own, connected here: local wins
    if (existing && existing.node === node) {
      swarm.refresh(existing, record.profile, record.complete, now);
      return;
    }
    if (existing) swarm.remove(existing);
    if (swarm.remoteSize >= this.options.maxPeersPerSwarm) return;
    swarm.add(createMember(infoHash, record.peerId, record.profile, { node }, record.complete, now));
  }

  /** A member on another node left; only that node can say so. */
  removeRemote(infoHash: string, node: string, peerId: string): void {
    const swarm = this.swarms.get(infoHash);
    const member = swarm?.get(peerId);
    if (swarm && member && member.node === node) swarm.remove(member);
  }

  /** Another node is gone: so are all its members. Returns how many were removed. */
  removeNode(node: string): number {
    let removed = 0;
    for (const swarm of this.swarms.values()) {
      if (swarm.remoteSize === 0) continue;
      for (const member of swarm.members()) {
        if (member.node === node && swarm.remove(member)) removed++;
      }
    }
    return removed;
  }

  /** Remote members not refreshed within the member TTL are gone (their node missed telling us). */
  expireRemote(now: number): void {
    for (const swarm of this.swarms.values()) {
      if (swarm.remoteSize === 0) continue;
      for (const member of swarm.members()) {
        if (member.connection === undefined && now - member.lastSeen > this.options.memberTtlMs) swarm.remove(member);
      }
    }
  }

  /** Stops the expiry timer. Idempotent. */
  close(): void {
    clearInterval(this.expiryTimer);
  }

  private create(infoHash: string): Swarm<C> {
    const swarm = new Swarm<C>(infoHash);
    this.swarms.set(infoHash, swarm);
    if (this.cluster) {
      swarm.loading = this.cluster.watch(infoHash).then(() => {
        swarm.loading = undefined;
      });
    }
    return swarm;
  }

  private removeLocal(swarm: Swarm<C>, member: SwarmMember<C>, keepSwarm: boolean): void {
    if (!swarm.remove(member)) return;
    const memberships = this.byConnection.get(member.connection!);
    const index = memberships?.indexOf(member) ?? -1;
    if (index >= 0) memberships!.splice(index, 1);
    if (memberships?.length === 0) this.byConnection.delete(member.connection!);
    if (this.cluster) {
      this.stats.clusterOut.leave++;
      this.cluster.publishLeave(swarm.infoHash, member.peerId);
    }
    // A node only keeps swarms it has local peers in; the remote members of others are not needed.
    if (swarm.localSize === 0 && !keepSwarm) {
      this.swarms.delete(swarm.infoHash);
      this.cluster?.unwatch(swarm.infoHash);
    }
  }

  private publish(member: SwarmMember<C>): void {
    if (!this.cluster) return;
    this.stats.clusterOut.member++;
    this.cluster.publishMember(member.infoHash, { peerId: member.peerId, profile: member.profile, complete: member.complete });
  }
}
