import type { Logger } from 'pino';
import {
  formatAnnounceReply,
  formatFailure,
  formatRelayedAnswer,
  formatRelayedOffer,
  formatScrapeReply,
  jsonString,
  parseTrackerRequest,
  type AnnounceRequest,
  type AnswerRequest,
  type ScrapeRequest,
  type ShoalAnnounceExtension,
  type TrackerParseLimits,
} from '@shoal/protocol';
import type { ClusterAdapter, ClusterSink, MemberRecord, RoutedSignal } from '../cluster/cluster.js';
import { TRACKER_REJECTIONS, type TrackerRejectReason } from '../errors.js';
import { networkKey } from '../net/client-address.js';
import { RATE_VERDICTS, takeToken } from '../net/rate-limit.js';
import type { EdgeOptions } from '../options.js';
import type { Channel, ChannelHandler, TransportRejectReason } from './channel.js';
import { TrackerConnection, type Locality } from './connection.js';
import type { GeoLookup } from './geo.js';
import { ConnectionIceServers } from './ice-servers.js';
import type { PeerProfile } from './ranking.js';
import { updateReachability } from './reachability.js';
import type { TrackerStats } from './stats.js';
import type { Swarm, SwarmMember } from './swarm.js';
import type { SwarmRegistry } from './swarm-registry.js';

type Member = SwarmMember<TrackerConnection>;

export interface TrackerCoreDeps {
  readonly log: Logger;
  readonly geo: GeoLookup | undefined;
  readonly cluster: ClusterAdapter | undefined;
  readonly registry: SwarmRegistry<TrackerConnection>;
  readonly stats: TrackerStats;
  readonly now: () => number;
  readonly random: () => number;
}

/**
 * The tracker proper: what the WebTorrent tracker protocol means. Announces join swarms and have their offers
 * relayed to nearby peers, answers go back to the offerer, scrapes count; per-connection limits answer or close
 * with the coded errors of `TRACKER_REJECTIONS`. Peers on other edge nodes are reached through the cluster.
 * It holds no socket: clients come and go through a transport's {@link ChannelHandler} calls, and membership
 * is the {@link SwarmRegistry}'s.
 */
