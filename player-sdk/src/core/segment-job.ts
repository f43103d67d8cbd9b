import type { HaveState } from '@shoal/protocol';
import type { Clock, TimerHandle } from '../util/clock.js';
import { ShoalError } from './errors.js';
import { fetchIntoBuffer, type FetchLike } from './http-loader.js';
import { matchesDigest } from './integrity.js';
import type { Peer } from './peer.js';
import type { RelayJudge } from './relay-judge.js';
import { chooseSource, giveUpOnPeer, httpEstimateMs, judgePeerFailure, type PeerCandidate } from './scheduler.js';
import { contradictedSources, type SegmentBuffer, type SourceSpan } from './segment-buffer.js';
import type { SegmentRef } from './segment.js';

/** Requests in a row a peer may leave without a byte (while claiming the segment) before it is banned. */
export const MAX_FRUITLESS_REQUESTS = 3;
const WATCHDOG_MS = 100;

export interface JobSettings {
  /** Inside this many ms of a segment's deadline only HTTP is used. */
  readonly urgentWindowMs: number;
  /** A peer that sends nothing for this long is given up on for the segment. */
  readonly peerStallMs: number;
  /** Assumed HTTP throughput before one is measured, bytes per second. */
  readonly initialHttpThroughput: number;
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

/** What a job asks of a peer: download the segment, and what the peer said and did. */
export type JobPeer = Pick<Peer, 'ready' | 'has' | 'lastProgress' | 'download' | 'cancel'> & { failures: number; fruitlessRequests: number };

/** What a segment job needs from its swarm. */
export interface JobHost {
  readonly clock: Clock;
  readonly fetch: FetchLike;
  readonly settings: JobSettings;
  readonly relays: RelayJudge;
  /** The connected peers that hold or load `sequence`, but for `excluded`. */
  candidates(sequence: number, excluded: ReadonlySet<string>): PeerCandidate[];
  peer(peerId: string): JobPeer | undefined;
  /**
   * Ms after its job started at which this player fetches the segment over HTTP for the swarm when no peer
   * has it (0: at once; see httpTurnMs).
   */
  httpTurnMs(sequence: number): number;
  /** P2P is possible and no peer has said yet what it holds. */
  awaitingPeers(): boolean;
  /** Tells the swarm's peers what this player now holds of `sequence`. */
  announce(sequence: number, state: HaveState): void;
  /** The segment is complete and verified: the store keeps it for peers. */
  keep(buffer: SegmentBuffer): void;
  loaded(sequence: number, bytesFrom: { http: number; p2p: number }, size: { bytes: number; duration: number }, peers: readonly string[]): void;
  integrityFailure(sequence: number, peers: readonly string[]): void;
  httpThroughput(): number | undefined;
  onHttpTransfer(bytes: number, ms: number): void;
  onPeerBytesDiscarded(bytes: number): void;
  ban(peerId: string, reason: string): void;
}

/**
 * Loading one segment: wait for a source, take bytes from the peer expected soonest or from HTTP, give up on
 * a peer that stalls or would miss the deadline and continue from the bytes already here, verify the result,
 * and judge the peers whose bytes were false.
 */
export class SegmentJob {
  /** Peers that stalled, failed or lied on this segment: not asked for it again. */
  private readonly excluded = new Set<string>();
  /** P2P ruled out: integrity required without a digest, or peer bytes proved false, or no time for another peer. */
  private httpOnly: boolean;
  private wakeUp: () => void = () => undefined;
  private readonly controller = new AbortController();
  private stopped = false;
  /**
   * A copy from several peers that failed its digest, kept until the origin's copy shows whose bytes were
   * false (the job goes on over HTTP only).
   */
  private evidence?: { readonly bytes: Uint8Array; readonly spans: readonly SourceSpan[]; readonly claims: ReadonlyMap<string, 'complete' | 'loading'> };

  /** When the player needs the segment (host clock); undefined for a fetch ahead. */
  private deadline: number | undefined;

  constructor(
    readonly segment: SegmentRef,
    readonly buffer: SegmentBuffer,
    deadline: number | undefined,
    requireIntegrity: boolean,
    private readonly host: JobHost,
  ) {
    this.deadline = deadline;
    this.httpOnly = requireIntegrity && segment.digest === undefined;
  }

  /** Something changed (a peer announced, connected or left): decide again now rather than at the next timeout. */
  wake(): void {
    this.wakeUp();
  }

