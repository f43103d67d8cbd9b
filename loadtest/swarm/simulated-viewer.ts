import { createHash } from 'node:crypto';
import { ShoalEngine, StatsReporter, transferMsForEstimate, type EngineOptions, type SegmentRef } from '@shoal/player-sdk';
import type { TimerHandle } from '@shoal/player-sdk';
import { BandwidthEstimator, chooseRendition } from './abr.js';
import { fetchMediaPlaylist, type FetchedPlaylist } from './media-playlist.js';

/** One rendition of an ABR ladder: its media playlist and bitrate, bit/s. */
export interface Rendition {
  readonly playlistUrl: string;
  readonly bitrate: number;
}

/**
 * How a viewer with a ladder picks renditions: hls.js' ABR fed every transfer as measured
 * ('all-transfers', what hls.js sees from a loader that reports peer transfers as they streamed), the same
 * with slow peer transfers that arrived in time counted at the estimate ('p2p-aware', what Shoal's hls.js
 * adapter reports: `transferMsForEstimate`), or one rendition throughout (its index).
 */
export type AbrMode = 'all-transfers' | 'p2p-aware' | number;

export interface SimulatedViewerOptions {
  /** Media playlist URL of the rendition watched (without `renditions`). */
  readonly playlistUrl: string;
  /** An ABR ladder, lowest bitrate first; each rendition is its own swarm. */
  readonly renditions?: readonly Rendition[];
  /** With `renditions`. @default 'p2p-aware' */
  readonly abr?: AbrMode;
  /** Start this many segments behind the live edge (hls.js' liveSyncDurationCount). @default 3 */
  readonly liveSyncSegments?: number;
  /** Request segments up to this many seconds ahead of the playhead. @default 12 */
  readonly maxBufferSeconds?: number;
  readonly engine: Partial<EngineOptions>;
  /** Stream path put in stats reports (with `engine.statsUrl`). @default the playlist's path */
  readonly statsStream?: string;
  /** Name of the viewer's uplink class in a mixed run, carried into its report. */
  readonly uplinkClass?: string;
  /** Reload the playlist this often, ms. @default half the target duration, as hls.js does */
  readonly playlistPollMs?: number;
  /** How the playlist is loaded. @default fetched over HTTP and parsed (`fetchMediaPlaylist`) */
  readonly loadPlaylist?: (url: string) => Promise<FetchedPlaylist>;
}

export interface ViewerReport {
  readonly id: string;
  readonly joinedAt: number;
  readonly startupMs: number | undefined;
  readonly segmentsPlayed: number;
  readonly stalls: number;
  readonly stallMs: number;
  /** Segments that were not there when the playhead reached them (each starts a stall). */
  readonly missedDeadlines: number;
  /** Segments whose bytes did not match the playlist digest when handed to the player (must stay 0). */
  readonly corruptSegments: number;
  readonly httpBytes: number;
  readonly p2pBytes: number;
  readonly uploadBytes: number;
  /** Peer bytes this viewer received and did not keep (engine `p2pDiscardedBytes`). */
  readonly p2pDiscardedBytes: number;
  /** What the SDK's upload budget allowed it to send while it watched (budget rate × seconds). */
  readonly uploadCapacityBytes: number;
  /** What the engine measured its uplink to carry (`uplinkRate`), bytes/s; undefined when its uploads never kept bytes in flight. */
  readonly uplinkRate: number | undefined;
  readonly uplinkClass: string | undefined;
  readonly integrityFailures: number;
  readonly peers: number;
  /** P2P fetch latency per segment in ms (player request to complete), for segments that came from peers. */
  readonly p2pLatencies: readonly number[];
  /** Segments that came from peers alone: URL, when the player asked (engine clock) and how long it took (ms). */
  readonly peerOnlyFetches?: readonly { readonly url: string; readonly requestedAt: number; readonly ms: number }[];
  /** With a ladder: bytes loaded per rendition (by index), and how often the viewer switched. */
  readonly renditionBytes?: readonly { readonly http: number; readonly p2p: number }[];
  readonly renditionSwitches?: number;
}

interface Slot {
  readonly segment: SegmentRef;
  /** Index of the rendition (0 without a ladder). */
  readonly rendition: number;
  loaded: boolean;
  requested: boolean;
}

/**
 * A player without a screen: it polls its live playlist like hls.js, starts a few segments behind the live
 * edge, asks the real Shoal engine for each segment with the deadline at which its playhead reaches it, and
 * keeps a playback clock that stalls when a segment is late. Used by the swarm simulator and the SDK's
 * swarm tests.
 */
