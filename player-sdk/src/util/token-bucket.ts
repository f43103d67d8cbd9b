/**
 * A token bucket: `rate` units per second, bursting up to `burst`. Used to cap upload bandwidth. The clock
 * is injected so tests can drive it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    private burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  /** Changes the rate and burst from now on (tokens above the new burst are dropped). */
  configure(rate: number, burst: number): void {
    if (Number.isFinite(this.rate)) this.refill();
    else {
      this.tokens = burst;
      this.last = this.now();
    }
    this.rate = rate;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }

  /** Takes `amount` if available. */
  tryTake(amount: number): boolean {
    if (!Number.isFinite(this.rate)) return true;
    this.refill();
    if (this.tokens < amount) return false;
    this.tokens -= amount;
    return true;
  }

  /** Milliseconds until `amount` will be available. */
  waitMs(amount: number): number {
    if (!Number.isFinite(this.rate)) return 0;
    this.refill();
    return this.tokens >= amount ? 0 : Math.ceil(((amount - this.tokens) / this.rate) * 1000);
  }
}
