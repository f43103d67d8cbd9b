import type { Clock, TimerHandle } from '../util/clock.js';
import { advertisedUpload, uploadAdmission, uploadFanOut } from './scheduler.js';
import { UploadBudget, type UploadBudgetSettings } from './upload-budget.js';
import { UplinkMeter } from './uplink-meter.js';

/** How often the uplink meter looks at what peers acknowledged. */
const UPLINK_SAMPLE_MS = 500;
/** Of the uplink meter's windows, one in this many paces uploads above the measured uplink (a probe). */
const UPLINK_PROBE_EVERY = 4;

export interface UploadPolicySettings extends UploadBudgetSettings {
  /** Peers uploaded to at once, all swarms together. */
  readonly maxUploadPeers: number;
  /** A request is taken only if everything queued, it included, leaves within this many ms. */
  readonly uploadQueueMs: number;
  /** Upload even when the browser asks to save data (`navigator.connection.saveData`). */
  readonly uploadOnSaveData: boolean;
  /** Upload even on a cellular connection (`navigator.connection.type`). */
  readonly uploadOnCellular: boolean;
}

/** The uploads in progress, all swarms together: what the caps and the uplink meter look at. */
export interface UploadActivity {
  /** Peers being uploaded to now. */
  uploadingPeers(): number;
  /** Bytes still to send for the uploads in progress. */
  pendingUploadBytes(): number;
  /** Bytes sent and not acknowledged yet. */
  uploadsInFlight(): number;
}

/** What a Peer asks before and while it serves a request. */
export interface PeerUploads {
  /** Whether this player uploads to `peer` at all right now (saveData, cellular, the cap on peers). */
  mayUpload(peer: { readonly activeUploads: number }): boolean;
  /** Milliseconds before `bytes` may go to `peer` under the budget (0: now, and they are taken from it). */
  waitMs(peer: object, bytes: number): number;
  /** Whether the uplink takes a request for `bytes` more now: 0 if so, else ms until it may (answered 'busy'). */
  admit(bytes: number): number;
  onUploaded(bytes: number): void;
  /** A peer acknowledged this many more bytes of an upload (the uplink meter counts them). */
  onAcknowledged(bytes: number): void;
}

/**
 * Everything that decides what this player uploads: whether at all (saveData, cellular), to how many peers
 * at once, how many requests the uplink takes (UploadAdmission), how fast in total and to one peer (the
 * UploadBudget's token buckets), and the uplink meter that keeps the budget below what the link carries.
 * One per engine, handed to every Peer.
 */
export class UploadPolicy implements PeerUploads {
  readonly budget: UploadBudget;
  private readonly meter = new UplinkMeter();
  private samples = 0;
  private meterTimer: TimerHandle | undefined;
  /** Bytes sent to peers since the start. */
  uploaded = 0;
  /** Upload bytes peers acknowledged since the start (what the uplink meter measures). */
  acknowledged = 0;
  /** Requests answered 'busy' since the start. */
  refusedBusy = 0;
  private advertisedRate: number;

  constructor(
    private readonly settings: UploadPolicySettings,
    private readonly clock: Clock,
    private readonly activity: UploadActivity,
    /** The upload rate to advertise to peers changed (see `advertised`). */
    private readonly onAdvertised: (upload: number) => void = () => undefined,
  ) {
    this.budget = new UploadBudget(settings, () => clock.now());
    this.advertisedRate = advertisedUpload(undefined, this.offeredRate());
  }

  /** What this player offers peers, bytes per second: its upload budget, 0 while it uploads nothing. */
  private offeredRate(): number {
    return this.uploadsAllowed() ? this.budget.rate : 0;
  }

  /**
   * The upload rate this player tells its peers, bytes per second, in coarse steps (advertisedUpload): its
   * upload budget, 0 while it uploads nothing (saveData, cellular). Peers elect players for HTTP by it.
   */
  get advertised(): number {
    return this.advertisedRate;
  }

  /** Follows the budget (after a new uplink estimate or bitrate) and says when the advertised rate moved a step. */
  private readvertise(): void {
    const next = advertisedUpload(this.advertisedRate, this.offeredRate());
    if (next === this.advertisedRate) return;
    this.advertisedRate = next;
    this.onAdvertised(next);
  }

  /** Upload bytes per second measured, undefined until measured. */
  get uplinkRate(): number | undefined {
    return this.meter.rate;
  }

  /** Whether this player uploads at all: not when the browser asks to save data or is on a cellular connection, unless the options say so. */
  private uploadsAllowed(): boolean {
    const connection = (globalThis as { navigator?: { connection?: { saveData?: boolean; type?: string } } }).navigator?.connection;
    if (connection?.saveData && !this.settings.uploadOnSaveData) return false;
    return !(connection?.type === 'cellular' && !this.settings.uploadOnCellular);
  }

  mayUpload(peer: { readonly activeUploads: number }): boolean {
    if (!this.uploadsAllowed()) return false;
    if (peer.activeUploads > 0) return true;
    return this.activity.uploadingPeers() < uploadFanOut(this.budget.rate, this.budget.streamRate, this.settings.maxUploadPeers);
  }

  waitMs(peer: object, bytes: number): number {
    return this.budget.waitMs(peer, bytes);
  }

  admit(bytes: number): number {
    const admission = uploadAdmission({ queuedBytes: this.activity.pendingUploadBytes(), requestBytes: bytes, rate: this.budget.rate, maxQueueMs: this.settings.uploadQueueMs });
    if (admission.admit) return 0;
    this.refusedBusy++;
    return admission.retryMs;
  }

  onUploaded(bytes: number): void {
    this.uploaded += bytes;
  }

  onAcknowledged(bytes: number): void {
    this.acknowledged += bytes;
  }

  /** A segment was played: the budget follows the stream's bitrate. */
  observeSegment(bytes: number, durationSeconds: number): void {
    this.budget.observeSegment(bytes, durationSeconds);
    this.readvertise();
  }

  /** Starts the uplink meter (once a swarm may upload); stopped by destroy(). */
  startMetering(): void {
    this.meterTimer ??= this.clock.setInterval(() => this.sampleUplink(), UPLINK_SAMPLE_MS);
  }

  /** Feeds the uplink meter; a new estimate lowers (or frees) the upload budget. */
  private sampleUplink(): void {
    const estimate = this.meter.sample({ at: this.clock.now(), acknowledged: this.acknowledged, inFlight: this.activity.uploadsInFlight(), budgetHeld: this.budget.held });
    if (estimate !== undefined) this.budget.observeUplink(estimate);
    // One window in every few paces sends above the estimate, so a faster link can show itself.
    this.budget.probe(++this.samples % UPLINK_PROBE_EVERY === 0);
    this.readvertise();
  }

  destroy(): void {
    this.clock.clearInterval(this.meterTimer);
    this.meterTimer = undefined;
  }
}
