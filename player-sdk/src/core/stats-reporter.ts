import { STATS_REPORT_VERSION, type StatsReport } from '@shoal/protocol';
import type { EngineStats } from './engine-api.js';
import { randomId20 } from './peer-connector.js';

export interface StatsReporterOptions {
  readonly url: string;
  readonly intervalMs: number;
  /** The stream's playlist path as the edge publishes it. */
  stream(): string | undefined;
  stats(): EngineStats;
  now(): number;
  /** Resolves with the response (only its `ok` is read); rejects when nothing reached the edge. */
  readonly fetch: (url: string, init: { method: string; headers: Record<string, string>; body: string; keepalive: boolean }) => Promise<{ ok: boolean } | unknown>;
}

/**
 * Posts the engine's counters to the edge as deltas (format in @shoal/protocol) every interval, and once
 * more with `sendBeacon` when the page is hidden, so that the last seconds of a session are counted too.
 */
export class StatsReporter {
  private readonly session = randomId20().replace(/[^A-Za-z0-9]/g, 'x');
  private seq = 0;
  private last: EngineStats | undefined;
  private lastAt: number;
  private startupSent = false;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly onHide = (): void => {
    if ((globalThis as { document?: Document }).document?.visibilityState === 'hidden') this.send(true);
  };

  constructor(private readonly options: StatsReporterOptions) {
    this.lastAt = options.now();
    this.timer = setInterval(() => this.send(false), options.intervalMs);
    (globalThis as { addEventListener?: (type: string, listener: () => void) => void }).addEventListener?.('visibilitychange', this.onHide);
    (globalThis as { addEventListener?: (type: string, listener: () => void) => void }).addEventListener?.('pagehide', this.onHide);
  }

  /**
   * Builds the next report from what changed since the last report the edge accepted, or undefined when
   * there is nothing to say yet. `commit` makes it the new baseline once the edge took it.
   */
  next(): { report: StatsReport; commit: () => void } | undefined {
    const stream = this.options.stream();
    if (!stream) return undefined;
    const now = this.options.now();
    const current = this.options.stats();
    const previous = this.last;
    const delta = (field: 'httpBytes' | 'p2pBytes' | 'p2pRelayBytes' | 'uploadBytes' | 'stalls' | 'stallMs' | 'connectionsCreated' | 'connectionsFailed'): number =>
      (current[field] ?? 0) - (previous?.[field] ?? 0);
    const relayed = delta('p2pRelayBytes');
    const intervalMs = Math.max(0, Math.min(600_000, Math.round(now - this.lastAt)));
    const report: StatsReport = {
      v: STATS_REPORT_VERSION,
      session: this.session,
      seq: this.seq++,
      stream,
      intervalMs,
      httpBytes: delta('httpBytes'),
      p2pBytes: delta('p2pBytes'),
      // Only when there is some: an edge that predates the field refuses reports carrying it.
      ...(relayed > 0 ? { p2pRelayBytes: relayed } : {}),
      uploadBytes: delta('uploadBytes'),
      stalls: delta('stalls'),
      stallMs: Math.min(delta('stallMs'), intervalMs + 1000),
      peers: Math.min(1000, current.peers),
      connectionsCreated: Math.min(10_000, delta('connectionsCreated')),
      connectionsFailed: Math.min(10_000, delta('connectionsFailed')),
      connectionsOpen: Math.min(1000, current.connectionsOpen),
      ...(current.startupMs !== undefined && !this.startupSent ? { startupMs: Math.min(600_000, current.startupMs) } : {}),
    };
    return {
      report,
      commit: () => {
        this.last = current;
        this.lastAt = now;
        if (report.startupMs !== undefined) this.startupSent = true;
      },
    };
  }

  /**
   * Sends a report. Deltas become the baseline only once the edge accepted them (2xx), so a report
   * refused (rate limit) or lost on the way is carried by the next one; a beacon cannot be checked and
   * counts as accepted.
   */
  send(beacon: boolean): void {
    const next = this.next();
    if (!next) return;
    const body = JSON.stringify(next.report);
    const navigatorRef = (globalThis as { navigator?: Navigator }).navigator;
    if (beacon && navigatorRef?.sendBeacon) {
      if (navigatorRef.sendBeacon(this.options.url, new Blob([body], { type: 'text/plain' }))) next.commit();
      return;
    }
    void this.options
      .fetch(this.options.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, keepalive: true })
      .then((response) => {
        if ((response as { ok?: boolean } | undefined)?.ok !== false) next.commit();
      })
      .catch(() => undefined);
  }

  destroy(): void {
    clearInterval(this.timer);
    (globalThis as { removeEventListener?: (type: string, listener: () => void) => void }).removeEventListener?.('visibilitychange', this.onHide);
    (globalThis as { removeEventListener?: (type: string, listener: () => void) => void }).removeEventListener?.('pagehide', this.onHide);
  }
}
