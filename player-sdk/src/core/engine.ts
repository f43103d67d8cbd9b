import { TrackerClient } from '../signaling/tracker-client.js';
import { ConnectionOutcomes } from './connection-outcomes.js';
import { ShoalError } from './errors.js';
import { TypedEmitter } from '../util/event-emitter.js';
import type { FetchLike } from './http-loader.js';
import { randomId20, type PeerConnector } from './peer-connector.js';
import { RenditionUse } from './rendition-use.js';
import { webCryptoAvailable } from './integrity.js';
import { retiredCounts, swarmTotals, type EngineEvents, type SwarmCounts, type EngineStats, type PlaybackPosition } from './engine-api.js';
import { DEFAULT_ENGINE_OPTIONS, validateOptions, type EngineOptions } from './options.js';
import { nextHttpThroughput } from './scheduler.js';
import type { SegmentRef } from './segment.js';
import { SegmentStore } from './segment-store.js';
import type { Signaling } from '../signaling/signaling.js';
import { Swarm } from './swarm.js';
import { SwarmLink, type SwarmLinkHost } from './swarm-link.js';
import type { LoadedSegment } from './segment-job.js';
import { infoHashOf, swarmKeyOf } from './swarm-key.js';
import { UploadPolicy } from './upload-policy.js';

/** Peer ids refused for good (oldest forgotten first past this many). */
const MAX_BANNED_PEERS = 4096;

interface SwarmEntry {
  readonly key: string;
  readonly swarm: Swarm;
  /** Its way to other players; undefined when it plays over HTTP alone. */
  readonly link: SwarmLink | undefined;
  readonly connector: PeerConnector | undefined;
  readonly outcomes: ConnectionOutcomes | undefined;
}

export { infoHashOf, swarmKeyOf } from './swarm-key.js';

/**
 * The player-agnostic P2P engine: one swarm per rendition, peers found through the tracker, segments
 * loaded from peers or HTTP by the scheduler, every peer-delivered byte verified. An adapter (hls.js)
 * tells it about playlists and asks it for segments.
 */
