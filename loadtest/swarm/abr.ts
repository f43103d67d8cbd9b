/**
 * hls.js' ABR for players without a screen (the simulator's and the model's): its bandwidth estimator —
 * two exponentially weighted moving averages of each fragment's throughput, weighted by transfer time, with
 * live half-lives of 3 s and 9 s, the lower of the two, 500 kbit/s before any sample — and its level choice
 * in short: the highest rendition whose bitrate fits the estimate × 0.95 to stay or go down, × 0.7 to go up
 * (hls.js' `abrBandWidthFactor` and `abrBandWidthUpFactor`). Buffer-based refinements of hls.js are left out.
 */

/** hls.js' defaults for live streams. */
export const ABR_DEFAULTS = { fastHalfLifeSeconds: 3, slowHalfLifeSeconds: 9, defaultEstimate: 500_000, minDelayMs: 50, stayFactor: 0.95, upFactor: 0.7 } as const;

class Ewma {
  private readonly alpha: number;
  private estimate = 0;
  totalWeight = 0;

  constructor(halfLifeSeconds: number) {
    this.alpha = Math.exp(Math.log(0.5) / halfLifeSeconds);
  }

  sample(weight: number, value: number): void {
    const adjusted = this.alpha ** weight;
    this.estimate = value * (1 - adjusted) + adjusted * this.estimate;
    this.totalWeight += weight;
  }

  /** The average, corrected for its start at zero. */
  get value(): number {
    const zeroFactor = 1 - this.alpha ** this.totalWeight;
    return zeroFactor > 0 ? this.estimate / zeroFactor : this.estimate;
  }
}

export class BandwidthEstimator {
  private readonly fast = new Ewma(ABR_DEFAULTS.fastHalfLifeSeconds);
  private readonly slow = new Ewma(ABR_DEFAULTS.slowHalfLifeSeconds);

  /** One fragment: `bytes` streamed in over `transferMs`. */
  sample(transferMs: number, bytes: number): void {
    const seconds = Math.max(transferMs, ABR_DEFAULTS.minDelayMs) / 1000;
    const bitsPerSecond = (8 * bytes) / seconds;
    this.fast.sample(seconds, bitsPerSecond);
    this.slow.sample(seconds, bitsPerSecond);
  }

  /** Bits per second; the default until a sample came. */
  get estimate(): number {
    return this.fast.totalWeight > 0 ? Math.min(this.fast.value, this.slow.value) : ABR_DEFAULTS.defaultEstimate;
  }
}

/** The rendition to load next: `bitrates` in ascending order (bit/s), `current` an index into them. */
export function chooseRendition(bitrates: readonly number[], current: number, estimate: number): number {
  let pick = 0;
  for (let i = 0; i < bitrates.length; i++) {
    const factor = i > current ? ABR_DEFAULTS.upFactor : ABR_DEFAULTS.stayFactor;
    if (bitrates[i]! <= estimate * factor) pick = i;
  }
  return pick;
}
