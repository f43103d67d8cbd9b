import { describe, expect, it } from 'vitest';
import { UPLINK_BACKLOG_BYTES, UplinkMeter, uplinkRate } from './uplink-meter.js';

const backlog = UPLINK_BACKLOG_BYTES;

describe('uplinkRate', () => {
  it('is what receivers acknowledged over a window in which bytes were in flight from start to end', () => {
    // 60 kB acknowledged in 500 ms, while the bytes in flight grew by 40 kB.
    expect(uplinkRate({ at: 0, acknowledged: 0, inFlight: backlog }, { at: 500, acknowledged: 60_000, inFlight: backlog + 40_000 })).toBe(120_000);
  });

  it('says nothing when too little was in flight at either end (the player, not the link, set the pace) or the window is short', () => {
    expect(uplinkRate({ at: 0, acknowledged: 0, inFlight: backlog - 1 }, { at: 500, acknowledged: 100_000, inFlight: backlog })).toBeUndefined();
    expect(uplinkRate({ at: 0, acknowledged: 0, inFlight: backlog }, { at: 500, acknowledged: 100_000, inFlight: 0 })).toBeUndefined();
    expect(uplinkRate({ at: 0, acknowledged: 0, inFlight: backlog }, { at: 199, acknowledged: 100_000, inFlight: backlog })).toBeUndefined();
    expect(uplinkRate({ at: 0, acknowledged: 0, inFlight: backlog * 3 }, { at: 500, acknowledged: 0, inFlight: backlog * 3 })).toBeUndefined();
  });
});

describe('UplinkMeter', () => {
  it('rises at once to a faster window and falls slowly after a slower one', () => {
    const meter = new UplinkMeter();
    let acknowledged = 0;
    const window = (at: number, acked: number): number | undefined => {
      acknowledged += acked;
      return meter.sample({ at, acknowledged, inFlight: backlog });
    };
    expect(window(0, 0)).toBeUndefined();
    expect(meter.rate).toBeUndefined();
    expect(window(500, 50_000)).toBe(100_000);
    expect(window(1000, 100_000)).toBe(200_000);
    // One slow window (a receiver holding a channel back) moves it a fifth of the way.
    expect(window(1500, 25_000)).toBe(170_000);
    expect(meter.rate).toBe(170_000);
    // A window without bytes in flight leaves it alone.
    acknowledged += 1_000_000;
    expect(meter.sample({ at: 2000, acknowledged, inFlight: 0 })).toBeUndefined();
    expect(meter.rate).toBe(170_000);
  });
});