export class ShoalEngine extends TypedEmitter<EngineEvents> {
  readonly options: EngineOptions;
  readonly peerId = randomId20('-SH0001-');
  private readonly swarms = new Map<string, Promise<SwarmEntry>>();
  private readonly renditionUse = new RenditionUse();
  /** What the swarms left so far counted (connections made and failed), for getStats(). */
  private retired: SwarmCounts | undefined;
  /** Swarms whose set-up finished, for synchronous counting. */
  private readonly ready: SwarmEntry[] = [];
  private readonly store: SegmentStore;
  /** What every HTTP request for segments goes through, init segments included: `options.fetch`, else the global fetch. */
  readonly fetchImpl: FetchLike;
  private readonly uploadPolicy: UploadPolicy;
  private readonly banned = new Set<string>();
  private readonly signaling: Signaling | undefined;
  private httpRate: number | undefined;
  private counters = { httpBytes: 0, p2pBytes: 0, p2pRelayBytes: 0, p2pDiscardedBytes: 0, stalls: 0, stallMs: 0, integrityFailures: 0, faults: 0 };
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
    validateOptions(this.options);
    const fetchImpl = this.options.fetch ?? (globalThis.fetch?.bind(globalThis) as FetchLike | undefined);
    if (!fetchImpl) throw new ShoalError('SHOAL_ERR_OPTIONS', 'no fetch implementation');
    this.fetchImpl = fetchImpl;
    this.store = new SegmentStore(this.options.segmentMemoryBytes, this.options.maxSegmentBytes, (swarmId, segment) => {
      for (const entry of this.ready) if (entry.swarm.id === swarmId) entry.swarm.evicted(segment);
    });
    this.uploadPolicy = new UploadPolicy(this.options, this.options.clock, {
      uploadingPeers: () => this.ready.reduce((sum, entry) => sum + entry.swarm.uploadingPeers(), 0),
      pendingUploadBytes: () => this.ready.reduce((sum, entry) => sum + entry.swarm.pendingUploadBytes(), 0),
      uploadsInFlight: () => this.ready.reduce((sum, entry) => sum + entry.swarm.uploadsInFlight(), 0),
    }, (upload) => {
      for (const entry of this.ready) entry.swarm.tellUpload(upload);
    });
    this.signaling = this.options.signaling ?? this.connectTracker();
    // Only a tracker connection of ours can hand out servers; custom signaling uses what the page gave, or none.
    this.iceServers = this.options.iceServers ?? (this.signaling instanceof TrackerClient ? undefined : []);
  }

  private connectTracker(): Signaling | undefined {
    const { trackerUrl, WebSocket } = this.options;
    if (trackerUrl === undefined) return undefined;
    try {
      const client = new TrackerClient({ url: trackerUrl, WebSocket });
      client.on('warning', (reason) => this.emit('warning', new ShoalError('SHOAL_ERR_TRACKER', `tracker: ${reason}`)));
      return client;
    } catch (error) {
      // No WebSocket here: say so once, and play over HTTP.
      queueMicrotask(() => this.emit('warning', new ShoalError('SHOAL_ERR_TRACKER', (error as Error).message)));
      return undefined;
    }
  }

  /** The RTCPeerConnection to use, or undefined when this environment has no WebRTC. */
  private rtc(): EngineOptions['RTCPeerConnection'] {
    return this.options.RTCPeerConnection ?? (globalThis as { RTCPeerConnection?: EngineOptions['RTCPeerConnection'] }).RTCPeerConnection;
  }

  /** The swarm of rendition `key`, joined if need be; the caller has recorded the use (RenditionUse) at `now`. */
  private swarm(key: string, now: number): Promise<SwarmEntry> {
    this.leaveUnusedRenditions(now);
    let entry = this.swarms.get(key);
    if (!entry) {
      entry = this.createSwarm(key);
      this.swarms.set(key, entry);
      const pending = entry;
      pending.then(
        (created) => this.ready.push(created),
        // The caller hears of the failure; the next request tries again.
        () => this.swarms.get(key) === pending && this.swarms.delete(key),
      );
    }
    return entry;
  }

  /**
   * Leaves the swarms of renditions the player stopped using (ABR switched away), checked whenever it uses
   * one: a rendition still played is used every few seconds, so no timer is needed. A paused player uses
   * none and leaves none, and keeps serving its peers.
   */
  private leaveUnusedRenditions(now: number): void {
    for (const key of this.renditionUse.takeUnused(now, this.options.leaveRenditionAfterSeconds * 1000)) {
      const pending = this.swarms.get(key);
      this.swarms.delete(key);
      pending?.then(
        (entry) => this.closeSwarm(entry, true),
        () => undefined,
      );
    }
  }

  /** Closes a swarm: its announces, connections and tracker membership; `keepCounts` adds its counts to the retired ones. */
  private closeSwarm(entry: SwarmEntry, keepCounts: boolean): void {
    entry.link?.close();
    entry.swarm.destroy();
    const index = this.ready.indexOf(entry);
    if (index >= 0) this.ready.splice(index, 1);
    if (keepCounts) this.retired = retiredCounts(this.retired, entry);
  }

  private async createSwarm(key: string): Promise<SwarmEntry> {
    const RTC = this.rtc();
    const verifiable = webCryptoAvailable();
    // Without Web Crypto nothing from a peer could be verified: the swarm plays over HTTP alone.
    const infoHash = verifiable ? await infoHashOf(key) : undefined;
    const p2pEnabled = RTC !== undefined && this.signaling !== undefined && infoHash !== undefined;
    const swarm = new Swarm(infoHash?.hex ?? key, {
      selfId: this.peerId,
      p2pEnabled,
      store: this.store,
      fetch: this.fetchImpl,
      settings: this.options,
      clock: this.options.clock,
      uploadPolicy: this.uploadPolicy,
      advertisedUpload: () => this.uploadPolicy.advertised,
      onPeerBytesDiscarded: (bytes) => (this.counters.p2pDiscardedBytes += bytes),
      ban: (peerId, reason) => this.ban(peerId, reason),
      httpThroughput: () => this.httpRate,
      onHttpTransfer: (bytes, ms) => (this.httpRate = nextHttpThroughput(this.httpRate, bytes, ms)),
    });
    const outcomes = p2pEnabled ? new ConnectionOutcomes({ clock: this.options.clock }) : undefined;
    swarm.on('segment-loaded', (sequence, bytesFrom, size, peers) => {
      this.uploadPolicy.observeSegment(size.bytes, size.duration);
      this.counters.httpBytes += bytesFrom.http;
      this.counters.p2pBytes += bytesFrom.p2p;
      if (bytesFrom.p2p > 0 && peers.some((peerId) => outcomes?.pathOf(peerId) === 'relay')) this.counters.p2pRelayBytes += bytesFrom.p2p;
      this.emit('segment-loaded', { swarm: swarm.id, sequence, httpBytes: bytesFrom.http, p2pBytes: bytesFrom.p2p, peers });
    });
    swarm.on('peer-connected', (peerId) => this.emit('peer-connected', { swarm: swarm.id, peerId }));
    swarm.on('peer-disconnected', (peerId, reason) => this.emit('peer-disconnected', { swarm: swarm.id, peerId, reason }));
    swarm.on('integrity-failure', (sequence, peers) => {
      this.counters.integrityFailures++;
      this.emit('integrity-failure', { swarm: swarm.id, sequence, peers });
    });

    if (!p2pEnabled || !outcomes) {
      if (!verifiable) this.warnOnce(new ShoalError('SHOAL_ERR_NO_WEBCRYPTO'));
      else if (!RTC) this.warnOnce(new ShoalError('SHOAL_ERR_NO_WEBRTC'));
      return { key, swarm, link: undefined, connector: undefined, outcomes: undefined };
    }
    try {
      const link = new SwarmLink(swarm, infoHash.binary, RTC, this.signaling!, outcomes, this.linkHost());
      this.uploadPolicy.startMetering();
      return { key, swarm, link, connector: link.connector, outcomes };
    } catch (error) {
      // A fault while joining the swarm costs its P2P, never its playback.
      this.fault('join', error);
      outcomes.destroy();
      swarm.disableP2p();
      return { key, swarm, link: undefined, connector: undefined, outcomes: undefined };
    }
  }

  /** What a swarm's link asks of the engine. */
  private linkHost(): SwarmLinkHost {
    return {
      peerId: this.peerId,
      options: this.options,
      isBanned: (peerId) => this.banned.has(peerId),
      iceServers: () => this.iceServers,
      onIceServers: (servers) => {
        if (this.options.iceServers !== undefined) return;
        const first = this.iceServers === undefined;
        this.iceServers = servers ? [...servers] : [];
        // Offers waited for these servers: make them now rather than an interval later.
        if (first) for (const entry of this.ready) entry.link?.announce();
      },
      playbackExtension: () => this.playbackExtension(),
      fault: (where, error) => this.fault(where, error),
    };
  }

  /**
   * Where playback is, read at each announce: the tracker pairs players near the same position, who hold the
   * same segments. The adapter sets it; without it announces carry no position.
   */
  trackPlayback(source: () => PlaybackPosition | undefined): void {
    this.playback = source;
  }

  private playbackExtension(): { position?: number; playing?: boolean } {
    try {
      const state = this.playback?.();
      return state ? { position: state.position, playing: state.playing } : {};
    } catch (error) {
      // The announce goes on without a position.
      this.fault('playback position', error);
      return {};
    }
  }

  private readonly warned = new Set<string>();
  private playback: (() => PlaybackPosition | undefined) | undefined;

  /** Emits a warning once per distinct message: a condition of the page, not of each swarm. */
  private warnOnce(error: Error): void {
    if (this.warned.has(error.message)) return;
    this.warned.add(error.message);
    this.emit('warning', error);
  }

  /**
   * Records an exception caught inside Shoal (the adapter's fault barrier, a swarm's set-up): counted in
   * `getStats().faults` and emitted as a `warning` with code SHOAL_ERR_INTERNAL. Playback goes on over HTTP.
   */
  fault(where: string, error: unknown): void {
    this.counters.faults++;
    const message = error instanceof Error ? error.message : String(error);
    const warning = new ShoalError('SHOAL_ERR_INTERNAL', `${where}: ${message}`);
    if (!this.destroyed) this.emit('warning', warning);
  }

  /** Whether this peer is refused for good (it broke the protocol or sent bytes that failed their digest). */
  isBanned(peerId: string): boolean {
    return this.banned.has(peerId);
  }

  /** Disconnects a peer everywhere and refuses it from now on. */
  ban(peerId: string, reason: string): void {
    if (!this.banned.has(peerId)) this.emit('peer-banned', { peerId, reason });
    this.banned.add(peerId);
    if (this.banned.size > MAX_BANNED_PEERS) this.banned.delete(this.banned.values().next().value!);
    for (const entry of this.ready) entry.swarm.disconnect(peerId, 'banned');
  }

  /** Tells the engine the segments of a rendition's latest playlist (live segments are fetched ahead). */
  async updatePlaylist(playlistUrl: string, segments: readonly SegmentRef[], live: boolean): Promise<void> {
    if (this.destroyed) return;
    const key = swarmKeyOf(playlistUrl, this.options.swarmId);
    const now = this.options.clock.now();
    this.renditionUse.used(key, now);
    (await this.swarm(key, now)).swarm.updatePlaylist(segments, live);
  }

  /**
   * Loads a segment the player needs by `deadline` (ms on the engine clock, `options.now`): from peers
   * while there is time, over HTTP when the deadline comes close.
   */
  async loadSegment(playlistUrl: string, segment: SegmentRef, deadline: number): Promise<LoadedSegment> {
    if (this.destroyed) throw new ShoalError('SHOAL_ERR_DESTROYED');
    const key = swarmKeyOf(playlistUrl, this.options.swarmId);
    const now = this.options.clock.now();
    const loaded = this.renditionUse.loading(key, now);
    try {
      return await (await this.swarm(key, now)).swarm.load(segment, deadline);
    } finally {
      loaded(this.options.clock.now());
    }
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
    const { connections, connectionPaths, connectionAttempts, uploads } = swarmTotals(this.retired ? [...this.ready, this.retired] : this.ready);
    return {
      ...this.counters,
      uploadBytes: this.uploadPolicy.uploaded,
      uploadsRefusedBusy: this.uploadPolicy.refusedBusy,
      offloadRatio: httpBytes + p2pBytes === 0 ? 0 : (p2pBytes - p2pRelayBytes) / (httpBytes + p2pBytes),
      connectionPaths,
      connectionAttempts,
      peers: this.peerCount(),
      startupMs: this.startupMs,
      uploadBudget: Math.round(this.uploadPolicy.budget.rate),
      uplinkRate: this.uploadPolicy.uplinkRate === undefined ? undefined : Math.round(this.uploadPolicy.uplinkRate),
      uploadsInProgress: uploads,
      segmentMemoryBytes: this.store.bytes,
      connectionsCreated: connections.created,
      connectionsOpen: connections.open,
      connectionsFailed: connections.failed,
      connectionsConnecting: connections.connecting,
    };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.uploadPolicy.destroy();
    for (const entry of this.swarms.values()) {
      entry.then(
        (created) => this.closeSwarm(created, false),
        () => undefined,
      );
    }
    this.swarms.clear();
    this.renditionUse.clear();
    this.signaling?.destroy();
    this.store.clear();
    this.removeAllListeners();
  }
}
