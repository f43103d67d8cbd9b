import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  formatAnnounceReply,
  formatFailure,
  formatRelayedAnswer,
  formatRelayedOffer,
  formatScrapeReply,
  jsonString,
  parseTrackerRequest,
  TRACKER_CLOSE_CODES,
  type AnnounceRequest,
  type AnswerRequest,
  type ScrapeRequest,
  type ShoalAnnounceExtension,
  type TrackerParseLimits,
} from '@shoal/protocol';
import type { ClusterAdapter, ClusterSink, MemberRecord, RoutedSignal } from '../cluster/cluster.js';
import { TRACKER_REJECTIONS, type TrackerRejectReason } from '../errors.js';
import type { EdgeOptions } from '../options.js';
import { clientAddress, networkKey, trustedProxyList } from '../net/client-address.js';
import { TrackerConnection, type Locality } from './connection.js';
import { ConnectionIceServers } from './ice-servers.js';
import { updateReachability } from './reachability.js';
import type { GeoLookup } from './geo.js';
import { RATE_VERDICTS, takeToken } from '../net/rate-limit.js';
import type { PeerProfile } from './ranking.js';
import { TrackerStats } from './stats.js';
import { createMember, Swarm, type SwarmMember } from './swarm.js';

type Member = SwarmMember<TrackerConnection>;

export interface TrackerDeps {
  readonly log: Logger;
  /** GeoIP lookup for ASN/country matching; none means network and region only. */
  readonly geo?: GeoLookup | undefined;
  /** Shares swarms with other edge nodes; none means standalone. */
  readonly cluster?: ClusterAdapter | undefined;
  /** Clock in ms; tests move it. @default Date.now */
  readonly now?: () => number;
  /** Random draws for matching. @default Math.random */
  readonly random?: () => number;
}

const CONNECTION = Symbol('shoal.connection');
type TrackedSocket = WebSocket & { [CONNECTION]?: TrackerConnection; [TRACKER]?: Tracker };
const TRACKER = Symbol('shoal.tracker');

const WS_ERROR_REASONS: Record<string, TrackerRejectReason> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'frame_too_large',
  WS_ERR_INVALID_UTF8: 'bad_utf8',
};

// Shared listeners (`this` is the socket), so a connection costs no closures.
function onSocketMessage(this: TrackedSocket, data: RawData, isBinary: boolean): void {
  const connection = this[CONNECTION];
  if (connection) this[TRACKER]!.onMessage(connection, data, isBinary);
}
function onSocketPong(this: TrackedSocket): void {
  const connection = this[CONNECTION];
  if (connection) connection.alive = true;
}
function onSocketError(this: TrackedSocket, error: Error & { code?: string }): void {
  const connection = this[CONNECTION];
  if (connection) this[TRACKER]!.onSocketError(connection, error);
}
function onSocketClose(this: TrackedSocket): void {
  const connection = this[CONNECTION];
  if (connection) this[TRACKER]!.onClose(connection);
}

/**
 * The WebSocket signaling tracker: WebTorrent-compatible announces, offers relayed to nearby peers of the same
 * swarm, answers routed back, scrapes; with per-connection limits and, optionally, swarms shared with other edge
 * nodes through a {@link ClusterAdapter}. It owns no HTTP server: hand it upgrade requests with
 * {@link Tracker.handleUpgrade}.
 *
 * @example
 * const tracker = new Tracker(resolveEdgeOptions({ region: 'eu-west' }), { log: pino() });
 * server.on('upgrade', (req, socket, head) => tracker.handleUpgrade(req, socket, head) || socket.destroy());
 */
