import { jsonString } from '@shoal/protocol';
import { Bucket, type Slotted } from './bucket.js';
import { rankCandidates, type PeerProfile } from './ranking.js';
import { pairFailed, pairPenalty, type Reachability } from './reachability.js';

const TIER_ALL = 0;
const TIER_NETWORK = 1;
const TIER_ASN = 2;
const TIER_COUNTRY = 3;
const TIER_REGION = 4;

/** One peer of a swarm: connected to this node (`connection` set) or to another node (`node` set). */
export interface SwarmMember<C> extends Slotted {
  readonly infoHash: string;
  readonly peerId: string;
  /** `JSON.stringify(peerId)`, computed once and pasted into every relayed message. */
  readonly peerIdJson: string;
  readonly connection: C | undefined;
  readonly node: string | undefined;
  profile: PeerProfile;
  complete: boolean;
  /** Tracker clock (ms) of the last announce (local) or membership update (remote). */
  lastSeen: number;
  /** Connection outcomes the peer reported (local members of Shoal clients only). */
  reach: Reachability | undefined;
}

export function createMember<C>(
  infoHash: string,
  peerId: string,
  profile: PeerProfile,
  where: { connection: C } | { node: string },
  complete: boolean,
  now: number,
): SwarmMember<C> {
  return {
    infoHash,
    peerId,
    peerIdJson: jsonString(peerId),
    connection: 'connection' in where ? where.connection : undefined,
    node: 'node' in where ? where.node : undefined,
    profile,
    complete,
    lastSeen: now,
    reach: undefined,
    slots: [-1, -1, -1, -1, -1],
  };
}

/** Candidates examined per tier and per wanted target; bounds the work of an announce to O(offers). */
const OVERSAMPLE = 3;
const MIN_SAMPLE = 16;

/**
 * The peers of one swarm (one rendition of one stream), indexed by locality so that an announce finds nearby
 * peers without scanning: join, leave and re-announce are O(1), picking targets for k offers is O(k).
 * Local members are kept in least-recently-announced order, for eviction when the swarm is full.
 */
export class Swarm<C> {
  readonly infoHashJson: string;
  /** Set while the members other edge nodes hold are being loaded (cluster mode, new swarm). */
  loading: Promise<void> | undefined;
  private readonly local = new Map<string, SwarmMember<C>>();
  private readonly remote = new Map<string, SwarmMember<C>>();
  private readonly all = new Bucket<SwarmMember<C>>(TIER_ALL);
  private readonly byNetwork = new Map<string, Bucket<SwarmMember<C>>>();
  private readonly byAsn = new Map<number, Bucket<SwarmMember<C>>>();
  private readonly byCountry = new Map<string, Bucket<SwarmMember<C>>>();
  private readonly byRegion = new Map<string, Bucket<SwarmMember<C>>>();
  private completeCount = 0;

  constructor(readonly infoHash: string) {
    this.infoHashJson = jsonString(infoHash);
  }

  get size(): number {
    return this.all.size;
  }

  get localSize(): number {
    return this.local.size;
  }

  get remoteSize(): number {
    return this.remote.size;
  }

  get complete(): number {
    return this.completeCount;
  }

  get incomplete(): number {
    return this.all.size - this.completeCount;
  }

  get(peerId: string): SwarmMember<C> | undefined {
    return this.local.get(peerId) ?? this.remote.get(peerId);
  }

  /** Adds a member; the caller has checked that its peer id is not in the swarm. */
  add(member: SwarmMember<C>): void {
    (member.connection === undefined ? this.remote : this.local).set(member.peerId, member);
    this.index(member);
    if (member.complete) this.completeCount++;
  }

  remove(member: SwarmMember<C>): boolean {
    const map = member.connection === undefined ? this.remote : this.local;
    if (map.get(member.peerId) !== member) return false;
    map.delete(member.peerId);
    this.unindex(member);
    if (member.complete) this.completeCount--;
    return true;
  }

