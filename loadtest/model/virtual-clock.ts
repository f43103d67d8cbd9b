import type { Clock, TimerHandle } from '@shoal/player-sdk';

interface Timer {
  readonly id: number;
  at: number;
  /** Set for intervals: the period to run again after. */
  readonly every: number | undefined;
  readonly callback: () => void;
}

/** Yields to the event loop: every microtask queued so far (promise continuations, awaits) runs first. */
const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Time for a discrete-event model: `now` moves only when `run` reaches the next timer, so a process runs
 * minutes of many engines' time as fast as it can compute them. Timers due at the same instant run in the
 * order they were set; between instants every promise continuation settles, so code that awaits between
 * timers sees the same order of events as with real time.
 */
export class VirtualClock implements Clock {
  private time = 0;
  private nextId = 1;
  /** Binary min-heap on (at, id). */
  private readonly heap: Timer[] = [];
  /** Timers set and not cleared nor fired (intervals stay until cleared). */
  private readonly live = new Set<number>();
  private executed = 0;

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** Timers that ran so far. */
  get eventsRun(): number {
    return this.executed;
  }

  /** Timers waiting. */
  get pending(): number {
    return this.live.size;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.add(callback, ms, Math.max(1, ms));
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (typeof handle === 'number') this.live.delete(handle);
  }

  clearInterval(handle: TimerHandle | undefined): void {
    this.clearTimeout(handle);
  }

  private add(callback: () => void, ms: number, every: number | undefined): number {
    // As with platform timers, a delay that is no number or below zero means "as soon as possible".
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { id: this.nextId++, at: this.time + delay, every, callback };
    this.live.add(timer.id);
    this.push(timer);
    return timer.id;
  }

  /**
   * Runs every timer due up to `until` (ms), in time order, letting promise continuations settle after each
   * instant; then the clock stands at `until`. A timer that throws stops the run with its error.
   */
  async run(until: number): Promise<void> {
    await drainMicrotasks();
    for (;;) {
      const next = this.heap[0];
      if (next === undefined || next.at > until) break;
      this.pop();
      if (!this.live.has(next.id)) continue;
      this.time = next.at;
      if (next.every === undefined) this.live.delete(next.id);
      else {
        next.at += next.every;
        this.push(next);
      }
      this.executed++;
      next.callback();
      // Only when time is about to move: continuations of everything due now settle before later timers run.
      const following = this.heap[0];
      if (following === undefined || following.at > this.time) await drainMicrotasks();
    }
    this.time = Math.max(this.time, until);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && earlier(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && earlier(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

function earlier(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}
