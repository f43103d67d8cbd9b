import { LRUCache } from 'lru-cache';
import { initialRate, takeTokenIfAny, type RateState } from '../net/rate-limit.js';

export interface ReportLimits {
  /** Reports one player session may send per second on average, and in a burst. */
  readonly sessionPerSecond: number;
  readonly sessionBurst: number;
  /** Reports all sessions behind one client address may send together per second, and in a burst. */
  readonly addressPerSecond: number;
  readonly addressBurst: number;
}

/**
 * Stats report limits, per player session and per client address. Viewers share addresses (a household,
 * an office, a carrier's NAT), so the address limit is a ceiling far above one player's rate, and the
 * per-session limit is what keeps one player in check. Neither bucket goes into debt: a refused report
 * costs nothing, so an address that was over its ceiling is back to its full rate as soon as it slows.
 */
export class ReportLimiter {
  private readonly sessions = new LRUCache<string, RateState>({ max: 200_000 });
  private readonly addresses = new LRUCache<string, RateState>({ max: 100_000 });

  constructor(private readonly limits: ReportLimits) {}

  /** One report arrives from `address`: false when the address is over its ceiling. */
  admitAddress(address: string, now: number): boolean {
    return take(this.addresses, address, this.limits.addressPerSecond, this.limits.addressBurst, now);
  }

  /** One valid report names `session`: false when that session is over its rate. */
  admitSession(session: string, now: number): boolean {
    return take(this.sessions, session, this.limits.sessionPerSecond, this.limits.sessionBurst, now);
  }

  clear(): void {
    this.sessions.clear();
    this.addresses.clear();
  }
}

function take(buckets: LRUCache<string, RateState>, key: string, perSecond: number, burst: number, now: number): boolean {
  let state = buckets.get(key);
  if (!state) {
    state = initialRate(burst, now);
    buckets.set(key, state);
  }
  return takeTokenIfAny(state, perSecond, burst, now);
}
