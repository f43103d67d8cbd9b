import type { Clock } from '../util/clock.js';
import { MAX_HAVE_ENTRIES, type HaveEntry, type HaveState } from '@shoal/protocol';
import { ShoalError } from './errors.js';
import { TypedEmitter } from '../util/event-emitter.js';
import type { FetchLike } from './http-loader.js';
import { Peer, type PeerHost } from './peer.js';
import type { PeerChannel } from './peer-channel.js';
import { RelayJudge } from './relay-judge.js';
import { httpRank, httpTurnMs, type PeerCandidate, type RankedPlayer } from './scheduler.js';
import { SegmentJob, type JobHost, type JobSettings, type LoadedSegment } from './segment-job.js';
import type { SegmentStore } from './segment-store.js';
import type { SegmentRef } from './segment.js';
import type { PeerUploads } from './upload-policy.js';

export type { LoadedSegment } from './segment-job.js';

export interface SwarmSettings extends JobSettings {
  /** Players per swarm that fetch each new live segment over HTTP. */
  readonly httpFetchersPerSegment: number;
  /** Ms per rank after which a player not elected fetches a new live segment nobody has (see httpTurnMs). */
  readonly httpTurnStepMs: number;
  /** Refuse P2P for segments without a digest. */
  readonly requireIntegrity: boolean;
}

/** What a swarm needs from the engine that owns it. */
export interface SwarmContext {
  readonly selfId: string;
  /** Whether this player can find peers at all (WebRTC and signaling present). */
  readonly p2pEnabled: boolean;
  readonly store: SegmentStore;
  readonly fetch: FetchLike;
  readonly settings: SwarmSettings;
  readonly clock: Clock;
  /** The upload policy every peer of every swarm answers requests under. */
  readonly uploadPolicy: PeerUploads;
  /** The upload rate this player advertises to peers, bytes per second (see UploadPolicy.advertised). */
  advertisedUpload(): number;
  /** Peer bytes that arrived and were not kept: late, failed verification or withdrawn, or held by a job that failed. */
  onPeerBytesDiscarded(bytes: number): void;
  /** A peer sent bytes that failed verification, or broke the protocol: it is disconnected and never reconnected. */
  ban(peerId: string, reason: string): void;
  httpThroughput(): number | undefined;
  onHttpTransfer(bytes: number, ms: number): void;
}

interface SwarmEvents {
  'peer-connected': (peerId: string) => void;
  'peer-disconnected': (peerId: string, reason: string) => void;
  /** `size`: the segment's bytes and duration; `peers`: the peers whose bytes the segment holds. */
  'segment-loaded': (segment: number, bytesFrom: { http: number; p2p: number }, size: { bytes: number; duration: number }, peers: readonly string[]) => void;
  'integrity-failure': (segment: number, peers: readonly string[]) => void;
}

interface Job {
  readonly job: SegmentJob;
  readonly promise: Promise<LoadedSegment>;
}

/**
 * One rendition's swarm: the peers watching it and the segments this player holds or loads for it. Each
 * segment loading is a SegmentJob, which decides between peers and HTTP; the swarm tells jobs what changed.
 */
export class Swarm extends TypedEmitter<SwarmEvents> {
  private readonly peers = new Map<string, Peer>();
  private readonly known = new Map<number, SegmentRef>();
  /** Live segments that appeared after this player joined: the ones worth fetching ahead when a peer has them. */
  private readonly fresh = new Set<number>();
  private readonly jobs = new Map<number, Job>();
  private playlistSeen = false;
  /** Whether peers may come: false once P2P is known to be impossible here. */
  private p2p: boolean;
  private metPeers = false;
  private readonly relays: RelayJudge;
  private readonly jobHost: JobHost;
  private destroyed = false;

  constructor(
    /** Swarm id: the hex info hash, also sent in the peer hello. */
    readonly id: string,
    private readonly context: SwarmContext,
  ) {
    super();
    this.p2p = context.p2pEnabled;
    this.relays = new RelayJudge({
      clock: context.clock,
      // A peer that left within the window retracted nothing: leaving must not be a way out of the judgement.
      retracted: (peerId, sequence) => this.peers.get(peerId)?.retracted(sequence) ?? false,
      ban: (peerId, reason) => context.ban(peerId, reason),
    });
    this.jobHost = {
      clock: context.clock,
      fetch: context.fetch,
      settings: context.settings,
      relays: this.relays,
      candidates: (sequence, excluded) => this.candidates(sequence, excluded),
      peer: (peerId) => this.peers.get(peerId),
      // The election decides who brings a new live segment into the swarm, and in which turn the others do if
      // nobody has. Any other segment (out before this player joined, or VOD) has been announced by the peers
      // that hold it: with peers connected and none holding it, HTTP it is; while peers are still connecting,
      // wait for them.
      httpTurnMs: (sequence) => {
        if (!this.fresh.has(sequence)) return 0;
        const { httpFetchersPerSegment, httpTurnStepMs } = context.settings;
        // Without turns only whether the rank is below the count matters: no need to rank every neighbour.
        const atMost = Number.isFinite(httpTurnStepMs) ? Infinity : httpFetchersPerSegment;
        const self = { id: context.selfId, upload: context.advertisedUpload() };
        return httpTurnMs(httpRank(self, this.rankedPeers(), sequence, atMost), httpFetchersPerSegment, httpTurnStepMs);
      },
      awaitingPeers: () => this.awaitingFirstPeers(),
      announce: (sequence, state) => this.broadcast([{ segment: sequence, state }]),
      keep: (buffer) => context.store.completed(this.id, buffer),
      loaded: (sequence, bytesFrom, size, peers) => this.emit('segment-loaded', sequence, bytesFrom, size, peers),
      integrityFailure: (sequence, peers) => this.emit('integrity-failure', sequence, peers),
      httpThroughput: () => context.httpThroughput(),
      onHttpTransfer: (bytes, ms) => context.onHttpTransfer(bytes, ms),
      onPeerBytesDiscarded: (bytes) => context.onPeerBytesDiscarded(bytes),
      ban: (peerId, reason) => context.ban(peerId, reason),
    };
  }

