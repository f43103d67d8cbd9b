import { MAX_FAILED_PEERS, type ShoalAnnounceExtension } from '@shoal/protocol';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { PATH_TYPES, readSelectedPath, type PathType } from './ice-path.js';

export interface ConnectionOutcomesOptions {
  /** An attempt not connected within this many ms counts as failed. @default 20000 */
  readonly connectTimeoutMs?: number;
  /** A connection connected with this path (read from `getStats()`). */
  readonly onPath?: (peerId: string, path: PathType | undefined) => void;
  /** Timers of the connect timeouts. @default the system clock */
  readonly clock?: Clock;
}

/**
 * Watches each connection attempt of one swarm after its offer and answer were exchanged, and keeps what the
 * tracker needs for NAT-aware matching: how many attempts connected, how many failed (ICE found no path, or
 * none within the timeout), and which peers the failures were with, until they are reported in an announce.
 * Also records how each connection's bytes travel (host, srflx, prflx or relay).
 */
export class ConnectionOutcomes {
  private ok = 0;
  private failed = 0;
  private unreported: string[] = [];
  private readonly paths = new Map<string, PathType | undefined>();
  readonly pathCounts: Record<PathType | 'unknown', number> = { host: 0, srflx: 0, prflx: 0, relay: 0, unknown: 0 };
  private readonly timers = new Set<TimerHandle>();
  /** How to settle each attempt still in progress, for `gaveUp`. */
  private readonly inProgress = new Map<RTCPeerConnection, (connected: boolean) => void>();
  private destroyed = false;

  private readonly clock: Clock;

  constructor(private readonly options: ConnectionOutcomesOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  /** Follows one attempt with `peerId` until it connects, fails or times out. */
  watch(peerId: string, pc: RTCPeerConnection): void {
    if (this.destroyed) return;
    const clock = this.clock;
    let settled = false;
    const settle = (connected: boolean): void => {
      if (settled || this.destroyed) return;
      settled = true;
      clock.clearTimeout(timer);
      this.timers.delete(timer);
      this.inProgress.delete(pc);
      pc.removeEventListener('connectionstatechange', onChange);
      if (!connected) {
        this.failed++;
        this.unreported = this.unreported.filter((id) => id !== peerId);
        this.unreported.push(peerId);
        if (this.unreported.length > MAX_FAILED_PEERS) this.unreported.shift();
        return;
      }
      this.ok++;
      void readSelectedPath(pc).then((path) => {
        if (this.destroyed) return;
        this.paths.set(peerId, path);
        this.pathCounts[path ?? 'unknown']++;
        this.options.onPath?.(peerId, path);
      });
    };
    const onChange = (): void => {
      if (pc.connectionState === 'connected') settle(true);
      else if (pc.connectionState === 'failed') settle(false);
      // 'closed' before connecting: given up by this side (not a NAT verdict), not counted.
      else if (pc.connectionState === 'closed') {
        settled = true;
        clock.clearTimeout(timer);
        this.timers.delete(timer);
        this.inProgress.delete(pc);
      }
    };
    const timer = clock.setTimeout(() => settle(pc.connectionState === 'connected'), this.options.connectTimeoutMs ?? 20_000);
    this.timers.add(timer);
    this.inProgress.set(pc, settle);
    pc.addEventListener('connectionstatechange', onChange);
    onChange();
  }

  /**
   * The connection's owner gave up on this attempt (its connect deadline passed, or ICE failed and it closed
   * the connection at once): a failure, although this side closed it.
   */
  gaveUp(pc: RTCPeerConnection): void {
    this.inProgress.get(pc)?.(false);
  }

  /** The path of the connection to `peerId`, once known. */
  pathOf(peerId: string): PathType | undefined {
    return this.paths.get(peerId);
  }

  forget(peerId: string): void {
    this.paths.delete(peerId);
  }

  /** The announce extension fields; the failed peers listed are not listed again. */
  takeExtension(): Pick<ShoalAnnounceExtension, 'reach' | 'failedPeers'> {
    const failedPeers = this.unreported;
    this.unreported = [];
    return { reach: { ok: this.ok, failed: this.failed }, ...(failedPeers.length > 0 ? { failedPeers } : {}) };
  }

  get counts(): { readonly ok: number; readonly failed: number } {
    return { ok: this.ok, failed: this.failed };
  }

  destroy(): void {
    this.destroyed = true;
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.inProgress.clear();
  }
}

export { PATH_TYPES };
