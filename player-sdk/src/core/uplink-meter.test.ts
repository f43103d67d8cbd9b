import { describe, expect, it } from 'vitest';
import { UPLINK_BACKLOG_BYTES, UplinkMeter, uplinkRate } from './uplink-meter.js';

const backlog = UPLINK_BACKLOG_BYTES;

describe('uplinkRate', () => {
  it('is what left the buffers over a window in which data waited from start to end', () => {
    // 100 kB handed over, the backlog grew by 40 kB: 60 kB left in 500 ms.
    expect(uplinkRate({ at: 0, written: 0, buffered: backlog }, { at: 500, written: 100_000, buffered: backlog + 40_000 })).toBe(120_000);
  });

  it('says nothing when the buffers ran dry at either end (the player, not the link, set the pace) or the window is short', () => {
    expect(uplinkRate({ at: 0, written: 0, buffered: backlog - 1 }, { at: 500, written: 100_000, buffered: backlog })).toBeUndefined();
    expect(uplinkRate({ at: 0, written: 0, buffered: backlog }, { at: 500, written: 100_000, buffered: 0 })).toBeUndefined();
    expect(uplinkRate({ at: 0, written: 0, buffered: backlog }, { at: 199, written: 100_000, buffered: backlog })).toBeUndefined();
    expect(uplinkRate({ at: 0, written: 0, buffered: backlog * 3 }, { at: 500, written: 0, buffered: backlog * 3 })).toBeUndefined();
  });
});

describe('UplinkMeter', () => {
  it('rises at once to a faster window and falls slowly after a slower one', () => {
    const meter = new UplinkMeter();
    let written = 0;
    const window = (at: number, drained: number): number | undefined => {
      written += drained;
      return meter.sample({ at, written, buffered: backlog });
    };
    expect(window(0, 0)).toBeUndefined();
    expect(meter.rate).toBeUndefined();
    expect(window(500, 50_000)).toBe(100_000);
    expect(window(1000, 100_000)).toBe(200_000);
    // One slow window (a receiver holding a channel back) moves it a fifth of the way.
    expect(window(1500, 25_000)).toBe(170_000);
    expect(meter.rate).toBe(170_000);
    // A window without backlog leaves it alone.
    written += 1_000_000;
    expect(meter.sample({ at: 2000, written, buffered: 0 })).toBeUndefined();
    expect(meter.rate).toBe(170_000);
  });
});
