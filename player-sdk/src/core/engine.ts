import { TrackerClient } from '../p2p/tracker-client.js';
import { ConnectionOutcomes } from './connection-outcomes.js';
import { keepsConnection } from './glare.js';
import type { PathType } from './ice-path.js';
import { ShoalError } from './errors.js';
import { TypedEmitter } from './event-emitter.js';
import type { FetchLike } from './http-loader.js';
import { PeerChannel } from './peer-channel.js';
import { PeerConnector, randomId20 } from './peer-connector.js';
import type { Peer } from './peer.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from './options.js';
import type { SegmentRef } from './segment.js';
import { SegmentStore } from './segment-store.js';
import type { Signaling, SignalingSession } from './signaling.js';
import { Swarm, type LoadedSegment } from './swarm.js';
import { TokenBucket } from './token-bucket.js';

export interface EngineStats {
  /** Segment bytes fetched over HTTP. */
  readonly httpBytes: number;
  /** Segment bytes received from peers and verified (relayed ones included). */
  readonly p2pBytes: number;
  /**
   * The part of `p2pBytes` that came over connections relayed by a TURN server: the server sent them, so they
   * are not offload.
   */
  readonly p2pRelayBytes: number;
  /** Bytes sent to peers. */
  readonly uploadBytes: number;
  /** Direct peer bytes / all segment bytes: (p2pBytes − p2pRelayBytes) / (httpBytes + p2pBytes); 0 before any byte. */
  readonly offloadRatio: number;
  /** Peer connections that connected, by the path of their selected ICE candidate pair (`unknown`: stats said nothing). */
  readonly connectionPaths: Readonly<Record<PathType | 'unknown', number>>;
  /** Connection attempts (offer and answer exchanged) that connected and that failed, all swarms together. */
  readonly connectionAttempts: { readonly ok: number; readonly failed: number };
  /** Peers connected, all swarms together. */
  readonly peers: number;
  readonly stalls: number;
  readonly stallMs: number;
  /** Time from attach to first frame, once known. */
  readonly startupMs: number | undefined;
  readonly integrityFailures: number;
}

export interface EngineEvents {
  'segment-loaded': (info: { readonly swarm: string; readonly sequence: number; readonly httpBytes: number; readonly p2pBytes: number }) => void;
  'peer-connected': (info: { readonly swarm: string; readonly peerId: string }) => void;
  'peer-disconnected': (info: { readonly swarm: string; readonly peerId: string; readonly reason: string }) => void;
  'integrity-failure': (info: { readonly swarm: string; readonly sequence: number; readonly peers: readonly string[] }) => void;
  /** Something degraded (tracker unreachable, WebRTC missing); playback goes on over HTTP. */
  warning: (error: Error) => void;
}

interface SwarmEntry {
  readonly swarm: Swarm;
  readonly connector: PeerConnector | undefined;
  readonly session: SignalingSession | undefined;
  readonly outcomes: ConnectionOutcomes | undefined;
  announceTimer: ReturnType<typeof setInterval> | undefined;
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The 20-byte info hash of a swarm key: the first 20 bytes of its SHA-256, as a binary string (WebTorrent's form). */
export async function infoHashOf(key: string): Promise<{ binary: string; hex: string }> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))).subarray(0, 20);
  return { binary: String.fromCharCode(...digest), hex: hex(digest) };
}

/** Swarm key of a rendition: the explicit swarm id plus the playlist path, or the playlist URL without its query. */
export function swarmKeyOf(playlistUrl: string, swarmId: string | undefined): string {
  const url = new URL(playlistUrl);
  return swarmId !== undefined ? `${swarmId}|${url.pathname}` : `${url.origin}${url.pathname}`;
}

/**
 * The player-agnostic P2P engine: one swarm per rendition, peers found through the tracker, segments
 * loaded from peers or HTTP by the scheduler, every peer-delivered byte verified. An adapter (hls.js)
 * tells it about playlists and asks it for segments.
 */
