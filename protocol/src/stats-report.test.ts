import { describe, expect, it } from 'vitest';
import { validateStatsReport, type StatsReport } from './stats-report.js';

const good: StatsReport = {
  v: 1,
  session: 'abcDEF12_-',
  seq: 3,
  stream: '/live/demo/master.m3u8',
  intervalMs: 5000,
  httpBytes: 1_000_000,
  p2pBytes: 3_000_000,
  uploadBytes: 2_000_000,
  stalls: 0,
  stallMs: 0,
  peers: 4,
  startupMs: 900,
};

describe('validateStatsReport', () => {
  it('accepts a well-formed report', () => {
    expect(validateStatsReport(good)).toEqual({ ok: true, report: good });
    const withoutStartup: Record<string, unknown> = { ...good };
    delete withoutStartup.startupMs;
    expect(validateStatsReport(withoutStartup).ok).toBe(true);
    expect(validateStatsReport({ ...good, connectionsCreated: 12, connectionsFailed: 3, connectionsOpen: 5 }).ok).toBe(true);
    expect(validateStatsReport({ ...good, p2pRelayBytes: good.p2pBytes }).ok).toBe(true);
  });

  it.each([
    ['not an object', 'hello'],
    ['an array', [good]],
    ['null', null],
    ['another version', { ...good, v: 2 }],
    ['an unknown field', { ...good, extra: 1 }],
    ['a short session', { ...good, session: 'abc' }],
    ['a session with odd characters', { ...good, session: 'abc def ghi' }],
    ['a negative counter', { ...good, httpBytes: -1 }],
    ['a fractional counter', { ...good, p2pBytes: 1.5 }],
    ['a string counter', { ...good, uploadBytes: '5' }],
    ['absurd bytes for the interval', { ...good, intervalMs: 1000, p2pBytes: 300_000_000 }],
    ['stall time longer than the interval', { ...good, stallMs: 60_000 }],
    ['too many peers', { ...good, peers: 5000 }],
    ['an empty stream', { ...good, stream: '' }],
    ['an overlong stream', { ...good, stream: 'x'.repeat(257) }],
    ['a huge interval', { ...good, intervalMs: 10_000_000 }],
    ['a missing seq', { ...good, seq: undefined }],
    ['a negative connection count', { ...good, connectionsCreated: -1 }],
    ['absurd open connections', { ...good, connectionsOpen: 5000 }],
    ['more relayed bytes than peer bytes', { ...good, p2pRelayBytes: good.p2pBytes + 1 }],
    ['negative relayed bytes', { ...good, p2pRelayBytes: -1 }],
  ])('refuses %s', (_name, value) => {
    const result = validateStatsReport(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.length).toBeGreaterThan(0);
  });
});