  /** Records a re-announce: new profile and completion, and moves a local member to the most-recent end. */
  refresh(member: SwarmMember<C>, profile: PeerProfile, complete: boolean, now: number): void {
    const p = member.profile;
    const moved = p.network !== profile.network || p.asn !== profile.asn || p.country !== profile.country || p.region !== profile.region;
    if (moved) this.unindex(member);
    member.profile = profile;
    if (moved) this.index(member);
    if (complete !== member.complete) {
      this.completeCount += complete ? 1 : -1;
      member.complete = complete;
    }
    member.lastSeen = now;
    if (member.connection !== undefined) {
      this.local.delete(member.peerId);
      this.local.set(member.peerId, member);
    }
  }

  /** The local member that announced least recently: the one to evict when the swarm is full. */
  leastRecentLocal(): SwarmMember<C> | undefined {
    return this.local.values().next().value;
  }

  /** Every member; for maintenance off the announce path (node loss, shutdown) and tests. */
  members(): SwarmMember<C>[] {
    return [...this.local.values(), ...this.remote.values()];
  }

  /**
   * Up to `want` other members to send the announcer's offers to, nearest first (see `rankCandidates`).
   * Walks the locality tiers from nearest, sampling a bounded number of members from each, and stops at the
   * first tier that yields enough: O(want) whatever the swarm size. Within a large tier the nearest playback
   * positions are found among a random sample of 3 × want (at least 16) members, not the whole tier.
   * With `natAware`, members the announcer failed to connect to are skipped, and pairs likely to connect
   * are preferred within a tier (see `reachability.ts`).
   */
  pickTargets(announcer: SwarmMember<C>, want: number, now: number, random: () => number, natAware = false): SwarmMember<C>[] {
    if (want <= 0 || this.all.size <= 1) return [];
    const profile = announcer.profile;
    const sampleSize = Math.max(want * OVERSAMPLE, MIN_SAMPLE);
    const seen = new Set<SwarmMember<C>>([announcer]);
    const candidates: SwarmMember<C>[] = [];
    const take = (member: SwarmMember<C>): void => {
      if (seen.has(member)) return;
      seen.add(member);
      if (natAware && pairFailed(announcer.peerId, announcer.reach, member.peerId, member.reach)) return;
      candidates.push(member);
    };
    const tiers = [
      this.byNetwork.get(profile.network),
      profile.asn === undefined ? undefined : this.byAsn.get(profile.asn),
      profile.country === undefined ? undefined : this.byCountry.get(profile.country),
      this.byRegion.get(profile.region),
      this.all,
    ];
    for (const bucket of tiers) {
      if (bucket === undefined) continue;
      bucket.sample(sampleSize, random, take);
      if (candidates.length >= want) break;
    }
    return rankCandidates(profile, candidates, want, now, random, natAware ? (member) => pairPenalty(announcer.reach, member.reach) : undefined);
  }

  private index(member: SwarmMember<C>): void {
    const p = member.profile;
    this.all.add(member);
    bucketOf(this.byNetwork, p.network, TIER_NETWORK).add(member);
    if (p.asn !== undefined) bucketOf(this.byAsn, p.asn, TIER_ASN).add(member);
    if (p.country !== undefined) bucketOf(this.byCountry, p.country, TIER_COUNTRY).add(member);
    bucketOf(this.byRegion, p.region, TIER_REGION).add(member);
  }

  private unindex(member: SwarmMember<C>): void {
    const p = member.profile;
    this.all.remove(member);
    leave(this.byNetwork, p.network, member);
    if (p.asn !== undefined) leave(this.byAsn, p.asn, member);
    if (p.country !== undefined) leave(this.byCountry, p.country, member);
    leave(this.byRegion, p.region, member);
  }
}

function bucketOf<K, C>(map: Map<K, Bucket<SwarmMember<C>>>, key: K, tier: number): Bucket<SwarmMember<C>> {
  let bucket = map.get(key);
  if (!bucket) {
    bucket = new Bucket(tier);
    map.set(key, bucket);
  }
  return bucket;
}

function leave<K, C>(map: Map<K, Bucket<SwarmMember<C>>>, key: K, member: SwarmMember<C>): void {
  const bucket = map.get(key);
  if (!bucket) return;
  bucket.remove(member);
  if (bucket.size === 0) map.delete(key);
}