  /** P2P turned out impossible (its set-up failed): stop waiting for peers. */
  disableP2p(): void {
    this.p2p = false;
    this.wakeJobs();
  }

  private wakeJobs(): void {
    for (const { job } of this.jobs.values()) job.wake();
  }

  get peerCount(): number {
    return [...this.peers.values()].filter((peer) => peer.ready).length;
  }

  /**
   * Whether this player is still waiting for its first peers to say what they hold: only until the first
   * one did. A player whose peers all left (or were banned) is not a newcomer: it does not wait again.
   */
  private awaitingFirstPeers(): boolean {
    if (!this.p2p || this.metPeers) return false;
    for (const peer of this.peers.values()) if (peer.ready && peer.introduced) this.metPeers = true;
    return !this.metPeers;
  }

  /** Peers this player is uploading to right now. */
  uploadingPeers(): number {
    let count = 0;
    for (const peer of this.peers.values()) if (peer.activeUploads > 0) count++;
    return count;
  }

  /** Upload bytes sent to peers and not acknowledged yet, all peers together. */
  uploadsInFlight(): number {
    let bytes = 0;
    for (const peer of this.peers.values()) bytes += peer.inFlight;
    return bytes;
  }

  /** Peer requests being served now. */
  uploadsInProgress(): number {
    let count = 0;
    for (const peer of this.peers.values()) count += peer.activeUploads;
    return count;
  }

  /** Bytes still to send for this swarm's uploads in progress. */
  pendingUploadBytes(): number {
    let bytes = 0;
    for (const peer of this.peers.values()) bytes += peer.pendingUploadBytes;
    return bytes;
  }

  peerIds(): string[] {
    return [...this.peers.keys()];
  }

  /** The peers as the election for HTTP sees them: a peer that has not advertised its upload yet counts as uploading nothing. */
  private rankedPeers(): RankedPlayer[] {
    const ranked: RankedPlayer[] = [];
    for (const peer of this.peers.values()) ranked.push({ id: peer.id, upload: peer.upload ?? 0 });
    return ranked;
  }

  /** Our advertised upload rate changed: every peer hears it, so that all rank us alike. */
  tellUpload(upload: number): void {
    for (const peer of this.peers.values()) peer.tellUpload(upload);
  }

  hasPeer(peerId: string): boolean {
    return this.peers.has(peerId);
  }

  /**
   * Registers the segments of a fresh copy of the rendition's playlist. For a live stream, segments that
   * appear after the first copy are fetched ahead of the player: over HTTP by the elected player(s), from
   * peers by everyone else.
   */
  updatePlaylist(segments: readonly SegmentRef[], live: boolean): void {
    const fresh: SegmentRef[] = [];
    for (const segment of segments) {
      if (!this.known.has(segment.sequence)) fresh.push(segment);
      this.known.set(segment.sequence, segment);
    }
    // Forget segments that left the playlist, but keep a little history for late requests.
    const oldest = segments[0]?.sequence;
    if (oldest !== undefined) for (const sequence of this.known.keys()) if (sequence < oldest - 10) this.known.delete(sequence);
    if (live && this.playlistSeen) {
      for (const segment of fresh) {
        this.fresh.add(segment.sequence);
        void this.ensure(segment, undefined).catch(() => undefined);
      }
    }
    for (const sequence of this.fresh) if (!this.known.has(sequence)) this.fresh.delete(sequence);
    this.playlistSeen = true;
  }

  /** Loads a segment for the player, which needs it by `deadline` (ms on the context clock). */
  load(segment: SegmentRef, deadline: number | undefined): Promise<LoadedSegment> {
    this.known.set(segment.sequence, segment);
    return this.ensure(segment, deadline);
  }