export class TrackerCore implements ChannelHandler<TrackerConnection>, ClusterSink {
  private readonly parseLimits: TrackerParseLimits;
  /** STUN-only extension, the same for every connection; TURN credentials are made per connection. */
  private readonly sharedIce: ConnectionIceServers | undefined;
  private readonly log: Logger;
  private readonly geo: GeoLookup | undefined;
  private readonly cluster: ClusterAdapter | undefined;
  private readonly registry: SwarmRegistry<TrackerConnection>;
  private readonly stats: TrackerStats;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    private readonly options: EdgeOptions,
    deps: TrackerCoreDeps,
  ) {
    this.log = deps.log;
    this.geo = deps.geo;
    this.cluster = deps.cluster;
    this.registry = deps.registry;
    this.stats = deps.stats;
    this.now = deps.now;
    this.random = deps.random;
    this.parseLimits = {
      maxOffers: options.maxOffersPerAnnounce,
      maxSdpLength: options.maxSdpLength,
      maxScrapeHashes: options.maxScrapeHashes,
    };
    this.sharedIce = options.turnUrls.length === 0 && options.stunUrls.length > 0 ? new ConnectionIceServers(options) : undefined;
  }

  // ChannelHandler: clients, as the transport brings them.

  opened(channel: Channel, address: string): TrackerConnection {
    const geo = this.geo?.lookup(address);
    const locality: Locality = { address, network: networkKey(address), asn: geo?.asn, country: geo?.country };
    return new TrackerConnection(channel, locality, this.options.messageBurst, this.now());
  }

  message(connection: TrackerConnection, text: string): void {
    if (connection.closed) return;
    const now = this.now();
    const verdict = takeToken(connection.rate, this.options.messagesPerSecond, this.options.messageBurst, now);
    if (verdict !== RATE_VERDICTS.allow) {
      this.reject(connection, verdict === RATE_VERDICTS.abuse ? 'rate_limit_abuse' : 'rate_limited');
      return;
    }
    try {
      const parsed = parseTrackerRequest(text, this.parseLimits);
      if (!parsed.ok) {
        this.reject(connection, parsed.error.reason, parsed.error.action, parsed.error.infoHash);
        return;
      }
      const request = parsed.request;
      if (request.kind === 'announce') this.announce(connection, request, now);
      else if (request.kind === 'answer') this.answer(connection, request, now);
      else this.scrape(connection, request);
    } catch (error) {
      this.log.error({ err: error, address: connection.locality.address }, 'tracker message handling failed');
      this.reject(connection, 'internal_error');
    }
  }

  /** Leaves the connection's swarms; safe to call more than once. */
  closed(connection: TrackerConnection): void {
    if (connection.closed) return;
    this.registry.removeConnection(connection);
    connection.dispose();
  }

  rejected(reason: TransportRejectReason): void {
    this.stats.rejected[reason]++;
  }

  // The protocol.

  private announce(connection: TrackerConnection, request: AnnounceRequest, now: number): void {
    this.stats.in.announce++;
    let member = this.registry.member(request.infoHash, request.peerId);
    if (member !== undefined && member.connection !== connection) {
      if (member.connection !== undefined) {
        this.reject(connection, 'peer_id_taken', 'announce', request.infoHash);
        return;
      }
      // The id is known on another node: the viewer moved here (e.g. reconnected through another edge).
      this.registry.remove(member);
      member = undefined;
    }
    if (request.event === 'stopped') {
      if (member) this.registry.remove(member);
      const swarm = this.registry.swarm(request.infoHash);
      this.send(connection, formatAnnounceReply(jsonString(request.infoHash), this.options.announceIntervalSeconds, swarm?.complete ?? 0, swarm?.incomplete ?? 0));
      this.stats.out.announce++;
      return;
    }
    const profile = this.profileOf(connection.locality, request.extension, now);
    const complete = request.event === 'completed' || request.left === 0 || (member?.complete ?? false);
    if (member === undefined) {
      if (this.registry.membershipCount(connection) >= this.options.maxSwarmsPerConnection) {
        this.reject(connection, 'too_many_swarms', 'announce', request.infoHash);
        return;
      }
      member = this.registry.join(connection, request.infoHash, request.peerId, profile, complete, now);
    } else {
      this.registry.refresh(member, profile, complete, now);
    }
    member.reach = updateReachability(member.reach, request.extension?.reach, request.extension?.failedPeers);
    const swarm = this.registry.swarm(request.infoHash)!;
    if (swarm.loading) {
      // The swarm is new here and its members on other nodes are still loading: answer and relay once they are
      // known, so the reply counts them and the first offers can reach them.
      const joined = member;
      void swarm.loading.then(() => {
        if (!connection.closed && swarm.get(joined.peerId) === joined) this.replyAndRelay(connection, swarm, joined, request, this.now());
      });
      return;
    }
    this.replyAndRelay(connection, swarm, member, request, now);
  }

  private replyAndRelay(connection: TrackerConnection, swarm: Swarm<TrackerConnection>, member: Member, request: AnnounceRequest, now: number): void {
    this.send(connection, formatAnnounceReply(swarm.infoHashJson, this.options.announceIntervalSeconds, swarm.complete, swarm.incomplete, this.iceExtension(connection, now)));
    this.stats.out.announce++;
    if (request.offers.length > 0) this.relayOffers(swarm, member, request, now);
  }

  /** The ICE servers this connection should use, as the announce reply's `shoal` JSON; undefined when none are configured. */
  private iceExtension(connection: TrackerConnection, now: number): string | undefined {
    if (this.sharedIce) return this.sharedIce.extensionJson(now);
    if (this.options.turnUrls.length === 0) return undefined;
    connection.ice ??= new ConnectionIceServers(this.options);
    return connection.ice.extensionJson(now);
  }

  private relayOffers(swarm: Swarm<TrackerConnection>, member: Member, request: AnnounceRequest, now: number): void {
    const offers = request.offers;
    const want = Math.min(offers.length, request.numwant ?? offers.length);
    const peers = swarm.pickTargets(member, want, now, this.random, this.options.natAwareMatching);
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]!;
      const offer = offers[i]!;
      if (peer.connection !== undefined) {
        this.deliverOffer(peer.connection, swarm.infoHashJson, member.peerIdJson, member.peerId, peer.peerId, offer.offer_id, offer.offer.sdp, now);
      } else if (this.cluster && peer.node !== undefined) {
        this.stats.clusterOut.offer++;
        this.cluster.sendOffer(peer.node, { infoHash: request.infoHash, from: member.peerId, to: peer.peerId, offerId: offer.offer_id, sdp: offer.offer.sdp });
      }
    }
  }

  private deliverOffer(to: TrackerConnection, infoHashJson: string, fromJson: string, from: string, toPeerId: string, offerId: string, sdp: string, now: number): void {
    if (!this.send(to, formatRelayedOffer(infoHashJson, fromJson, offerId, sdp))) return;
    to.rememberOffer(offerId, from, toPeerId, now, this.options.maxPendingOffers);
    this.stats.out.offer++;
  }

  private answer(connection: TrackerConnection, request: AnswerRequest, now: number): void {
    this.stats.in.answer++;
    if (!connection.takeOffer(request.offerId, request.toPeerId, request.peerId, now, this.options.offerTimeoutMs)) {
      this.reject(connection, 'unexpected_answer', 'announce', request.infoHash);
      return;
    }
    const swarm = this.registry.swarm(request.infoHash);
    const offerer = swarm?.get(request.toPeerId);
    if (!swarm || !offerer) {
      this.stats.undeliverable++;
      return;
    }
    if (offerer.connection !== undefined) {
      if (this.send(offerer.connection, formatRelayedAnswer(swarm.infoHashJson, jsonString(request.peerId), request.offerId, request.answer.sdp))) {
        this.stats.out.answer++;
      }
    } else if (this.cluster && offerer.node !== undefined) {
      this.stats.clusterOut.answer++;
      this.cluster.sendAnswer(offerer.node, { infoHash: request.infoHash, from: request.peerId, to: request.toPeerId, offerId: request.offerId, sdp: request.answer.sdp });
    }
  }

  private scrape(connection: TrackerConnection, request: ScrapeRequest): void {
    this.stats.in.scrape++;
    const files = request.infoHashes.map((infoHash) => {
      const swarm = this.registry.swarm(infoHash);
      return { infoHash, complete: swarm?.complete ?? 0, incomplete: swarm?.incomplete ?? 0 };
    });
    this.send(connection, formatScrapeReply(files, this.options.announceIntervalSeconds));
    this.stats.out.scrape++;
  }

  private profileOf(locality: Locality, extension: ShoalAnnounceExtension | undefined, now: number): PeerProfile {
    return {
      network: locality.network,
      asn: locality.asn,
      country: locality.country,
      region: this.options.region,
      position: extension?.position,
      positionAt: now,
      playing: extension?.playing ?? true,
    };
  }

  private send(connection: TrackerConnection, text: string): boolean {
    return !connection.closed && connection.channel.send(text);
  }

  private reject(connection: TrackerConnection, reason: TrackerRejectReason, action?: 'announce' | 'scrape', infoHash?: string): void {
    this.stats.rejected[reason]++;
    const rejection: (typeof TRACKER_REJECTIONS)[TrackerRejectReason] = TRACKER_REJECTIONS[reason];
    if (rejection.response === 'failure') {
      if (this.send(connection, formatFailure(rejection.message, rejection.code, action, infoHash))) this.stats.out.failure++;
    } else if (rejection.response === 'close') {
      connection.channel.close(rejection.closeCode, rejection.code);
    }
  }

  // ClusterSink: what other nodes tell us.

  remoteMember(infoHash: string, node: string, record: MemberRecord): void {
    this.stats.clusterIn.member++;
    this.registry.upsertRemote(infoHash, node, record, this.now());
  }

  remoteLeave(infoHash: string, node: string, peerId: string): void {
    this.stats.clusterIn.leave++;
    this.registry.removeRemote(infoHash, node, peerId);
  }

  remoteNodeGone(node: string): void {
    const removed = this.registry.removeNode(node);
    this.log.info({ node, peers: removed }, 'edge node gone; its peers were removed');
  }

  remoteOffer(signal: RoutedSignal): void {
    this.stats.clusterIn.offer++;
    const swarm = this.registry.swarm(signal.infoHash);
    const target = swarm?.get(signal.to);
    if (!swarm || target?.connection === undefined) return;
    this.deliverOffer(target.connection, swarm.infoHashJson, jsonString(signal.from), signal.from, signal.to, signal.offerId, signal.sdp, this.now());
  }

  remoteAnswer(signal: RoutedSignal): void {
    this.stats.clusterIn.answer++;
    const swarm = this.registry.swarm(signal.infoHash);
    const target = swarm?.get(signal.to);
    if (!swarm || target?.connection === undefined) {
      this.stats.undeliverable++;
      return;
    }
    if (this.send(target.connection, formatRelayedAnswer(swarm.infoHashJson, jsonString(signal.from), signal.offerId, signal.sdp))) this.stats.out.answer++;
  }
}
