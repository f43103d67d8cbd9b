/**
 * What one segment load tells a player's bandwidth estimator (hls.js ABR, or any adapter's): the time its
 * bytes took to stream in. Over HTTP that is the downlink's speed, the estimator's subject. Bytes from peers
 * stream at what the senders' uplinks and the relay chain give, which can be far below this player's
 * downlink: counted as they are, every viewer of a swarm fed by 1 Mbit/s uplinks would estimate about
 * 1 Mbit/s, drop a rendition and land alone in that rendition's swarm. So a load that came mostly from
 * peers, arrived before the player needed it, and was slower than the current estimate is reported at the
 * estimate's own speed: a neutral sample that leaves the estimate where HTTP loads put it. A peer load that
 * was late, or faster than the estimate, counts as measured: lateness is what ABR must react to, and a fast
 * transfer is a real lower bound of the downlink.
 */

export interface LoadForEstimate {
  readonly bytes: number;
  readonly p2pBytes: number;
  /** First byte to last, ms. */
  readonly transferMs: number;
  /** Whether the segment was complete before the player's deadline for it. */
  readonly inTime: boolean;
}

/** The transfer time, ms, to report for `load` to an estimator whose estimate now is `estimateBitsPerSecond` (undefined: none yet). */
export function transferMsForEstimate(load: LoadForEstimate, estimateBitsPerSecond: number | undefined): number {
  if (!(estimateBitsPerSecond !== undefined && estimateBitsPerSecond > 0) || !load.inTime || load.bytes <= 0) return load.transferMs;
  if (load.p2pBytes * 2 < load.bytes) return load.transferMs;
  const atEstimateMs = (load.bytes * 8 * 1000) / estimateBitsPerSecond;
  return Math.min(load.transferMs, atEstimateMs);
}