  /** The player needs the segment by `deadline`: sooner than before moves the decision up. */
  hurry(deadline: number): void {
    if (this.deadline !== undefined && deadline >= this.deadline) return;
    this.deadline = deadline;
    this.wake();
  }

  /** The swarm is destroyed: the transfer in progress is aborted and the job fails. */
  stop(): void {
    this.stopped = true;
    this.controller.abort();
    this.wake();
  }

  private estimateHttpMs(): number {
    const remaining = (this.buffer.total ?? this.segment.byteRange?.length ?? 1_000_000) - this.buffer.received;
    return httpEstimateMs(remaining, this.host.httpThroughput() ?? this.host.settings.initialHttpThroughput);
  }

  async run(): Promise<LoadedSegment> {
    const { segment, buffer, host } = this;
    buffer.timing.start = host.clock.now();
    const progress = buffer.subscribe(() => {
      if (buffer.timing.first === 0 && buffer.received > 0) buffer.timing.first = host.clock.now();
    });
    try {
      for (;;) {
        if (this.stopped) throw new ShoalError('SHOAL_ERR_DESTROYED');
        if (!buffer.filled) {
          const now = host.clock.now();
          const decision = chooseSource({
            now,
            deadline: this.deadline,
            urgentWindowMs: host.settings.urgentWindowMs,
            httpEstimateMs: this.estimateHttpMs(),
            candidates: host.candidates(segment.sequence, this.excluded),
            httpTurnInMs: host.httpTurnMs(segment.sequence) - (now - buffer.timing.start),
            httpOnly: this.httpOnly,
            awaitingPeers: host.awaitingPeers(),
          });
          if (decision.kind === 'wait') {
            await this.waitForChange(decision.maxWaitMs);
            continue;
          }
          host.announce(segment.sequence, 'loading');
          if (decision.kind === 'http') {
            const started = host.clock.now();
            const before = buffer.received;
            try {
              await fetchIntoBuffer(host.fetch, segment, buffer, this.controller.signal);
            } catch (error) {
              if (!(error instanceof ShoalError && error.code === 'SHOAL_ERR_SIZE_CONFLICT')) throw error;
              // A peer's declared size was false: its bytes go, the whole segment comes over HTTP from byte 0.
              this.blame('false size');
              continue;
            }
            host.onHttpTransfer(buffer.received - before, host.clock.now() - started);
          } else {
            await this.fromPeer(decision.peerId);
            continue;
          }
        }
        if (buffer.bytesFrom.p2p > 0 && segment.digest !== undefined && !(await matchesDigest(buffer.bytes(), segment.digest))) {
          host.integrityFailure(segment.sequence, [...buffer.contributors.keys()]);
          if (buffer.contributors.size === 1) this.blame('bad bytes');
          else {
            // Several peers sent parts: the origin's copy, fetched next, shows whose part was false.
            this.evidence = { bytes: buffer.bytes().slice(), spans: buffer.spans(), claims: new Map(buffer.contributors) };
            this.discard();
          }
          continue;
        }
        if (this.evidence) await this.judgeEvidence();
        const bytesFrom = { ...buffer.bytesFrom };
        const contributors = [...buffer.contributors.keys()];
        buffer.timing.end = host.clock.now();
        if (buffer.timing.first === 0) buffer.timing.first = buffer.timing.end;
        buffer.markComplete();
        host.keep(buffer);
        host.announce(segment.sequence, 'complete');
        host.loaded(segment.sequence, bytesFrom, { bytes: buffer.received, duration: segment.duration }, contributors);
        return { bytes: buffer.bytes(), bytesFrom, timing: { ...buffer.timing }, verified: segment.digest !== undefined };
      }
    } finally {
      progress();
      // Whatever peer bytes this job threw away (and, if it failed, the ones it held) were sent for nothing.
      const wasted = buffer.discardedP2p + (buffer.status === 'complete' ? 0 : buffer.bytesFrom.p2p);
      buffer.discardedP2p = 0;
      if (wasted > 0) host.onPeerBytesDiscarded(wasted);
    }
  }