export class Tracker implements ClusterSink {
  readonly stats = new TrackerStats();
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<TrackerConnection>();
  private readonly swarms = new Map<string, Swarm<TrackerConnection>>();
  private readonly paths: ReadonlySet<string>;
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;
  private readonly trusted: BlockList | undefined;
  private readonly parseLimits: TrackerParseLimits;
  private readonly log: Logger;
  private readonly geo: GeoLookup | undefined;
  private readonly cluster: ClusterAdapter | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sweepTimer: NodeJS.Timeout;
  /** STUN-only extension, the same for every connection; TURN credentials are made per connection. */
  private readonly sharedIce: ConnectionIceServers | undefined;
  private remotePeers = 0;
  /** Connections whose socket is corked until the flush at the end of this event-loop turn. */
  private readonly corked: TrackerConnection[] = [];
  private flushScheduled = false;
  private readonly flush = (): void => {
    this.flushScheduled = false;
    for (const connection of this.corked) {
      connection.corked = false;
      connection.socket.uncork();
    }
    this.corked.length = 0;
  };
  private destroying: Promise<void> | undefined;

  constructor(
    private readonly options: EdgeOptions,
    deps: TrackerDeps,
  ) {
    this.log = deps.log;
    this.geo = deps.geo;
    this.cluster = deps.cluster;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.paths = new Set(options.trackerPaths);
    this.anyOrigin = options.allowedOrigins.includes('*');
    this.origins = new Set(options.allowedOrigins);
    this.trusted = options.trustedProxies.length > 0 ? trustedProxyList(options.trustedProxies) : undefined;
    this.parseLimits = {
      maxOffers: options.maxOffersPerAnnounce,
      maxSdpLength: options.maxSdpLength,
      maxScrapeHashes: options.maxScrapeHashes,
    };
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: options.maxFrameBytes,
    });
    this.sharedIce = options.turnUrls.length === 0 && options.stunUrls.length > 0 ? new ConnectionIceServers(options) : undefined;
    this.sweepTimer = setInterval(() => this.sweep(), options.pingIntervalMs);
    this.sweepTimer.unref();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get swarmCount(): number {
    return this.swarms.size;
  }

  /** Peers connected to this node, over all swarms. */
  get localPeerCount(): number {
    let count = 0;
    for (const connection of this.connections) count += connection.members.length;
    return count;
  }

  /** Peers of other nodes known in this node's swarms. */
  get remotePeerCount(): number {
    return this.remotePeers;
  }

  /** Swarm sizes, for tests and `/healthz`; undefined for a swarm this node has no local peer in. */
  swarmStats(infoHash: string): { complete: number; incomplete: number; local: number; remote: number } | undefined {
    const swarm = this.swarms.get(infoHash);
    return swarm && { complete: swarm.complete, incomplete: swarm.incomplete, local: swarm.localSize, remote: swarm.remoteSize };
  }

  /**
   * Takes a WebSocket upgrade request if its path is one of `trackerPaths`; returns false (and leaves the
   * socket alone) otherwise. A refused handshake (Origin not allowed, connection limit) is answered over HTTP.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    if (!this.paths.has(query >= 0 ? url.slice(0, query) : url)) return false;
    socket.on('error', noop);
    if (this.destroying) {
      socket.destroy();
      return true;
    }
    if (!this.anyOrigin && !this.origins.has(req.headers.origin ?? '')) {
      this.refuseHandshake(socket, 'origin_not_allowed');
      return true;
    }
    if (this.connections.size >= this.options.maxConnections) {
      this.refuseHandshake(socket, 'server_full');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
    return true;
  }

  private refuseHandshake(socket: Duplex, reason: 'origin_not_allowed' | 'server_full'): void {
    this.stats.rejected[reason]++;
    const rejection = TRACKER_REJECTIONS[reason];
    const body = JSON.stringify({ error: { code: rejection.code, message: rejection.message } });
    const status = rejection.status === 403 ? '403 Forbidden' : '503 Service Unavailable';
    socket.once('finish', () => socket.destroy());
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const address = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.trusted);
    const geo = this.geo?.lookup(address);
    const locality: Locality = { address, network: networkKey(address), asn: geo?.asn, country: geo?.country };
    const connection = new TrackerConnection(ws, req.socket, locality, this.options.messageBurst, this.now());
    const socket = ws as TrackedSocket;
    socket[CONNECTION] = connection;
    socket[TRACKER] = this;
    this.connections.add(connection);
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('error', onSocketError);
    ws.on('close', onSocketClose);
    if (this.destroying) ws.close(TRACKER_CLOSE_CODES.GOING_AWAY);
  }

  /** @internal called by the shared socket listener. */
  onMessage(connection: TrackerConnection, data: RawData, isBinary: boolean): void {
    if (connection.closed) return;
    const now = this.now();
    connection.lastMessageAt = now;
    if (isBinary) {
      this.reject(connection, 'binary_frame');
      return;
    }
    const verdict = takeToken(connection.rate, this.options.messagesPerSecond, this.options.messageBurst, now);
    if (verdict !== RATE_VERDICTS.allow) {
      this.reject(connection, verdict === RATE_VERDICTS.abuse ? 'rate_limit_abuse' : 'rate_limited');
      return;
    }
    try {
      const text = Buffer.isBuffer(data) ? data.toString() : Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data).toString();
      const parsed = parseTrackerRequest(text, this.parseLimits);
      if (!parsed.ok) {
        this.reject(connection, parsed.error.reason, parsed.error.action, parsed.error.infoHash);
        return;
      }
      const request = parsed.request;
      if (request.kind === 'announce') this.onAnnounce(connection, request, now);
      else if (request.kind === 'answer') this.onAnswer(connection, request, now);
      else this.onScrape(connection, request);
    } catch (error) {
      this.log.error({ err: error, address: connection.locality.address }, 'tracker message handling failed');
      this.reject(connection, 'internal_error');
    }
  }

  private onAnnounce(connection: TrackerConnection, request: AnnounceRequest, now: number): void {
    this.stats.in.announce++;
    let swarm = this.swarms.get(request.infoHash);
    let member = swarm?.get(request.peerId);
    if (member !== undefined && member.connection !== connection) {
      if (member.connection !== undefined) {
        this.reject(connection, 'peer_id_taken', 'announce', request.infoHash);
        return;
      }
      // The id is known on another node: the viewer moved here (e.g. reconnected through another edge).
      this.dropRemote(swarm!, member);
      member = undefined;
    }
    if (request.event === 'stopped') {
      if (member) this.leave(swarm!, member);
      swarm = this.swarms.get(request.infoHash);
      this.send(connection, formatAnnounceReply(jsonString(request.infoHash), this.options.announceIntervalSeconds, swarm?.complete ?? 0, swarm?.incomplete ?? 0));
      this.stats.out.announce++;
      return;
    }
    const profile = this.profileOf(connection.locality, request.extension, now);
    const complete = request.event === 'completed' || request.left === 0 || (member?.complete ?? false);
    if (member === undefined) {
      if (connection.members.length >= this.options.maxSwarmsPerConnection) {
        this.reject(connection, 'too_many_swarms', 'announce', request.infoHash);
        return;
      }
      if (swarm === undefined) {
        const created = new Swarm<TrackerConnection>(request.infoHash);
        swarm = created;
        this.swarms.set(request.infoHash, created);
        if (this.cluster) {
          created.loading = this.cluster.watch(request.infoHash).then(() => {
            created.loading = undefined;
          });
        }
      } else if (swarm.localSize >= this.options.maxPeersPerSwarm) {
        this.stats.evictions++;
        this.leave(swarm, swarm.leastRecentLocal()!, true);
      }
      member = createMember(request.infoHash, request.peerId, profile, { connection }, complete, now);
      swarm.add(member);
      connection.members.push(member);
    } else {
      swarm!.refresh(member, profile, complete, now);
    }
    member.reach = updateReachability(member.reach, request.extension?.reach, request.extension?.failedPeers);
    const target = swarm!;
    if (this.cluster) {
      this.stats.clusterOut.member++;
      this.cluster.publishMember(request.infoHash, { peerId: request.peerId, profile, complete });
    }
    if (target.loading) {
      // The swarm is new here and its members on other nodes are still loading: answer and relay once they are
      // known, so the reply counts them and the first offers can reach them.
      const joined = member;
      void target.loading.then(() => {
        if (!connection.closed && target.get(joined.peerId) === joined) this.replyAndRelay(connection, target, joined, request, this.now());
      });
      return;
    }
    this.replyAndRelay(connection, target, member, request, now);
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

  private onAnswer(connection: TrackerConnection, request: AnswerRequest, now: number): void {
    this.stats.in.answer++;
    if (!connection.takeOffer(request.offerId, request.toPeerId, request.peerId, now, this.options.offerTimeoutMs)) {
      this.reject(connection, 'unexpected_answer', 'announce', request.infoHash);
      return;
    }
    const swarm = this.swarms.get(request.infoHash);
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

  private onScrape(connection: TrackerConnection, request: ScrapeRequest): void {
    this.stats.in.scrape++;
    const files = request.infoHashes.map((infoHash) => {
      const swarm = this.swarms.get(infoHash);
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

  /** Sends unless the socket is gone; closes a connection whose unsent data outgrew the limit. */
  private send(connection: TrackerConnection, text: string): boolean {
    const ws = connection.ws;
    if (connection.closed || ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.reject(connection, 'slow_consumer');
      return false;
    }
    // Everything sent to one socket during this event-loop turn (replies, offers and answers caused by many
    // incoming messages) leaves in one write at the end of the turn: one syscall instead of one per message.
    if (!connection.corked) {
      connection.corked = true;
      connection.socket.cork();
      this.corked.push(connection);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    }
    ws.send(text);
    return true;
  }

  private reject(connection: TrackerConnection, reason: TrackerRejectReason, action?: 'announce' | 'scrape', infoHash?: string): void {
    this.stats.rejected[reason]++;
    const rejection: (typeof TRACKER_REJECTIONS)[TrackerRejectReason] = TRACKER_REJECTIONS[reason];
    if (rejection.response === 'failure') {
      if (this.send(connection, formatFailure(rejection.message, rejection.code, action, infoHash))) this.stats.out.failure++;
    } else if (rejection.response === 'close') {
      this.closeConnection(connection, rejection.closeCode, rejection.code);
    }
  }

  private closeConnection(connection: TrackerConnection, code: number, reason: string): void {
    if (connection.closed) return;
    // Leave the swarms now: nothing more is relayed to or from a connection being closed.
    this.onClose(connection);
    if (code === 1006) connection.ws.terminate();
    else connection.ws.close(code, reason);
  }

  /** @internal */
  onSocketError(connection: TrackerConnection, error: Error & { code?: string }): void {
    const code = error.code ?? '';
    if (code.startsWith('WS_ERR_')) {
      // `ws` closes the socket itself with the matching code (1009, 1007, 1002).
      this.stats.rejected[WS_ERROR_REASONS[code] ?? 'protocol_error']++;
    } else {
      this.log.debug({ err: error, address: connection.locality.address }, 'tracker socket error');
    }
    this.onClose(connection);
  }

  /** @internal Removes a connection and its memberships; safe to call more than once. */
  onClose(connection: TrackerConnection): void {
    if (connection.closed) return;
    for (const member of [...connection.members]) {
      const swarm = this.swarms.get(member.infoHash);
      if (swarm) this.leave(swarm, member);
    }
    connection.dispose();
    this.connections.delete(connection);
  }

  /** Removes a member; a swarm left without local peers is dropped unless `keepSwarm` (a newcomer takes the place). */
  private leave(swarm: Swarm<TrackerConnection>, member: Member, keepSwarm = false): void {
    if (!swarm.remove(member)) return;
    member.connection?.removeMember(member);
    if (this.cluster && member.connection !== undefined) {
      this.stats.clusterOut.leave++;
      this.cluster.publishLeave(swarm.infoHash, member.peerId);
    }
    if (swarm.localSize === 0 && !keepSwarm) this.dropSwarm(swarm);
  }

  /** A node only keeps swarms it has local peers in; the remote members of others are not needed. */
  private dropSwarm(swarm: Swarm<TrackerConnection>): void {
    this.remotePeers -= swarm.remoteSize;
    this.swarms.delete(swarm.infoHash);
    this.cluster?.unwatch(swarm.infoHash);
  }

  private dropRemote(swarm: Swarm<TrackerConnection>, member: Member): void {
    if (swarm.remove(member)) this.remotePeers--;
  }

  /** Pings every connection; drops those that did not answer the last ping and closes those idle too long. */
  private sweep(): void {
    const now = this.now();
    for (const connection of this.connections) {
      if (!connection.alive) {
        this.reject(connection, 'pong_timeout');
      } else if (now - connection.lastMessageAt > this.options.idleTimeoutMs) {
        this.reject(connection, 'idle_timeout');
      } else if (connection.ws.readyState === connection.ws.OPEN) {
        connection.alive = false;
        connection.ws.ping();
      }
    }
    if (this.cluster) this.expireRemoteMembers(now);
  }

  /** Remote members not refreshed within the member TTL are gone (their node missed telling us). */
  private expireRemoteMembers(now: number): void {
    for (const swarm of this.swarms.values()) {
      if (swarm.remoteSize === 0) continue;
      for (const member of swarm.members()) {
        if (member.connection === undefined && now - member.lastSeen > this.options.memberTtlMs) this.dropRemote(swarm, member);
      }
    }
  }

  // ClusterSink: what other nodes tell us.

  remoteMember(infoHash: string, node: string, record: MemberRecord): void {
    this.stats.clusterIn.member++;
    const swarm = this.swarms.get(infoHash);
    if (!swarm) return;
    const now = this.now();
    const existing = swarm.get(record.peerId);
    if (existing?.connection !== undefined) return; // our own, connected here: local wins
    if (existing && existing.node === node) {
      swarm.refresh(existing, record.profile, record.complete, now);
      return;
    }
    if (existing) this.dropRemote(swarm, existing);
    if (swarm.remoteSize >= this.options.maxPeersPerSwarm) return;
    swarm.add(createMember(infoHash, record.peerId, record.profile, { node }, record.complete, now));
    this.remotePeers++;
  }

  remoteLeave(infoHash: string, node: string, peerId: string): void {
    this.stats.clusterIn.leave++;
    const swarm = this.swarms.get(infoHash);
    const member = swarm?.get(peerId);
    if (swarm && member && member.node === node) this.dropRemote(swarm, member);
  }

  remoteNodeGone(node: string): void {
    let removed = 0;
    for (const swarm of this.swarms.values()) {
      if (swarm.remoteSize === 0) continue;
      for (const member of swarm.members()) {
        if (member.node === node) {
          this.dropRemote(swarm, member);
          removed++;
        }
      }
    }
    this.log.info({ node, peers: removed }, 'edge node gone; its peers were removed');
  }

  remoteOffer(signal: RoutedSignal): void {
    this.stats.clusterIn.offer++;
    const swarm = this.swarms.get(signal.infoHash);
    const target = swarm?.get(signal.to);
    if (!swarm || target?.connection === undefined) return;
    this.deliverOffer(target.connection, swarm.infoHashJson, jsonString(signal.from), signal.from, signal.to, signal.offerId, signal.sdp, this.now());
  }

  remoteAnswer(signal: RoutedSignal): void {
    this.stats.clusterIn.answer++;
    const swarm = this.swarms.get(signal.infoHash);
    const target = swarm?.get(signal.to);
    if (!swarm || target?.connection === undefined) {
      this.stats.undeliverable++;
      return;
    }
    if (this.send(target.connection, formatRelayedAnswer(swarm.infoHashJson, jsonString(signal.from), signal.offerId, signal.sdp))) this.stats.out.answer++;
  }

  /**
   * Closes every connection with 1001 (going away) and stops the timers. Idempotent; resolves once every socket
   * has closed or after a short grace period.
   */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      clearInterval(this.sweepTimer);
      const closing = [...this.connections].map(
        (connection) =>
          new Promise<void>((resolve) => {
            const ws = connection.ws;
            if (ws.readyState === ws.CLOSED) return resolve();
            const timer = setTimeout(() => ws.terminate(), 2_000);
            timer.unref();
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close(TRACKER_CLOSE_CODES.GOING_AWAY, 'SHOAL_ERR_SHUTTING_DOWN');
          }),
      );
      for (const connection of [...this.connections]) this.onClose(connection);
      await Promise.all(closing);
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    })();
    return this.destroying;
  }
}

function noop(): void {}
