import { describe, expect, it } from 'vitest';
import { UPLINK_BACKLOG_BYTES, UPLINK_MEMORY_MS, UplinkMeter, uplinkRate } from './uplink-meter.js';

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
  /** Feeds windows of 500 ms with bytes in flight throughout; `held` marks a window the upload budget paced. */
  function feeder(meter: UplinkMeter) {
    let acknowledged = 0;
    let budgetHeld = 0;
    return (at: number, acked: number, held = false): number | undefined => {
      acknowledged += acked;
      if (held) budgetHeld++;
      return meter.sample({ at, acknowledged, inFlight: backlog, budgetHeld });
    };
  }

  it('holds the fastest window of the last ten seconds: slower windows (late acknowledgements) do not pull it down', () => {
    const meter = new UplinkMeter();
    const window = feeder(meter);
    expect(window(0, 0)).toBeUndefined();
    expect(meter.rate).toBeUndefined();
    expect(window(500, 50_000)).toBe(100_000);
    expect(window(1000, 100_000)).toBe(200_000);
    // Acknowledgements stuck behind a receiver's own uploads: a slow window, and another.
    expect(window(1500, 25_000)).toBeUndefined();
    expect(window(2000, 20_000)).toBeUndefined();
    expect(meter.rate).toBe(200_000);
    // A window without bytes in flight says nothing.
    expect(meter.sample({ at: 2500, acknowledged: 10_000_000, inFlight: 0 })).toBeUndefined();
    expect(meter.rate).toBe(200_000);
  });

  it('follows a link that got slower once the faster windows are ten seconds old', () => {
    const meter = new UplinkMeter();
    const window = feeder(meter);
    window(0, 0);
    expect(window(500, 100_000)).toBe(200_000);
    let estimate: number | undefined;
    for (let at = 1000; at < 500 + UPLINK_MEMORY_MS; at += 500) estimate = window(at, 40_000) ?? estimate;
    expect(estimate).toBeUndefined();
    expect(meter.rate).toBe(200_000);
    expect(window(500 + UPLINK_MEMORY_MS, 40_000)).toBe(80_000);
  });

  it('learns only increases from windows its own upload budget paced', () => {
    const meter = new UplinkMeter();
    const window = feeder(meter);
    window(0, 0);
    expect(window(500, 100_000)).toBe(200_000);
    // The budget (0.9 of the estimate) held bytes back all along: these windows show the budget's pace.
    for (let at = 1000; at <= 2000 + UPLINK_MEMORY_MS; at += 500) window(at, 90_000, true);
    expect(meter.rate).toBe(200_000);
    // A paced window that was faster all the same proves the link can.
    expect(window(2500 + UPLINK_MEMORY_MS, 125_000, true)).toBe(250_000);
  });
});