export class ShoalEngine extends TypedEmitter<EngineEvents> {
  readonly options: EngineOptions;
  readonly peerId = randomId20('-SH0001-');
  private readonly swarms = new Map<string, Promise<SwarmEntry>>();
  /** Swarms whose set-up finished, for synchronous counting. */
  private readonly ready: SwarmEntry[] = [];
  private readonly store: SegmentStore;
  private readonly fetchImpl: FetchLike;
  private readonly uploadBucket: TokenBucket;
  private readonly banned = new Set<string>();
  private readonly signaling: Signaling | undefined;
  private httpRate: number | undefined;
  private counters = { httpBytes: 0, p2pBytes: 0, p2pRelayBytes: 0, uploadBytes: 0, stalls: 0, stallMs: 0, integrityFailures: 0 };
  /**
   * ICE servers for new connections: the page's, else those the edge handed out (undefined until the first
   * announce reply says, while offers wait: offers made without them would be useless behind NATs).
   */
  private iceServers: RTCIceServer[] | undefined;
  private startupMs: number | undefined;
  private destroyed = false;

  constructor(options: Partial<EngineOptions> = {}) {
    super();
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options };
    for (const name of ['maxPeers', 'offersPerAnnounce', 'urgentWindowMs', 'peerStallMs', 'segmentMemoryBytes', 'maxSegmentBytes', 'statsIntervalMs'] as const) {
      const value = this.options[name];
      if (!Number.isFinite(value) || value < 0) throw new ShoalError('SHOAL_ERR_OPTIONS', `${name} must be a non-negative number`);
    }
    if (!(this.options.uploadRateLimit > 0)) throw new ShoalError('SHOAL_ERR_OPTIONS', 'uploadRateLimit must be positive');
    const fetchImpl = this.options.fetch ?? (globalThis.fetch?.bind(globalThis) as FetchLike | undefined);
    if (!fetchImpl) throw new ShoalError('SHOAL_ERR_OPTIONS', 'no fetch implementation');
    this.fetchImpl = fetchImpl;
    this.store = new SegmentStore(this.options.segmentMemoryBytes, this.options.maxSegmentBytes, (swarmId, segment) => {
      for (const entry of this.ready) if (entry.swarm.id === swarmId) entry.swarm.evicted(segment);
    });
    this.uploadBucket = new TokenBucket(this.options.uploadRateLimit, Math.max(256 * 1024, this.options.uploadRateLimit), this.options.now);
    this.signaling = this.options.signaling ?? this.connectTracker();
    // Only a tracker connection of ours can hand out servers; custom signaling uses what the page gave, or none.
    this.iceServers = this.options.iceServers ?? (this.signaling instanceof TrackerClient ? undefined : []);
  }

  private connectTracker(): Signaling | undefined {
    const { trackerUrl, WebSocket } = this.options;
    if (trackerUrl === undefined) return undefined;
    try {
      const client = new TrackerClient({ url: trackerUrl, WebSocket });
      client.on('warning', (reason) => this.emit('warning', new Error(`tracker: ${reason}`)));
      return client;
    } catch (error) {
      // No WebSocket here: say so once, and play over HTTP.
      queueMicrotask(() => this.emit('warning', error as Error));
      return undefined;
    }
  }

  /** The RTCPeerConnection to use, or undefined when this environment has no WebRTC. */
  private rtc(): EngineOptions['RTCPeerConnection'] {
    return this.options.RTCPeerConnection ?? (globalThis as { RTCPeerConnection?: EngineOptions['RTCPeerConnection'] }).RTCPeerConnection;
  }

  private swarm(playlistUrl: string): Promise<SwarmEntry> {
    const key = swarmKeyOf(playlistUrl, this.options.swarmId);
    let entry = this.swarms.get(key);
    if (!entry) {
      entry = this.createSwarm(key);
      this.swarms.set(key, entry);
      void entry.then((created) => this.ready.push(created));
    }
    return entry;
  }

  private async createSwarm(key: string): Promise<SwarmEntry> {
    // Web Crypto (swarm ids, digests) exists only in secure contexts: a page on plain http plays over HTTP.
    const webCrypto = (globalThis as { crypto?: { subtle?: unknown } }).crypto?.subtle !== undefined;
    const infoHash = webCrypto ? await infoHashOf(key) : { binary: key, hex: key };
    const RTC = webCrypto ? this.rtc() : undefined;
    const swarm = new Swarm(infoHash.hex, {
      selfId: this.peerId,
      p2pEnabled: RTC !== undefined && this.signaling !== undefined,
      store: this.store,
      fetch: this.fetchImpl,
      settings: this.options,
      now: this.options.now,
      mayUpload: (peer) => this.mayUpload(peer),
      uploadWaitMs: (bytes) => (this.uploadBucket.tryTake(bytes) ? 0 : Math.max(1, this.uploadBucket.waitMs(bytes))),
      onUploaded: (bytes) => (this.counters.uploadBytes += bytes),
      ban: (peerId, reason) => this.ban(peerId, reason),
      httpThroughput: () => this.httpRate,
      onHttpTransfer: (bytes, ms) => {
        if (bytes < 50_000 || ms <= 0) return;
        const rate = (bytes / ms) * 1000;
        this.httpRate = this.httpRate === undefined ? rate : this.httpRate * 0.7 + rate * 0.3;
      },
    });
    const outcomes = RTC && this.signaling ? new ConnectionOutcomes() : undefined;
    swarm.on('segment-loaded', (sequence, bytesFrom, peers) => {
      this.counters.httpBytes += bytesFrom.http;
      this.counters.p2pBytes += bytesFrom.p2p;
      if (bytesFrom.p2p > 0 && peers.some((peerId) => outcomes?.pathOf(peerId) === 'relay')) this.counters.p2pRelayBytes += bytesFrom.p2p;
      this.emit('segment-loaded', { swarm: swarm.id, sequence, httpBytes: bytesFrom.http, p2pBytes: bytesFrom.p2p });
    });
    swarm.on('peer-connected', (peerId) => this.emit('peer-connected', { swarm: swarm.id, peerId }));
    swarm.on('peer-disconnected', (peerId, reason) => this.emit('peer-disconnected', { swarm: swarm.id, peerId, reason }));
    swarm.on('integrity-failure', (sequence, peers) => {
      this.counters.integrityFailures++;
      this.emit('integrity-failure', { swarm: swarm.id, sequence, peers });
    });

    if (!RTC || !this.signaling) {
      if (!webCrypto) this.emit('warning', new Error('Web Crypto is not available (the page is not served over https): segments come over HTTP only'));
      else if (!RTC) this.emit('warning', new Error('WebRTC is not available: segments come over HTTP only'));
      return { swarm, connector: undefined, session: undefined, outcomes: undefined, announceTimer: undefined };
    }
    const watched = outcomes!;
    /** Per connected peer: whether its connection is the one both ends keep when offers crossed. */
    const kept = new Map<string, boolean>();
    const connector = new PeerConnector({
      RTCPeerConnection: RTC,
      iceServers: () => this.iceServers ?? [],
      onAttempt: (peerId, pc) => watched.watch(peerId, pc),
      accepts: (peerId) => peerId !== this.peerId && !this.banned.has(peerId) && !swarm.hasPeer(peerId) && swarm.peerIds().length < this.options.maxPeers,
      // Crossed offers: the connection both ends agree on replaces the other one, whichever opened first.
      replaces: (peerId, offeredBySelf) =>
        swarm.hasPeer(peerId) && !this.banned.has(peerId) && kept.get(peerId) === false && keepsConnection(this.peerId, peerId, offeredBySelf),
      onChannel: (peerId, channel, close, offeredBySelf) => {
        if (swarm.hasPeer(peerId)) swarm.disconnect(peerId, 'replaced by the crossed connection both ends keep');
        kept.set(peerId, keepsConnection(this.peerId, peerId, offeredBySelf));
        const peerChannel = new PeerChannel(channel);
        peerChannel.on('close', close);
        swarm.addPeer(peerId, peerChannel);
      },
    });
    let announceNow = (): void => undefined;
    const session = this.signaling.join(infoHash.binary, this.peerId, {
      onConnected: () => announceNow(),
      onIceServers: (servers) => {
        if (this.options.iceServers !== undefined) return;
        const first = this.iceServers === undefined;
        this.iceServers = servers ? [...servers] : [];
        // Offers waited for these servers: make them now rather than an interval later.
        if (first) this.announceAll();
      },
      onOffer: (from, offerId, offer) => {
        void connector.handleOffer(from, offer).then((answer) => answer && session.answer(from, offerId, answer));
      },
      onAnswer: (from, offerId, answer) => void connector.handleAnswer(from, offerId, answer),
    });
    swarm.on('peer-disconnected', (peerId) => {
      watched.forget(peerId);
      if (!swarm.hasPeer(peerId)) kept.delete(peerId);
    });
    const entry: SwarmEntry = { swarm, connector, session, outcomes, announceTimer: undefined };
    const announce = async (): Promise<void> => {
      if (this.iceServers === undefined) {
        // Join without offers; the reply brings the ICE servers, and offers follow at once.
        session.announce([], { v: 1, ...watched.takeExtension() });
        return;
      }
      const room = this.options.maxPeers - swarm.peerIds().length - connector.pendingOffers;
      const offers = room > 0 ? await connector.createOffers(Math.min(this.options.offersPerAnnounce, room)) : [];
      if (!this.destroyed) session.announce(offers, { v: 1, ...watched.takeExtension() });
    };
    announceNow = () => void announce();
    this.announcers.set(entry, announceNow);
    void announce();
    entry.announceTimer = setInterval(() => void announce(), this.options.announceIntervalSeconds * 1000);
    return entry;
  }

  private readonly announcers = new Map<SwarmEntry, () => void>();

  private announceAll(): void {
    for (const announce of this.announcers.values()) announce();
  }

  private mayUpload(peer: Peer): boolean {
    const connection = (globalThis as { navigator?: { connection?: { saveData?: boolean; type?: string } } }).navigator?.connection;
    if (connection?.saveData && !this.options.uploadOnSaveData) return false;
    if (connection?.type === 'cellular' && !this.options.uploadOnCellular) return false;
    if (peer.activeUploads > 0) return true;
    const uploading = this.ready.reduce((sum, entry) => sum + entry.swarm.uploadingPeers(), 0);
    return uploading < this.options.maxUploadPeers;
  }

  /** Disconnects a peer everywhere and refuses it from now on. */
  ban(peerId: string, _reason: string): void {
    this.banned.add(peerId);
    for (const entry of this.ready) entry.swarm.disconnect(peerId, 'banned');
  }

  /** Tells the engine the segments of a rendition's latest playlist (live segments are fetched ahead). */
  async updatePlaylist(playlistUrl: string, segments: readonly SegmentRef[], live: boolean): Promise<void> {
    if (this.destroyed) return;
    (await this.swarm(playlistUrl)).swarm.updatePlaylist(segments, live);
  }

  /**
   * Loads a segment the player needs by `deadline` (ms on the engine clock, `options.now`): from peers
   * while there is time, over HTTP when the deadline comes close.
   */
  async loadSegment(playlistUrl: string, segment: SegmentRef, deadline: number): Promise<LoadedSegment> {
    if (this.destroyed) throw new ShoalError('SHOAL_ERR_DESTROYED');
    return (await this.swarm(playlistUrl)).swarm.load(segment, deadline);
  }

  /** The player stalled for `ms`. */
  recordStall(ms: number): void {
    this.counters.stalls++;
    this.counters.stallMs += Math.max(0, Math.round(ms));
  }

  /** The first frame showed `ms` after the player started. */
  recordStartup(ms: number): void {
    if (this.startupMs === undefined) this.startupMs = Math.max(0, Math.round(ms));
  }

  /** Peers connected, all swarms together. */
  peerCount(): number {
    return this.ready.reduce((sum, entry) => sum + entry.swarm.peerCount, 0);
  }

  getStats(): EngineStats {
    const { httpBytes, p2pBytes, p2pRelayBytes } = this.counters;
    const connectionPaths = { host: 0, srflx: 0, prflx: 0, relay: 0, unknown: 0 };
    const connectionAttempts = { ok: 0, failed: 0 };
    for (const entry of this.ready) {
      if (!entry.outcomes) continue;
      for (const key of Object.keys(connectionPaths) as (keyof typeof connectionPaths)[]) connectionPaths[key] += entry.outcomes.pathCounts[key];
      connectionAttempts.ok += entry.outcomes.counts.ok;
      connectionAttempts.failed += entry.outcomes.counts.failed;
    }
    return {
      ...this.counters,
      offloadRatio: httpBytes + p2pBytes === 0 ? 0 : (p2pBytes - p2pRelayBytes) / (httpBytes + p2pBytes),
      connectionPaths,
      connectionAttempts,
      peers: this.peerCount(),
      startupMs: this.startupMs,
    };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const entry of this.swarms.values()) {
      void entry.then((e) => {
        if (e.announceTimer !== undefined) clearInterval(e.announceTimer);
        e.outcomes?.destroy();
        e.session?.leave();
        e.connector?.destroy();
        e.swarm.destroy();
      });
    }
    this.swarms.clear();
    this.announcers.clear();
    this.signaling?.destroy();
    this.store.clear();
    this.removeAllListeners();
  }
}
