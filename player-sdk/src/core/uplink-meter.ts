/** Bytes in flight (sent, not acknowledged) at both ends of a window for it to count: the uplink, not the player, set the pace. */
export const UPLINK_BACKLOG_BYTES = 16 * 1024;
/** Shortest window measured: a few hundred ms smooth out the chunk-by-chunk drain. */
const MIN_WINDOW_MS = 200;
/** How far back the estimate looks: the fastest window of the last this many ms. */
export const UPLINK_MEMORY_MS = 10_000;

export interface UplinkSample {
  readonly at: number;
  /** Upload bytes peers acknowledged since the start, all peers together. */
  readonly acknowledged: number;
  /** Upload bytes sent and not acknowledged yet, all peers together. */
  readonly inFlight: number;
  /** Times since the start the player's upload budget held bytes back (a count that only grows); 0 if never. */
  readonly budgetHeld?: number;
}

/**
 * The upload rate one window shows the uplink can sustain, or undefined when the window says nothing:
 * only while bytes were in flight from its start to its end was the link, not the supply of data, the
 * limit; then what the receivers acknowledged over the window is the link's rate.
 */
export function uplinkRate(previous: UplinkSample, current: UplinkSample): number | undefined {
  const ms = current.at - previous.at;
  if (ms < MIN_WINDOW_MS || previous.inFlight < UPLINK_BACKLOG_BYTES || current.inFlight < UPLINK_BACKLOG_BYTES) return undefined;
  const acknowledged = current.acknowledged - previous.acknowledged;
  return acknowledged > 0 ? (acknowledged / ms) * 1000 : undefined;
}

/**
 * What the uplink has been seen to carry: the fastest window of the last ten seconds in which it was the
 * bottleneck. A window is only ever too slow, never too fast: acknowledgements that queue behind a
 * receiver's own uploads in its home router, or one receiver holding one channel back, look like a slow
 * uplink, so a slower window lowers the estimate only once every faster one is older than that (a link that
 * really got slower, because someone else in the home uploads, shows in every window and is followed within
 * ten seconds). A window in which this player's own upload budget held bytes back says how fast the budget,
 * not the link, let them go: it may raise the estimate, never lower it. (An estimate that fell on those
 * windows would lower the budget, which would slow the next windows: a spiral down.)
 */
export class UplinkMeter {
  private last: UplinkSample | undefined;
  private estimate: number | undefined;
  private windows: Array<{ readonly at: number; readonly rate: number }> = [];

  /** Bytes per second the uplink sustains, once measured. */
  get rate(): number | undefined {
    return this.estimate;
  }

  /** Takes a sample; returns the estimate when this window changed it. */
  sample(current: UplinkSample): number | undefined {
    const previous = this.last;
    this.last = current;
    if (!previous) return undefined;
    const rate = uplinkRate(previous, current);
    if (rate === undefined) return undefined;
    const budgetHeld = (current.budgetHeld ?? 0) > (previous.budgetHeld ?? 0);
    if (budgetHeld && this.estimate !== undefined && rate <= this.estimate) return undefined;
    this.windows = this.windows.filter((w) => w.at > current.at - UPLINK_MEMORY_MS);
    this.windows.push({ at: current.at, rate });
    const estimate = this.windows.reduce((max, w) => Math.max(max, w.rate), 0);
    if (estimate === this.estimate) return undefined;
    this.estimate = estimate;
    return estimate;
  }
}
