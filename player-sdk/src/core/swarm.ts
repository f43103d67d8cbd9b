import type { Clock, TimerHandle } from '../util/clock.js';
import { MAX_HAVE_ENTRIES, type HaveEntry, type HaveState } from '@shoal/protocol';
import { ShoalError } from './errors.js';
import { TypedEmitter } from '../util/event-emitter.js';
import { fetchIntoBuffer, type FetchLike } from './http-loader.js';
import { matchesDigest } from './integrity.js';
import { Peer, type PeerHost } from './peer.js';
import type { PeerChannel } from './peer-channel.js';
import { chooseSource, electedForHttp, judgePeerTransfer, resumeOverHttp, type PeerCandidate } from './scheduler.js';
import { contradictedSources, type SegmentBuffer, type SourceSpan } from './segment-buffer.js';
import type { SegmentStore } from './segment-store.js';
import type { SegmentRef } from './segment.js';

export interface SwarmSettings {
  /** Inside this many ms of a segment's deadline only HTTP is used. */
  readonly urgentWindowMs: number;
  /** A peer that sends nothing for this long is given up on for the segment. */
  readonly peerStallMs: number;
  /** Players per swarm that fetch each new live segment over HTTP. */
  readonly httpFetchersPerSegment: number;
  /** Refuse P2P for segments without a digest. */
  readonly requireIntegrity: boolean;
  /** Assumed HTTP throughput before one is measured, bytes per second. */
  readonly initialHttpThroughput: number;
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
  mayUpload(peer: Peer): boolean;
  /** Milliseconds before `bytes` may go to `peer` (0: now, and they are taken from its budget). */
  uploadWaitMs(peer: Peer, bytes: number): number;
  /** 0 if the uplink takes a request for `bytes` more now, else ms until it may. */
  admitUpload(bytes: number): number;
  onUploaded(bytes: number): void;
  /** Peers acknowledged this many more bytes of uploads. */
  onUploadAcknowledged(bytes: number): void;
  /** Peer bytes that arrived and were not kept: late, failed verification or withdrawn, or held by a job that failed. */
  onPeerBytesDiscarded(bytes: number): void;
  /** A peer sent bytes that failed verification, or broke the protocol: it is disconnected and never reconnected. */
  ban(peerId: string, reason: string): void;
  httpThroughput(): number | undefined;
  onHttpTransfer(bytes: number, ms: number): void;
}

export interface LoadedSegment {
  readonly bytes: Uint8Array;
  readonly bytesFrom: { readonly http: number; readonly p2p: number };
  /**
   * When loading started, the first byte arrived and the last one did (ms on the context clock): the real
   * transfer, even when the player asks for a segment fetched ahead, so players' bandwidth estimates stay true.
   */
  readonly timing: { readonly start: number; readonly first: number; readonly end: number };
  readonly verified: boolean;
}

interface SwarmEvents {
  'peer-connected': (peerId: string) => void;
  'peer-disconnected': (peerId: string, reason: string) => void;
  /** `size`: the segment's bytes and duration; `peers`: the peers whose bytes the segment holds. */
  'segment-loaded': (segment: number, bytesFrom: { http: number; p2p: number }, size: { bytes: number; duration: number }, peers: readonly string[]) => void;
  'integrity-failure': (segment: number, peers: readonly string[]) => void;
}

interface Job {
  readonly segment: SegmentRef;
  readonly buffer: SegmentBuffer;
  deadline: number | undefined;
  httpOnly: boolean;
  /** Peers that stalled, failed or lied on this segment: not asked for it again. */
  readonly excluded: Set<string>;
  wake: () => void;
  readonly promise: Promise<LoadedSegment>;
  controller: AbortController;
  /**
   * A copy from several peers that failed its digest, kept until the origin's copy shows whose bytes were
   * false (the job goes on over HTTP only).
   */
  evidence?: { readonly bytes: Uint8Array; readonly spans: readonly SourceSpan[]; readonly claims: ReadonlyMap<string, 'complete' | 'loading'> };
}