export class SimulatedViewer {
  readonly engine: ShoalEngine;
  private readonly slots = new Map<number, Slot>();
  private readonly liveSync: number;
  private readonly maxBuffer: number;
  private timer: TimerHandle | undefined;
  private stopped = false;
  /** Sequence of the segment being played and the engine-clock time its playback started (undefined: stalled or not started). */
  private playing: { sequence: number; since: number } | undefined;
  private nextToPlay: number | undefined;
  private stallSince: number | undefined;
  private readonly startAt: number;
  private counters = { segmentsPlayed: 0, stalls: 0, stallMs: 0, missedDeadlines: 0, corruptSegments: 0 };
  private startupMs: number | undefined;
  private readonly p2pLatencies: number[] = [];
  private readonly peerOnlyFetches: { url: string; requestedAt: number; ms: number }[] = [];
  private targetDuration = 2;
  private readonly reporter: StatsReporter | undefined;
  private readonly renditions: readonly Rendition[];
  private rendition: number;
  private readonly estimator = new BandwidthEstimator();
  private readonly renditionBytes: { http: number; p2p: number }[];
  private switches = 0;
  private ticking = false;
  private reloadNow = false;
  private readonly bitrates: readonly number[];
  private readonly abr: AbrMode;

  constructor(
    readonly id: string,
    private readonly options: SimulatedViewerOptions,
  ) {
    this.engine = new ShoalEngine(options.engine);
    this.liveSync = options.liveSyncSegments ?? 3;
    this.maxBuffer = options.maxBufferSeconds ?? 12;
    this.startAt = this.engine.options.clock.now();
    this.renditions = options.renditions ?? [{ playlistUrl: options.playlistUrl, bitrate: 0 }];
    this.bitrates = this.renditions.map((r) => r.bitrate);
    this.abr = options.abr ?? 'p2p-aware';
    this.rendition = typeof this.abr === 'number' ? this.abr : chooseRendition(this.bitrates, 0, this.estimator.estimate);
    if (!this.renditions[this.rendition]) throw new RangeError(`rendition ${this.rendition} is not in the ladder`);
    this.renditionBytes = this.renditions.map(() => ({ http: 0, p2p: 0 }));
    const { statsUrl, statsIntervalMs } = this.engine.options;
    if (statsUrl) {
      const stream = options.statsStream ?? new URL(options.playlistUrl).pathname;
      this.reporter = new StatsReporter({
        url: statsUrl,
        intervalMs: statsIntervalMs,
        stream: () => stream,
        stats: () => this.engine.getStats(),
        now: () => this.now(),
        fetch: (url, init) => fetch(url, init),
      });
    }
  }

  private now(): number {
    return this.engine.options.clock.now();
  }

  start(): void {
    void this.tick();
  }

  private schedule(ms: number): void {
    if (!this.stopped) this.timer = this.engine.options.clock.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    this.ticking = true;
    try {
      const rendition = this.rendition;
      const playlist = await (this.options.loadPlaylist ?? fetchMediaPlaylist)(this.renditions[rendition]!.playlistUrl);
      this.targetDuration = playlist.targetDuration;
      await this.engine.updatePlaylist(playlist.url, playlist.segments, playlist.live);
      for (const segment of playlist.segments) {
        const slot = this.slots.get(segment.sequence);
        // After a switch, segments not asked for yet come from the new rendition.
        if (!slot || (!slot.requested && slot.rendition !== rendition)) this.slots.set(segment.sequence, { segment, rendition, loaded: false, requested: false });
      }
      if (this.nextToPlay === undefined && playlist.segments.length > 0) {
        const start = Math.max(0, playlist.segments.length - this.liveSync);
        this.nextToPlay = playlist.segments[start]!.sequence;
      }
      this.advance();
      this.request();
    } catch {
      // A failed poll is retried at the next tick, as a player would.
    }
    this.ticking = false;
    this.schedule(this.reloadNow ? 0 : (this.options.playlistPollMs ?? (this.targetDuration * 1000) / 2));
    this.reloadNow = false;
  }

  /** After a load: hls.js' ABR samples its transfer and may pick another rendition, whose playlist is loaded at once. */
  private adapt(loaded: { bytes: Uint8Array; bytesFrom: { http: number; p2p: number }; timing: { first: number; end: number } }, inTime: boolean): void {
    const { abr } = this;
    if (this.renditions.length < 2 || typeof abr === 'number') return;
    const measuredMs = Math.max(0, loaded.timing.end - loaded.timing.first);
    const load = { bytes: loaded.bytes.length, p2pBytes: loaded.bytesFrom.p2p, transferMs: measuredMs, inTime };
    this.estimator.sample(abr === 'p2p-aware' ? transferMsForEstimate(load, this.estimator.estimate) : measuredMs, loaded.bytes.length);
    const next = chooseRendition(this.bitrates, this.rendition, this.estimator.estimate);
    if (next === this.rendition) return;
    this.rendition = next;
    this.switches++;
    if (this.ticking) {
      this.reloadNow = true;
    } else {
      if (this.timer !== undefined) this.engine.options.clock.clearTimeout(this.timer);
      void this.tick();
    }
  }