  private ensure(segment: SegmentRef, deadline: number | undefined): Promise<LoadedSegment> {
    if (this.destroyed) return Promise.reject(new ShoalError('SHOAL_ERR_DESTROYED'));
    const existing = this.jobs.get(segment.sequence);
    if (existing) {
      if (deadline !== undefined) existing.job.hurry(deadline);
      return existing.promise;
    }
    const held = this.context.store.get(this.id, segment.sequence);
    if (held?.status === 'complete') {
      return Promise.resolve({ bytes: held.bytes(), bytesFrom: { http: 0, p2p: 0 }, timing: { ...held.timing }, verified: segment.digest !== undefined });
    }
    const buffer = this.context.store.open(this.id, segment.sequence);
    const job = new SegmentJob(segment, buffer, deadline, this.context.settings.requireIntegrity, this.jobHost);
    let resolveJob!: (value: LoadedSegment) => void;
    let rejectJob!: (error: Error) => void;
    const promise = new Promise<LoadedSegment>((resolve, reject) => {
      resolveJob = resolve;
      rejectJob = reject;
    });
    this.jobs.set(segment.sequence, { job, promise });
    job.run().then(
      (loaded) => {
        this.jobs.delete(segment.sequence);
        resolveJob(loaded);
      },
      (error: Error) => {
        this.jobs.delete(segment.sequence);
        buffer.markFailed();
        this.context.store.delete(this.id, segment.sequence);
        this.broadcast([{ segment: segment.sequence, state: 'dropped' }]);
        rejectJob(error);
      },
    );
    return promise;
  }

  private candidates(sequence: number, excluded?: ReadonlySet<string>): PeerCandidate[] {
    const out: PeerCandidate[] = [];
    const now = this.context.clock.now();
    for (const peer of this.peers.values()) {
      const state = peer.has(sequence);
      if (!peer.ready || state === undefined || state === 'dropped' || excluded?.has(peer.id)) continue;
      out.push({ peerId: peer.id, state, throughput: peer.throughput, activeDownloads: peer.activeDownloads, failures: peer.failures, busyForMs: Math.max(0, peer.busyUntil - now) });
    }
    return out;
  }

  /** Connects a peer whose data channel is open. */
  addPeer(peerId: string, channel: PeerChannel): void {
    if (this.destroyed || this.peers.has(peerId)) {
      channel.close('duplicate');
      return;
    }
    const host: PeerHost = {
      swarmId: this.id,
      segmentFor: (segment) => this.context.store.get(this.id, segment),
      uploadPolicy: this.context.uploadPolicy,
      onDiscarded: (bytes) => this.context.onPeerBytesDiscarded(bytes),
      clock: this.context.clock,
    };
    const peer = new Peer(peerId, channel, host);
    this.peers.set(peerId, peer);
    peer.on('ready', () => {
      peer.tellUpload(this.context.advertisedUpload());
      peer.announce(this.holdings(), true);
      this.emit('peer-connected', peerId);
      this.wakeJobs();
    });
    peer.on('have', (segment: number, state: HaveState) => {
      if (state === 'dropped') return;
      this.jobs.get(segment)?.job.wake();
      // A new live segment a peer holds that we are not loading yet: pull it ahead of the player.
      const known = this.known.get(segment);
      if (known && this.fresh.has(segment) && !this.jobs.has(segment) && this.context.store.get(this.id, segment)?.status !== 'complete') {
        void this.ensure(known, undefined).catch(() => undefined);
      }
    });
    peer.on('introduced', () => this.wakeJobs());
    peer.on('close', (reason: string) => {
      this.peers.delete(peerId);
      // A peer that broke the protocol is not let back in.
      if (reason.startsWith('protocol')) this.context.ban(peerId, reason);
      this.emit('peer-disconnected', peerId, reason);
      this.wakeJobs();
    });
    peer.start();
  }

  disconnect(peerId: string, reason: string): void {
    this.peers.get(peerId)?.close(reason);
  }

  /** What this player holds or is loading, newest first, as much as fits one frame. */
  private holdings(): HaveEntry[] {
    const entries: HaveEntry[] = [];
    const sequences = [...this.known.keys()].sort((a, b) => b - a);
    for (const sequence of sequences) {
      const buffer = this.context.store.get(this.id, sequence);
      if (buffer?.status === 'complete') entries.push({ segment: sequence, state: 'complete' });
      else if (this.jobs.has(sequence) && buffer && buffer.received > 0) entries.push({ segment: sequence, state: 'loading' });
      if (entries.length >= MAX_HAVE_ENTRIES) break;
    }
    return entries;
  }

  /** Called by the store when it evicts a segment of this swarm. */
  evicted(segment: number): void {
    // Held once, it is not pulled ahead again when a peer announces it: with a store smaller than the
    // playlist's window, every announce of an evicted segment would fetch it anew, round and round.
    this.fresh.delete(segment);
    this.broadcast([{ segment, state: 'dropped' }]);
  }

  private broadcast(entries: HaveEntry[]): void {
    for (const peer of this.peers.values()) peer.announce(entries);
  }

  /** Stops every transfer and closes every peer connection. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const { job } of this.jobs.values()) job.stop();
    this.relays.destroy();
    for (const peer of [...this.peers.values()]) peer.close('swarm destroyed');
    this.peers.clear();
    this.removeAllListeners();
  }
}