  /** Waits until a peer announces something, the deadline changes, or `maxWaitMs` passes. */
  private waitForChange(maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const clock = this.host.clock;
      let timer: TimerHandle | undefined;
      const done = (): void => {
        if (timer !== undefined) clock.clearTimeout(timer);
        this.wakeUp = () => undefined;
        resolve();
      };
      if (Number.isFinite(maxWaitMs)) timer = clock.setTimeout(done, Math.max(1, maxWaitMs));
      this.wakeUp = done;
    });
  }

  /** Downloads from one peer, giving up when it stalls or would miss the deadline; the loop then decides again. */
  private async fromPeer(peerId: string): Promise<void> {
    const { host, buffer } = this;
    const peer = host.peer(peerId);
    if (!peer) return;
    // The peer continues from the bytes already here, whoever sent them: nothing that arrived is thrown away,
    // and peers relaying from us are not held up. The buffer records who sent what (see judgeEvidence).
    const { sequence } = this.segment;
    const startedAt = host.clock.now();
    const startBytes = buffer.received;
    // A relay still loading the segment may have nothing yet to send (its own source is slow or busy): only
    // a peer that said its copy is complete and sends nothing is suspect.
    const claimedComplete = peer.has(sequence) === 'complete';
    const watchdog = host.clock.setInterval(() => {
      const giveUp = giveUpOnPeer({
        now: host.clock.now(),
        startedAt,
        lastProgressAt: peer.lastProgress(sequence),
        held: buffer.received,
        heldAtStart: startBytes,
        total: buffer.total,
        rangeLength: this.segment.byteRange?.length,
        peerState: peer.has(sequence),
        peerStallMs: host.settings.peerStallMs,
        deadline: this.deadline,
        urgentWindowMs: host.settings.urgentWindowMs,
        httpEstimateMs: this.estimateHttpMs(),
      });
      if (giveUp === undefined) return;
      peer.failures++;
      // What arrived stays: the next source continues from there (HTTP past half the segment, see resumeOverHttp).
      this.httpOnly = this.httpOnly || giveUp.httpOnly;
      peer.cancel(sequence, new ShoalError('SHOAL_ERR_ABORTED', 'peer too slow'));
    }, WATCHDOG_MS);
    try {
      await peer.download(sequence, buffer);
      peer.fruitlessRequests = 0;
    } catch (error) {
      // (Bytes it sent that arrive after we gave up clear its record too: a congested uplink is no liar, see Peer.)
      const outcome = judgePeerFailure({
        code: error instanceof ShoalError ? error.code : undefined,
        peerReady: peer.ready,
        progressed: buffer.received > startBytes,
        claimedComplete,
        fruitlessRequests: peer.fruitlessRequests,
        maxFruitless: MAX_FRUITLESS_REQUESTS,
      });
      // A full uplink is no fault: the peer is skipped until it said to ask again (Peer.busyUntil).
      if (!outcome.exclude) return;
      // What it sent stays; the next source (another peer, or HTTP with Range) continues from there, not it again.
      this.excluded.add(peerId);
      if (outcome.banForProtocol) host.ban(peerId, (error as Error).message);
      peer.fruitlessRequests = outcome.fruitlessRequests;
      if (outcome.banForSilence) host.ban(peerId, 'silent claims');
      // Absent, gone, too slow: the scheduling loop picks the next source.
    } finally {
      host.clock.clearInterval(watchdog);
    }
  }

  /** Peer bytes in the buffer proved false (bad digest, or a size the origin contradicts): see RelayJudge. */
  private blame(what: string): void {
    for (const [peerId, claimed] of this.buffer.contributors) this.host.relays.punish(peerId, claimed, this.segment.sequence, what);
    this.discard();
  }

  /** Throws the bytes away, tells our downstream peers what we relayed is void, and goes on over HTTP only. */
  private discard(): void {
    this.host.announce(this.segment.sequence, 'dropped');
    this.buffer.reset();
    this.httpOnly = true;
  }

  /**
   * The origin's copy is here (over HTTP, after a copy from several peers failed): the peers whose bytes
   * differ from it sent the false ones. The origin's copy is checked first, so that a changed segment
   * accuses no one.
   */
  private async judgeEvidence(): Promise<void> {
    const evidence = this.evidence!;
    this.evidence = undefined;
    const { segment, buffer } = this;
    if (segment.digest === undefined || !(await matchesDigest(buffer.bytes(), segment.digest))) return;
    for (const peerId of contradictedSources(evidence.bytes, evidence.spans, buffer.bytes())) {
      this.host.relays.punish(peerId, evidence.claims.get(peerId) ?? 'complete', segment.sequence, 'bad bytes');
    }
  }
}
