/** A timer set on a `Clock`; only that clock can clear it. */
export type TimerHandle = number | object;

/**
 * Time as the core sees it: every `now` it reads and every timer it sets. The system clock in players; a
 * virtual clock in the swarm model, which runs thousands of engines in one process faster than real time.
 */
export interface Clock {
  /** Monotonic time in ms. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(callback: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
}

type GlobalTimer = ReturnType<typeof setTimeout>;

/** The platform's clock and timers, looked up at each call (so test frameworks' fake timers apply). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as GlobalTimer | undefined),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as GlobalTimer | undefined),
};
