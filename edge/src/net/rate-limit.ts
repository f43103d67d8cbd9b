/** Token-bucket state of one connection; two numbers, so idle connections stay cheap. */
export interface RateState {
  tokens: number;
  /** Clock (ms) of the last refill. */
  at: number;
}

export const RATE_VERDICTS = { allow: 0, reject: 1, abuse: 2 } as const;
export type RateVerdict = (typeof RATE_VERDICTS)[keyof typeof RATE_VERDICTS];

export function initialRate(burst: number, now: number): RateState {
  return { tokens: burst, at: now };
}

/**
 * Takes one message from the bucket. `allow` while tokens last (refilled at `perSecond`, up to `burst`);
 * `reject` when the bucket is empty (the message is dropped and answered); `abuse` once a client has kept
 * sending through a whole extra burst of rejections, and is to be disconnected.
 */
export function takeToken(state: RateState, perSecond: number, burst: number, now: number): RateVerdict {
  const elapsed = now - state.at;
  if (elapsed > 0) {
    state.tokens = Math.min(burst, state.tokens + (elapsed * perSecond) / 1000);
    state.at = now;
  }
  state.tokens -= 1;
  if (state.tokens >= 0) return RATE_VERDICTS.allow;
  return state.tokens < -burst ? RATE_VERDICTS.abuse : RATE_VERDICTS.reject;
}

/**
 * Takes one token if the bucket has one, and takes nothing otherwise: a client over its rate is refused
 * without going into debt, so it is back to its full rate as soon as it slows down. For limits that must
 * never silence a well-behaved client for long (stats reports), where `takeToken`'s debt is for limits
 * that end in a disconnect (tracker messages).
 */
export function takeTokenIfAny(state: RateState, perSecond: number, burst: number, now: number): boolean {
  const elapsed = now - state.at;
  if (elapsed > 0) {
    state.tokens = Math.min(burst, state.tokens + (elapsed * perSecond) / 1000);
    state.at = now;
  }
  if (state.tokens < 1) return false;
  state.tokens -= 1;
  return true;
}