  /** Moves the playhead: plays loaded segments back to back, stalls on a missing one. */
  private advance(): void {
    const now = this.now();
    for (;;) {
      if (this.playing) {
        const slot = this.slots.get(this.playing.sequence)!;
        const end = this.playing.since + slot.segment.duration * 1000;
        if (now < end) return;
        this.playing = undefined;
        this.lastEnd = end;
        this.nextToPlay = slot.segment.sequence + 1;
        continue;
      }
      if (this.nextToPlay === undefined) return;
      const next = this.slots.get(this.nextToPlay);
      if (!next?.loaded) {
        // The playhead hit a segment that is not there: a stall, from the moment the previous one ended.
        if (this.counters.segmentsPlayed > 0 && this.stallSince === undefined) {
          this.stallSince = this.lastEnd;
          this.counters.missedDeadlines++;
        }
        return;
      }
      let since = this.counters.segmentsPlayed === 0 ? now : this.lastEnd;
      if (this.stallSince !== undefined) {
        this.counters.stalls++;
        this.counters.stallMs += now - this.stallSince;
        this.engine.recordStall(now - this.stallSince);
        this.stallSince = undefined;
        since = now;
      }
      if (this.counters.segmentsPlayed === 0) {
        this.startupMs = now - this.startAt;
        this.engine.recordStartup(this.startupMs);
      }
      this.playing = { sequence: next.segment.sequence, since };
      this.counters.segmentsPlayed++;
    }
  }

  /** When the last segment played ended (engine clock). */
  private lastEnd = 0;

  /** When the playhead will reach `sequence` if nothing stalls. */
  private deadlineOf(sequence: number): number {
    const now = this.now();
    if (this.nextToPlay === undefined) return now;
    // Before playback starts, the first segment is needed at once and each later one a segment later,
    // as a player fills its buffer.
    let at = this.playing ? this.playing.since + this.slots.get(this.playing.sequence)!.segment.duration * 1000 : now;
    for (let s = this.playing ? this.playing.sequence + 1 : this.nextToPlay; s < sequence; s++) {
      at += (this.slots.get(s)?.segment.duration ?? this.targetDuration) * 1000;
    }
    return Math.max(now, at);
  }

  private request(): void {
    if (this.nextToPlay === undefined) return;
    const horizon = this.now() + this.maxBuffer * 1000;
    for (let s = this.nextToPlay; ; s++) {
      const slot = this.slots.get(s);
      if (!slot) break;
      if (slot.requested) continue;
      const deadline = this.deadlineOf(s);
      if (deadline > horizon) break;
      slot.requested = true;
      const requestedAt = this.now();
      void this.engine.loadSegment(this.renditions[slot.rendition]!.playlistUrl, slot.segment, deadline).then(
        (loaded) => {
          const done = this.now();
          const bytes = this.renditionBytes[slot.rendition]!;
          bytes.http += loaded.bytesFrom.http;
          bytes.p2p += loaded.bytesFrom.p2p;
          this.adapt(loaded, done <= deadline);
          const expected = slot.segment.digest;
          if (expected && !createHash('sha256').update(loaded.bytes).digest().equals(Buffer.from(expected))) this.counters.corruptSegments++;
          if (loaded.bytesFrom.p2p > 0) this.p2pLatencies.push(done - requestedAt);
          if (loaded.bytesFrom.p2p > 0 && loaded.bytesFrom.http === 0) this.peerOnlyFetches.push({ url: slot.segment.url, requestedAt, ms: done - requestedAt });
          slot.loaded = true;
          this.advance();
        },
        () => {
          // The player would retry: so do we, at the next tick.
          slot.requested = false;
        },
      );
    }
  }

  report(): ViewerReport {
    this.advance();
    const stats = this.engine.getStats();
    const openStall = this.stallSince !== undefined ? this.now() - this.stallSince : 0;
    return {
      id: this.id,
      joinedAt: this.startAt,
      startupMs: this.startupMs,
      ...this.counters,
      stalls: this.counters.stalls + (openStall > 0 ? 1 : 0),
      stallMs: this.counters.stallMs + openStall,
      httpBytes: stats.httpBytes,
      p2pBytes: stats.p2pBytes,
      uploadBytes: stats.uploadBytes,
      p2pDiscardedBytes: stats.p2pDiscardedBytes,
      uploadCapacityBytes: (stats.uploadBudget * (this.now() - this.startAt)) / 1000,
      uplinkRate: stats.uplinkRate,
      uplinkClass: this.options.uplinkClass,
      integrityFailures: stats.integrityFailures,
      peers: stats.peers,
      p2pLatencies: [...this.p2pLatencies],
      peerOnlyFetches: [...this.peerOnlyFetches],
      ...(this.options.renditions ? { renditionBytes: this.renditionBytes.map((b) => ({ ...b })), renditionSwitches: this.switches } : {}),
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.engine.options.clock.clearTimeout(this.timer);
    this.reporter?.send(false);
    this.reporter?.destroy();
    this.engine.destroy();
  }
}
