import { STATS_REPORT_VERSION, type StatsReport } from '@shoal/protocol';
import type { EngineStats } from './engine.js';
import { randomId20 } from './peer-connector.js';

export interface StatsReporterOptions {
  readonly url: string;
  readonly intervalMs: number;
  /** The stream's playlist path as the edge publishes it. */
  stream(): string | undefined;
  stats(): EngineStats;
  now(): number;
  readonly fetch: (url: string, init: { method: string; headers: Record<string, string>; body: string; keepalive: boolean }) => Promise<unknown>;
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

  /** Builds the next report, or undefined when there is nothing to say yet. */
  next(): StatsReport | undefined {
    const stream = this.options.stream();
    if (!stream) return undefined;
    const now = this.options.now();
    const current = this.options.stats();
    const previous = this.last;
    const delta = (field: 'httpBytes' | 'p2pBytes' | 'uploadBytes' | 'stalls' | 'stallMs'): number => current[field] - (previous?.[field] ?? 0);
    const report: StatsReport = {
      v: STATS_REPORT_VERSION,
      session: this.session,
      seq: this.seq,
      stream,
      intervalMs: Math.max(0, Math.min(600_000, Math.round(now - this.lastAt))),
      httpBytes: delta('httpBytes'),
      p2pBytes: delta('p2pBytes'),
      uploadBytes: delta('uploadBytes'),
      stalls: delta('stalls'),
      stallMs: Math.min(delta('stallMs'), Math.round(now - this.lastAt) + 1000),
      peers: Math.min(1000, current.peers),
      ...(current.startupMs !== undefined && !this.startupSent ? { startupMs: Math.min(600_000, current.startupMs) } : {}),
    };
    this.last = current;
    this.lastAt = now;
    this.seq++;
    if (report.startupMs !== undefined) this.startupSent = true;
    return report;
  }

  send(beacon: boolean): void {
    const report = this.next();
    if (!report) return;
    const body = JSON.stringify(report);
    const navigatorRef = (globalThis as { navigator?: Navigator }).navigator;
    if (beacon && navigatorRef?.sendBeacon) {
      navigatorRef.sendBeacon(this.options.url, new Blob([body], { type: 'text/plain' }));
      return;
    }
    void this.options
      .fetch(this.options.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, keepalive: true })
      .catch(() => undefined);
  }

  destroy(): void {
    clearInterval(this.timer);
    (globalThis as { removeEventListener?: (type: string, listener: () => void) => void }).removeEventListener?.('visibilitychange', this.onHide);
    (globalThis as { removeEventListener?: (type: string, listener: () => void) => void }).removeEventListener?.('pagehide', this.onHide);
  }
}
