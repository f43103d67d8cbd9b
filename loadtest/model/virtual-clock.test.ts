import { describe, expect, it } from 'vitest';
import { VirtualClock } from './virtual-clock.js';

describe('VirtualClock', () => {
  it('runs timers in time order, same-time timers in the order they were set, and stands at the end of the run', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push('late'), 31);
    await clock.run(30);
    expect(seen).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(30);
    expect(clock.pending).toBe(1);
    await clock.run(31);
    expect(seen.at(-1)).toBe('late');
  });

  it('repeats intervals until cleared, and skips cleared timers', async () => {
    const clock = new VirtualClock();
    const ticks: number[] = [];
    const interval = clock.setInterval(() => ticks.push(clock.now()), 100);
    const cleared = clock.setTimeout(() => ticks.push(-1), 150);
    clock.clearTimeout(cleared);
    clock.setTimeout(() => clock.clearInterval(interval), 350);
    await clock.run(1000);
    expect(ticks).toEqual([100, 200, 300]);
    expect(clock.pending).toBe(0);
    expect(clock.eventsRun).toBe(4);
  });

  it('lets promise continuations settle before time moves on, so awaiting code sees events in order', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));
    void (async () => {
      await sleep(10);
      // Two awaits deep: still before the timer due at 11.
      await Promise.resolve();
      await Promise.resolve();
      seen.push(`chain@${clock.now()}`);
      clock.setTimeout(() => seen.push(`set by chain@${clock.now()}`), 0);
    })();
    clock.setTimeout(() => seen.push(`timer@${clock.now()}`), 11);
    await clock.run(100);
    expect(seen).toEqual(['chain@10', 'set by chain@10', 'timer@11']);
  });

  it('treats negative, zero and non-numeric delays as due now, as platform timers do', async () => {
    const clock = new VirtualClock(500);
    const at: number[] = [];
    clock.setTimeout(() => at.push(clock.now()), -5);
    clock.setTimeout(() => at.push(clock.now()), Number.NaN);
    await clock.run(500);
    expect(at).toEqual([500, 500]);
  });

  it('stops a run with the error of a timer that throws', async () => {
    const clock = new VirtualClock();
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 5);
    await expect(clock.run(10)).rejects.toThrow('boom');
  });
});
