import { TokenBucket } from './token-bucket.js';

export interface UploadBudgetSettings {
  /** Hard cap, bytes per second (Infinity: none beyond the bitrate multiple). */
  readonly uploadRateLimit: number;
  /** Upload budget as a multiple of the stream's bitrate. */
  readonly uploadBitrateMultiple: number;
  /** Most of the budget one peer may draw, as a fraction of it. */
  readonly peerUploadShare: number;
}

/** Bitrate assumed before a segment was played: 2 Mbit/s. */
const ASSUMED_BITRATE = 250_000;
/** Each bucket may burst this many seconds of its rate: a segment leaves at link speed, not at the average. */
const BURST_SECONDS = 2;
const MIN_BURST_BYTES = 256 * 1024;
/** Of a measured uplink, the share uploads may plan on: the player's own requests and acknowledgements need the rest. */
const UPLINK_SHARE = 0.9;

/**
 * What this viewer uploads, bounded by default: in total at most `uploadBitrateMultiple` times the bitrate
 * of what it plays (and never above `uploadRateLimit`), and to any one peer at most `peerUploadShare` of
 * that. A peer drawing in a loop gets its share and no more; the others are still served.
 */
export class UploadBudget {
  private bitrate: number | undefined;
  /** What the uplink was measured to carry (UplinkMeter), bytes per second. */
  private uplink: number | undefined;
  private readonly total: TokenBucket;
  private readonly perPeer = new WeakMap<object, TokenBucket>();

  constructor(
    private readonly settings: UploadBudgetSettings,
    private readonly now: () => number,
  ) {
    this.total = new TokenBucket(this.rate, this.burstOf(this.rate), now);
  }

  /** Bytes per second all peers together may draw now. */
  get rate(): number {
    const budget = Math.min(this.settings.uploadRateLimit, this.settings.uploadBitrateMultiple * (this.bitrate ?? ASSUMED_BITRATE));
    // Never promise peers more than the uplink carries: requests admitted beyond it finish late (the
    // requester gives up and fetches over HTTP), and the backlog delays this player's own requests too.
    return this.uplink === undefined ? budget : Math.min(budget, this.uplink * UPLINK_SHARE);
  }

  /** Bytes per second one peer may draw now. */
  get peerRate(): number {
    return this.rate * this.settings.peerUploadShare;
  }

  private burstOf(rate: number): number {
    return Number.isFinite(rate) ? Math.max(MIN_BURST_BYTES, rate * BURST_SECONDS) : MIN_BURST_BYTES;
  }

  /** A segment was played: its size over its duration is the stream's bitrate (smoothed). */
  observeSegment(bytes: number, durationSeconds: number): void {
    if (!(durationSeconds > 0) || bytes <= 0) return;
    const rate = bytes / durationSeconds;
    this.bitrate = this.bitrate === undefined ? rate : this.bitrate * 0.8 + rate * 0.2;
    this.total.configure(this.rate, this.burstOf(this.rate));
  }

  /** The uplink was measured to sustain `bytesPerSecond`. */
  observeUplink(bytesPerSecond: number): void {
    if (!(bytesPerSecond > 0)) return;
    this.uplink = bytesPerSecond;
    this.total.configure(this.rate, this.burstOf(this.rate));
  }

  private bucketOf(peer: object): TokenBucket {
    let bucket = this.perPeer.get(peer);
    if (!bucket) {
      bucket = new TokenBucket(this.peerRate, this.burstOf(this.peerRate), this.now);
      this.perPeer.set(peer, bucket);
    } else bucket.configure(this.peerRate, this.burstOf(this.peerRate));
    return bucket;
  }

  /** Milliseconds before `bytes` may go to `peer`; 0 means now, and they were taken from both budgets. */
  waitMs(peer: object, bytes: number): number {
    const own = this.bucketOf(peer);
    const wait = Math.max(this.total.waitMs(bytes), own.waitMs(bytes));
    if (wait > 0) return wait;
    this.total.tryTake(bytes);
    own.tryTake(bytes);
    return 0;
  }
}
