import type { SessionDescription, ShoalAnnounceExtension, TrackerOffer } from '@shoal/protocol';
import type { Signaling, SignalingHandlers, SignalingSession } from '@shoal/player-sdk';
import { DEFAULT_EDGE_OPTIONS } from '../../edge/src/options.js';
import { updateReachability } from '../../edge/src/tracker/reachability.js';
import { createMember, Swarm, type SwarmMember } from '../../edge/src/tracker/swarm.js';
import type { VirtualClock } from './virtual-clock.js';

/** Where a viewer is, for the tracker's nearby matching. */
export interface ViewerPlace {
  /** One-way delay between the viewer and the tracker, ms. */
  readonly delayMs: number;
  /** Its /24, as the edge would key it (viewers of one home network share it). */
  readonly network: string;
  readonly region: string;
}

interface Member {
  readonly handlers: SignalingHandlers;
  readonly place: ViewerPlace;
}

export interface TrackerCounts {
  /** Announces that reached the tracker. */
  announces: number;
  /** Messages viewers sent to the tracker (announces, answers). */
  received: number;
  /** Messages the tracker sent (announce replies, relayed offers and answers). */
  sent: number;
  offersRelayed: number;
  answersRelayed: number;
  /** Members dropped because the swarm was at the tracker's limit. */
  evictions: number;
}

export interface ModelTrackerOptions {
  /** Most members per swarm, as the edge's `maxPeersPerSwarm`: past it the least recently announced is dropped. */
  readonly maxPeersPerSwarm: number;
  readonly natAwareMatching: boolean;
  readonly random: () => number;
}

/**
 * The edge tracker's logic in memory, as signaling for model viewers: the edge's own swarm registry picks
 * whom each offer goes to (nearby first, NAT-aware, the edge's per-swarm limit), and every message takes the
 * viewer's delay to and from the tracker. No sockets, no JSON: what the model measures is matching and
 * message counts, not the tracker's CPU (see `npm run bench:tracker` for that).
 */
export class ModelTracker {
  private readonly swarms = new Map<string, Swarm<Member>>();
  readonly counts: TrackerCounts = { announces: 0, received: 0, sent: 0, offersRelayed: 0, answersRelayed: 0, evictions: 0 };
  private readonly options: ModelTrackerOptions;

  constructor(
    private readonly clock: VirtualClock,
    options: Partial<ModelTrackerOptions> = {},
  ) {
    this.options = { maxPeersPerSwarm: DEFAULT_EDGE_OPTIONS.maxPeersPerSwarm, natAwareMatching: DEFAULT_EDGE_OPTIONS.natAwareMatching, random: Math.random, ...options };
  }

  /** Signaling for one viewer at `place`. */
  signalingFor(place: ViewerPlace): Signaling {
    const sessions = new Set<SignalingSession>();
    return {
      join: (infoHash, peerId, handlers) => {
        const session = this.join(infoHash, peerId, { handlers, place });
        sessions.add(session);
        return session;
      },
      destroy: () => {
        for (const session of sessions) session.leave();
        sessions.clear();
      },
    };
  }

  /** Members of a swarm now. */
  swarmSize(infoHash: string): number {
    return this.swarms.get(infoHash)?.size ?? 0;
  }

  private join(infoHash: string, peerId: string, who: Member): SignalingSession {
    let left = false;
    const toTracker = (action: () => void): void => {
      this.counts.received++;
      this.clock.setTimeout(action, who.place.delayMs);
    };
    return {
      announce: (offers: readonly TrackerOffer[], extension?: ShoalAnnounceExtension) => {
        if (left) return;
        toTracker(() => this.onAnnounce(infoHash, peerId, who, offers, extension));
      },
      answer: (toPeerId: string, offerId: string, answer: SessionDescription) => {
        if (left) return;
        toTracker(() => this.onAnswer(infoHash, peerId, toPeerId, offerId, answer));
      },
      leave: () => {
        if (left) return;
        left = true;
        toTracker(() => {
          const swarm = this.swarms.get(infoHash);
          const member = swarm?.get(peerId);
          if (swarm && member && member.connection === who) this.remove(infoHash, swarm, member);
        });
      },
    };
  }

  /** Delivers a message from the tracker to a member, after its delay. */
  private toViewer(member: Member, deliver: (handlers: SignalingHandlers) => void): void {
    this.counts.sent++;
    this.clock.setTimeout(() => deliver(member.handlers), member.place.delayMs);
  }

  private remove(infoHash: string, swarm: Swarm<Member>, member: SwarmMember<Member>): void {
    swarm.remove(member);
    if (swarm.size === 0) this.swarms.delete(infoHash);
  }

  private onAnnounce(infoHash: string, peerId: string, who: Member, offers: readonly TrackerOffer[], extension: ShoalAnnounceExtension | undefined): void {
    const now = this.clock.now();
    this.counts.announces++;
    let swarm = this.swarms.get(infoHash);
    if (!swarm) {
      swarm = new Swarm<Member>(infoHash);
      this.swarms.set(infoHash, swarm);
    }
    const profile = {
      network: who.place.network,
      asn: undefined,
      country: undefined,
      region: who.place.region,
      position: extension?.position,
      positionAt: now,
      playing: extension?.playing ?? true,
    };
    let member = swarm.get(peerId);
    if (member === undefined) {
      if (swarm.localSize >= this.options.maxPeersPerSwarm) {
        this.counts.evictions++;
        swarm.remove(swarm.leastRecentLocal()!);
      }
      member = createMember(infoHash, peerId, profile, { connection: who }, false, now);
      swarm.add(member);
    } else {
      swarm.refresh(member, profile, false, now);
    }
    member.reach = updateReachability(member.reach, extension?.reach, extension?.failedPeers);
    const size = swarm.size;
    this.toViewer(who, (handlers) => {
      handlers.onSwarmSize?.(size);
      handlers.onIceServers?.(undefined);
    });
    const targets = swarm.pickTargets(member, offers.length, now, this.options.random, this.options.natAwareMatching);
    targets.forEach((target, i) => {
      const offer = offers[i]!;
      this.counts.offersRelayed++;
      this.toViewer(target.connection!, (handlers) => handlers.onOffer(peerId, offer.offer_id, offer.offer));
    });
  }

  private onAnswer(infoHash: string, fromPeerId: string, toPeerId: string, offerId: string, answer: SessionDescription): void {
    const offerer = this.swarms.get(infoHash)?.get(toPeerId);
    if (!offerer?.connection) return;
    this.counts.answersRelayed++;
    this.toViewer(offerer.connection, (handlers) => handlers.onAnswer(fromPeerId, offerId, answer));
  }
}
