import { TokenBucket } from '../util/token-bucket.js';

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
 * While probing, sends are paced at this multiple of the measured uplink: only bytes offered faster than the
 * estimate can show that the link carries more (the meter learns nothing from windows the budget paced).
 * Not always: a home router's queue filled by our uploads delays everything else leaving the home, the
 * player's own HTTP requests and TCP acknowledgements included, and its HTTP fallback comes late.
 */
const UPLINK_PROBE = 1.25;

/**
 * What this viewer uploads, bounded by default: in total at most `uploadBitrateMultiple` times the bitrate
 * of what it plays (and never above `uploadRateLimit`), and to any one peer at most `peerUploadShare` of
 * that. A peer drawing in a loop gets its share and no more; the others are still served.
 */
export class UploadBudget {
  private bitrate: number | undefined;
  private timesHeld = 0;
  private probing = false;
  /** What the uplink was measured to carry (UplinkMeter), bytes per second. */
  private uplink: number | undefined;
  private readonly total: TokenBucket;
  private readonly perPeer = new WeakMap<object, TokenBucket>();

  constructor(
    private readonly settings: UploadBudgetSettings,
    private readonly now: () => number,
  ) {
    this.total = new TokenBucket(this.pacingRate, this.burstOf(this.pacingRate), now);
  }

  /** The budget before any uplink measurement: the bitrate multiple, under the hard cap. */
  private get full(): number {
    return Math.min(this.settings.uploadRateLimit, this.settings.uploadBitrateMultiple * (this.bitrate ?? ASSUMED_BITRATE));
  }

  /** The stream's bitrate in bytes per second, as played (assumed 2 Mbit/s before the first segment). */
  get streamRate(): number {
    return this.bitrate ?? ASSUMED_BITRATE;
  }

  /** Bytes per second of uploads to plan on (admission of requests): within the budget and the measured uplink. */
  get rate(): number {
    // Never promise peers more than the uplink carries: requests admitted beyond it finish late (the
    // requester gives up and fetches over HTTP), and the backlog delays this player's own requests too.
    return this.uplink === undefined ? this.full : Math.min(this.full, this.uplink * UPLINK_SHARE);
  }

  /** Bytes per second all peers together may draw now: the budget, below the measured uplink unless probing. */
  get pacingRate(): number {
    return this.uplink === undefined ? this.full : Math.min(this.full, this.uplink * (this.probing ? UPLINK_PROBE : UPLINK_SHARE));
  }

  /** Paces sends above the measured uplink (true) or below it (false), for the uplink meter's next window. */
  probe(on: boolean): void {
    if (on === this.probing) return;
    this.probing = on;
    this.repace();
  }

  /**
   * Bytes per second one peer may draw now: its share of the whole budget, so one peer cannot take it all,
   * but not of a measured uplink, or one upload alone could never show the link is faster than measured.
   */
  get peerRate(): number {
    return Math.min(this.pacingRate, this.full * this.settings.peerUploadShare);
  }

  /** Sets the total bucket to the pacing rate of now (budget, measured uplink, probing). */
  private repace(): void {
    this.total.configure(this.pacingRate, this.burstOf(this.pacingRate));
  }

  private burstOf(rate: number): number {
    return Number.isFinite(rate) ? Math.max(MIN_BURST_BYTES, rate * BURST_SECONDS) : MIN_BURST_BYTES;
  }

  /** A segment was played: its size over its duration is the stream's bitrate (smoothed). */
  observeSegment(bytes: number, durationSeconds: number): void {
    if (!(durationSeconds > 0) || bytes <= 0) return;
    const rate = bytes / durationSeconds;
    this.bitrate = this.bitrate === undefined ? rate : this.bitrate * 0.8 + rate * 0.2;
    this.repace();
  }

  /** The uplink was measured to sustain `bytesPerSecond`. */
  observeUplink(bytesPerSecond: number): void {
    if (!(bytesPerSecond > 0)) return;
    this.uplink = bytesPerSecond;
    this.repace();
  }

  private bucketOf(peer: object): TokenBucket {
    let bucket = this.perPeer.get(peer);
    if (!bucket) {
      bucket = new TokenBucket(this.peerRate, this.burstOf(this.peerRate), this.now);
      this.perPeer.set(peer, bucket);
    } else bucket.configure(this.peerRate, this.burstOf(this.peerRate));
    return bucket;
  }

  /** Times `waitMs` held bytes back (a count that only grows): the uplink meter ignores what the budget paced. */
  get held(): number {
    return this.timesHeld;
  }

  /** Milliseconds before `bytes` may go to `peer`; 0 means now, and they were taken from both budgets. */
  waitMs(peer: object, bytes: number): number {
    const own = this.bucketOf(peer);
    const wait = Math.max(this.total.waitMs(bytes), own.waitMs(bytes));
    if (wait > 0) {
      this.timesHeld++;
      return wait;
    }
    this.total.tryTake(bytes);
    own.tryTake(bytes);
    return 0;
  }
}
