/** Bytes in flight (sent, not acknowledged) at both ends of a window for it to count: the uplink, not the player, set the pace. */
export const UPLINK_BACKLOG_BYTES = 16 * 1024;
/** Shortest window measured: a few hundred ms smooth out the chunk-by-chunk drain. */
const MIN_WINDOW_MS = 200;

export interface UplinkSample {
  readonly at: number;
  /** Upload bytes peers acknowledged since the start, all peers together. */
  readonly acknowledged: number;
  /** Upload bytes sent and not acknowledged yet, all peers together. */
  readonly inFlight: number;
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
 * What the uplink has been seen to carry, from windows in which it was the bottleneck. Quick to rise (a
 * window the link drained faster proves it can), slow to fall (a slow receiver holding one channel back
 * looks like a slow uplink for a window or two).
 */
export class UplinkMeter {
  private last: UplinkSample | undefined;
  private estimate: number | undefined;

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
    this.estimate = this.estimate === undefined || rate > this.estimate ? rate : this.estimate * 0.8 + rate * 0.2;
    return this.estimate;
  }
}
