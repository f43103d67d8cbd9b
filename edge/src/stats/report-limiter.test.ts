import { describe, expect, it } from 'vitest';
import { ReportLimiter } from './report-limiter.js';

const limits = { sessionPerSecond: 1, sessionBurst: 10, addressPerSecond: 500, addressBurst: 2500 };

/** One report: the address must admit it, then its session. */
const report = (limiter: ReportLimiter, address: string, session: string, now: number) => limiter.admitAddress(address, now) && limiter.admitSession(session, now);

describe('ReportLimiter', () => {
  it('accepts every report of 1,000 players behind one address, each reporting every 5 s, for 10 minutes', () => {
    const limiter = new ReportLimiter(limits);
    // Players start at spread offsets and report every 5 s ± 0.5 s, as the SDK does.
    const events: { at: number; session: string }[] = [];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let p = 0; p < 1000; p++) {
      for (let at = random() * 5000; at < 600_000; at += 4500 + random() * 1000) events.push({ at: Math.floor(at), session: `player-${p}` });
    }
    events.sort((a, b) => a.at - b.at);
    const refused = events.filter((e) => !report(limiter, '203.0.113.7', e.session, e.at));
    expect(events.length).toBeGreaterThan(115_000);
    expect(refused).toEqual([]);
  });

  it('accepts 1,000 players behind one address who all report in the same second', () => {
    const limiter = new ReportLimiter(limits);
    for (let round = 0; round < 20; round++) {
      for (let p = 0; p < 1000; p++) expect(report(limiter, '203.0.113.7', `player-${p}`, round * 5000 + p)).toBe(true);
    }
  });

  it('holds one session to its rate, and takes it back at full rate once it slows', () => {
    const limiter = new ReportLimiter(limits);
    let accepted = 0;
    // 100 reports per second for 30 s: the burst, then one per second.
    for (let t = 0; t < 30_000; t += 10) if (report(limiter, '203.0.113.7', 'chatty', t)) accepted++;
    expect(accepted).toBeGreaterThanOrEqual(10 + 29);
    expect(accepted).toBeLessThanOrEqual(10 + 30);
    // Its flood cost nothing afterwards: one report every 5 s passes from the first.
    for (let t = 31_000; t < 60_000; t += 5000) expect(report(limiter, '203.0.113.7', 'chatty', t)).toBe(true);
    // Other sessions behind the same address never noticed.
    expect(report(limiter, '203.0.113.7', 'quiet', 30_000)).toBe(true);
  });

  it('caps one address however many session ids it invents, and only that address', () => {
    const limiter = new ReportLimiter({ ...limits, addressPerSecond: 100, addressBurst: 200 });
    let accepted = 0;
    // 1,000 reports per second, each from a new session id, for 10 s.
    for (let i = 0; i < 10_000; i++) if (report(limiter, '198.51.100.9', `invented-${i}`, i)) accepted++;
    expect(accepted).toBeGreaterThanOrEqual(200 + 999);
    expect(accepted).toBeLessThanOrEqual(200 + 1000);
    expect(report(limiter, '198.51.100.10', 'neighbour', 10_000)).toBe(true);
    // Back under the ceiling, the address gets its full rate at once.
    for (let i = 0; i < 100; i++) expect(report(limiter, '198.51.100.9', `later-${i}`, 11_000 + i * 10)).toBe(true);
  });
});