const WATCHDOG_MS = 100;
/** How long a relaying peer has to retract a copy that failed its own verification. */
export const RETRACT_WINDOW_MS = 2_000;
/** Relayed copies a peer may see proved false (and retract) before it is banned all the same. */
export const MAX_FAILED_RELAYS = 2;
/** Requests in a row a peer may leave without a byte (while claiming the segment) before it is banned. */
export const MAX_FRUITLESS_REQUESTS = 3;
/** Peers whose failed relays are remembered (oldest forgotten first). */
const MAX_TRACKED_PEERS = 1024;

/**
 * One rendition's swarm: the peers watching it, the segments this player holds or loads for it, and the
 * scheduling loop that decides, per segment, between peers and HTTP.
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
  private readonly judgements = new Set<TimerHandle>();
  /** Relayed copies of each peer that proved false, across its reconnections. */
  private readonly failedRelays = new Map<string, number>();
  private destroyed = false;

  constructor(
    /** Swarm id: the hex info hash, also sent in the peer hello. */
    readonly id: string,
    private readonly context: SwarmContext,
  ) {
    super();
    this.p2p = context.p2pEnabled;
  }

  /** P2P turned out impossible (its set-up failed): stop waiting for peers. */
  disableP2p(): void {
    this.p2p = false;
    for (const job of this.jobs.values()) job.wake();
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
      if (deadline !== undefined && (existing.deadline === undefined || deadline < existing.deadline)) {
        existing.deadline = deadline;
        existing.wake();
      }
      return existing.promise;
    }
    const held = this.context.store.get(this.id, segment.sequence);
    if (held?.status === 'complete') {
      return Promise.resolve({ bytes: held.bytes(), bytesFrom: { http: 0, p2p: 0 }, timing: { ...held.timing }, verified: segment.digest !== undefined });
    }
    const buffer = this.context.store.open(this.id, segment.sequence);
    let resolveJob!: (value: LoadedSegment) => void;
    let rejectJob!: (error: Error) => void;
    const promise = new Promise<LoadedSegment>((resolve, reject) => {
      resolveJob = resolve;
      rejectJob = reject;
    });
    const job: Job = {
      segment,
      buffer,
      deadline,
      httpOnly: this.context.settings.requireIntegrity && segment.digest === undefined,
      excluded: new Set(),
      wake: () => undefined,
      promise,
      controller: new AbortController(),
    };
    this.jobs.set(segment.sequence, job);
    this.run(job).then(
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

  private httpEstimateMs(job: Job): number {
    const remaining = (job.buffer.total ?? job.segment.byteRange?.length ?? 1_000_000) - job.buffer.received;
    const rate = this.context.httpThroughput() ?? this.context.settings.initialHttpThroughput;
    return (Math.max(0, remaining) / rate) * 1000 + 150;
  }

  private async run(job: Job): Promise<LoadedSegment> {
    const { segment, buffer } = job;
    buffer.timing.start = this.context.clock.now();
    const progress = buffer.subscribe(() => {
      if (buffer.timing.first === 0 && buffer.received > 0) buffer.timing.first = this.context.clock.now();
    });
    try {
      for (;;) {
        if (this.destroyed) throw new ShoalError('SHOAL_ERR_DESTROYED');
        if (!buffer.filled) {
          const decision = chooseSource({
            now: this.context.clock.now(),
            deadline: job.deadline,
            urgentWindowMs: this.context.settings.urgentWindowMs,
            httpEstimateMs: this.httpEstimateMs(job),
            candidates: this.candidates(segment.sequence, job.excluded),
            // The election decides who brings a new live segment into the swarm. Any other segment (out
            // before this player joined, or VOD) has been announced by the peers that hold it: with peers
            // connected and none holding it, HTTP it is; while peers are still connecting, wait for them.
            electedForHttp:
              !this.fresh.has(segment.sequence) ||
              electedForHttp(this.context.selfId, this.peerIds(), segment.sequence, this.context.settings.httpFetchersPerSegment),
            httpOnly: job.httpOnly,
            awaitingPeers: this.awaitingFirstPeers(),
          });
          if (decision.kind === 'wait') {
            await this.waitForChange(job, decision.maxWaitMs);
            continue;
          }
          this.broadcast([{ segment: segment.sequence, state: 'loading' }]);
          if (decision.kind === 'http') {
            const started = this.context.clock.now();
            const before = buffer.received;
            try {
              await fetchIntoBuffer(this.context.fetch, segment, buffer, job.controller.signal);
            } catch (error) {
              if (!(error instanceof ShoalError && error.code === 'SHOAL_ERR_SIZE_CONFLICT')) throw error;
              // A peer's declared size was false: its bytes go, the whole segment comes over HTTP from byte 0.
              this.blame(segment.sequence, buffer, 'false size');
              continue;
            }
            this.context.onHttpTransfer(buffer.received - before, this.context.clock.now() - started);
          } else {
            await this.fromPeer(job, decision.peerId);
            continue;
          }
        }
        if (buffer.bytesFrom.p2p > 0 && segment.digest !== undefined && !(await matchesDigest(buffer.bytes(), segment.digest))) {
          this.emit('integrity-failure', segment.sequence, [...buffer.contributors.keys()]);
          if (buffer.contributors.size === 1) this.blame(segment.sequence, buffer, 'bad bytes');
          else {
            // Several peers sent parts: the origin's copy, fetched next, shows whose part was false.
            job.evidence = { bytes: buffer.bytes().slice(), spans: buffer.spans(), claims: new Map(buffer.contributors) };
            this.discard(segment.sequence, buffer);
          }
          continue;
        }
        if (job.evidence) await this.judgeEvidence(job, buffer);
        const bytesFrom = { ...buffer.bytesFrom };
        const contributors = [...buffer.contributors.keys()];
        buffer.timing.end = this.context.clock.now();
        if (buffer.timing.first === 0) buffer.timing.first = buffer.timing.end;
        buffer.markComplete();
        this.context.store.completed(this.id, buffer);
        this.broadcast([{ segment: segment.sequence, state: 'complete' }]);
        this.emit('segment-loaded', segment.sequence, bytesFrom, { bytes: buffer.received, duration: segment.duration }, contributors);
        return { bytes: buffer.bytes(), bytesFrom, timing: { ...buffer.timing }, verified: segment.digest !== undefined };
      }
    } finally {
      progress();
      // Whatever peer bytes this job threw away (and, if it failed, the ones it held) were sent for nothing.
      const wasted = buffer.discardedP2p + (buffer.status === 'complete' ? 0 : buffer.bytesFrom.p2p);
      buffer.discardedP2p = 0;
      if (wasted > 0) this.context.onPeerBytesDiscarded(wasted);
    }
  }

  /** Waits until a peer announces something, the deadline changes, or `maxWaitMs` passes. */
  private waitForChange(job: Job, maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const clock = this.context.clock;
      const timer = Number.isFinite(maxWaitMs) ? clock.setTimeout(done, Math.max(1, maxWaitMs)) : undefined;
      function done(): void {
        if (timer !== undefined) clock.clearTimeout(timer);
        job.wake = () => undefined;
        resolve();
      }
      job.wake = done;
    });
  }

  /** Downloads from one peer, giving up when it stalls or would miss the deadline; the loop then decides again. */
  private async fromPeer(job: Job, peerId: string): Promise<void> {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    // The peer continues from the bytes already here, whoever sent them: nothing that arrived is thrown away,
    // and peers relaying from us are not held up. The buffer records who sent what (see judgeEvidence).
    const { sequence } = job.segment;
    const startedAt = this.context.clock.now();
    const startBytes = job.buffer.received;
    // A relay still loading the segment may have nothing yet to send (its own source is slow or busy): only
    // a peer that said its copy is complete and sends nothing is suspect.
    const claimedComplete = peer.has(sequence) === 'complete';
    const watchdog = this.context.clock.setInterval(() => {
      const now = this.context.clock.now();
      const verdict = judgePeerTransfer({
        now,
        startedAt,
        lastProgressAt: peer.lastProgress(sequence) ?? startedAt,
        received: job.buffer.received - startBytes,
        remaining: (job.buffer.total ?? job.segment.byteRange?.length ?? job.buffer.received + 1) - job.buffer.received,
        // A peer still loading the segment itself may pause while its own source catches up.
        stallLimitMs: peer.has(sequence) === 'loading' ? this.context.settings.peerStallMs * 3 : this.context.settings.peerStallMs,
        deadline: job.deadline,
        urgentWindowMs: this.context.settings.urgentWindowMs,
        httpEstimateMs: this.httpEstimateMs(job),
      });
      if (verdict === undefined) return;
      peer.failures++;
      // What arrived stays: the next source continues from there (HTTP past half the segment, see resumeOverHttp).
      job.httpOnly = job.httpOnly || verdict === 'deadline' || resumeOverHttp(job.buffer.received, job.buffer.total);
      peer.cancel(sequence, new ShoalError('SHOAL_ERR_ABORTED', 'peer too slow'));
    }, WATCHDOG_MS);
    try {
      await peer.download(sequence, job.buffer);
      peer.fruitlessRequests = 0;
    } catch (error) {
      // A full uplink is no fault: the peer is skipped until it said to ask again (Peer.busyUntil).
      if (error instanceof ShoalError && error.code === 'SHOAL_ERR_PEER_BUSY') return;
      // What it sent stays; the next source (another peer, or HTTP with Range) continues from there, not it again.
      job.excluded.add(peerId);
      if (error instanceof ShoalError && error.code === 'SHOAL_ERR_PEER_PROTOCOL') this.context.ban(peerId, error.message);
      // A peer that claims complete segments and sends nothing for them, again and again, only costs time.
      const answeredAbsent = error instanceof ShoalError && error.code === 'SHOAL_ERR_PEER_GONE' && peer.ready;
      // (Bytes it sent that arrive after we gave up clear its record too: a congested uplink is no liar, see Peer.)
      if (job.buffer.received > startBytes || answeredAbsent) peer.fruitlessRequests = 0;
      else if (claimedComplete && ++peer.fruitlessRequests >= MAX_FRUITLESS_REQUESTS) this.context.ban(peerId, 'silent claims');
      // Absent, gone, too slow: the scheduling loop picks the next source.
    } finally {
      this.context.clock.clearInterval(watchdog);
    }
  }

  /**
   * Peer bytes in `buffer` proved false (bad digest, or a size the origin contradicts): they are discarded
   * and the job continues over HTTP only. A peer that vouched for a complete copy is banned. One relaying a
   * copy still arriving (cut-through) could not have checked it yet: if its own check fails it retracts the
   * copy ('dropped') and is innocent once; if it does not retract within the window, it lied. A peer whose
   * relays fail more than MAX_FAILED_RELAYS times is banned all the same: the exemption has a limit.
   */
  private blame(sequence: number, buffer: SegmentBuffer, what: string): void {
    for (const [peerId, claimed] of buffer.contributors) this.punish(peerId, claimed, sequence, what);
    this.discard(sequence, buffer);
  }

  private punish(peerId: string, claimed: 'complete' | 'loading', sequence: number, what: string): void {
    const failed = (this.failedRelays.get(peerId) ?? 0) + 1;
    if (claimed === 'complete') this.context.ban(peerId, what);
    else if (failed > MAX_FAILED_RELAYS) this.context.ban(peerId, 'false relays');
    else {
      this.failedRelays.delete(peerId);
      this.failedRelays.set(peerId, failed);
      if (this.failedRelays.size > MAX_TRACKED_PEERS) this.failedRelays.delete(this.failedRelays.keys().next().value!);
      this.judgeRelay(peerId, sequence);
    }
  }

  /** Throws the bytes away, tells our downstream peers what we relayed is void, and goes on over HTTP only. */
  private discard(sequence: number, buffer: SegmentBuffer): void {
    this.broadcast([{ segment: sequence, state: 'dropped' }]);
    buffer.reset();
    const job = this.jobs.get(sequence);
    if (job) job.httpOnly = true;
  }

  /**
   * The origin's copy is here (over HTTP, after a copy from several peers failed): the peers whose bytes
   * differ from it sent the false ones. The origin's copy is checked first, so that a changed segment
   * accuses no one.
   */
  private async judgeEvidence(job: Job, buffer: SegmentBuffer): Promise<void> {
    const evidence = job.evidence!;
    job.evidence = undefined;
    if (job.segment.digest === undefined || !(await matchesDigest(buffer.bytes(), job.segment.digest))) return;
    for (const peerId of contradictedSources(evidence.bytes, evidence.spans, buffer.bytes())) {
      this.punish(peerId, evidence.claims.get(peerId) ?? 'complete', job.segment.sequence, 'bad bytes');
    }
  }

  private judgeRelay(peerId: string, sequence: number): void {
    const timer = this.context.clock.setTimeout(() => {
      this.judgements.delete(timer);
      // A peer that left within the window retracted nothing: leaving must not be a way out of the judgement.
      const peer = this.peers.get(peerId);
      if (!peer?.retracted(sequence)) this.context.ban(peerId, 'kept a false relay');
    }, RETRACT_WINDOW_MS);
    this.judgements.add(timer);
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
      mayUpload: (p) => this.context.mayUpload(p),
      uploadWaitMs: (bytes) => this.context.uploadWaitMs(peer, bytes),
      admitUpload: (bytes) => this.context.admitUpload(bytes),
      onUploaded: (bytes) => this.context.onUploaded(bytes),
      onAcknowledged: (bytes) => this.context.onUploadAcknowledged(bytes),
      onDiscarded: (bytes) => this.context.onPeerBytesDiscarded(bytes),
      clock: this.context.clock,
    };
    const peer = new Peer(peerId, channel, host);
    this.peers.set(peerId, peer);
    peer.on('ready', () => {
      peer.announce(this.holdings(), true);
      this.emit('peer-connected', peerId);
      for (const job of this.jobs.values()) job.wake();
    });
    peer.on('have', (segment: number, state: HaveState) => {
      if (state === 'dropped') return;
      this.jobs.get(segment)?.wake();
      // A new live segment a peer holds that we are not loading yet: pull it ahead of the player.
      const known = this.known.get(segment);
      if (known && this.fresh.has(segment) && !this.jobs.has(segment) && this.context.store.get(this.id, segment)?.status !== 'complete') {
        void this.ensure(known, undefined).catch(() => undefined);
      }
    });
    peer.on('introduced', () => {
      for (const job of this.jobs.values()) job.wake();
    });
    peer.on('close', (reason: string) => {
      this.peers.delete(peerId);
      // A peer that broke the protocol is not let back in.
      if (reason.startsWith('protocol')) this.context.ban(peerId, reason);
      this.emit('peer-disconnected', peerId, reason);
      for (const job of this.jobs.values()) job.wake();
    });
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
    for (const job of this.jobs.values()) {
      job.controller.abort();
      job.wake();
    }
    for (const timer of this.judgements) this.context.clock.clearTimeout(timer);
    this.judgements.clear();
    for (const peer of [...this.peers.values()]) peer.close('swarm destroyed');
    this.peers.clear();
    this.removeAllListeners();
  }
}
