import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatsReport } from '@shoal/protocol';
import { StatsIngest } from '../src/stats/stats-ingest.js';

let server: Server;
let url: string;
let registry: Registry;
let ingest: StatsIngest;

beforeEach(async () => {
  registry = new Registry();
  ingest = new StatsIngest(
    { path: '/stats', corsOrigins: ['https://player.example'], reportsPerSecond: 1, reportsBurst: 20, addressReportsPerSecond: 1, addressReportsBurst: 500, sessionTtlMs: 60_000, maxStreams: 10, trustedProxies: undefined },
    registry,
    pino({ level: 'silent' }),
  );
  ingest.streams.observe('/live/demo/0/index.m3u8');
  server = createServer((req, res) => {
    if (!ingest.handleRequest(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stats`;
});

afterEach(async () => {
  await ingest.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const report = (overrides: Partial<StatsReport> = {}): StatsReport => ({
  v: 1,
  session: 'session-abc123',
  seq: 0,
  stream: '/live/demo/master.m3u8',
  intervalMs: 5000,
  httpBytes: 1000,
  p2pBytes: 3000,
  uploadBytes: 2500,
  stalls: 1,
  stallMs: 400,
  peers: 3,
  startupMs: 1200,
  ...overrides,
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function value(series: string): Promise<number> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('stats ingest', () => {

  it('counts a report by its deltas, once, however often it is replayed', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await post(report());
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ counted: i === 0 });
    }
    expect((await post(report({ seq: 1, httpBytes: 500, p2pBytes: 0, uploadBytes: 0, startupMs: undefined, stalls: 0, stallMs: 0 }))).status).toBe(202);
    // An older sequence number arriving late is a replay too.
    expect(await (await post(report({ seq: 0, httpBytes: 99999 }))).json()).toEqual({ counted: false });
    expect(await value('shoal_player_bytes_total{source="http",stream="live/demo"}')).toBe(1500);
    expect(await value('shoal_player_bytes_total{source="p2p",stream="live/demo"}')).toBe(3000);
    expect(await value('shoal_player_upload_bytes_total{stream="live/demo"}')).toBe(2500);
    expect(await value('shoal_player_stalls_total{stream="live/demo"}')).toBe(1);
    expect(await value('shoal_player_startup_seconds_count{stream="live/demo"}')).toBe(1);
    expect(await value('shoal_player_peers{stream="live/demo"}')).toBe(3);
    expect(await value('shoal_player_reports_total{result="duplicate"}')).toBe(3);
  });

  it.each([
    ['not JSON', '{oops'],
    ['a wrong version', report({ v: 2 as 1 })],
    ['an unknown field', { ...report(), extra: true }],
    ['negative bytes', report({ httpBytes: -5 })],
    ['absurd bytes for the interval', report({ intervalMs: 1000, p2pBytes: 10_000_000_000 })],
    ['a fractional counter', report({ stalls: 0.5 })],
    ['a bad session id', report({ session: 'a b' })],
  ])('refuses %s with 400 and counts nothing', async (_name, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('SHOAL_ERR_BAD_REPORT');
    expect(await value('shoal_player_bytes_total{source="http",stream="other"}')).toBe(0);
    expect(await value('shoal_player_reports_total{result="invalid"}')).toBe(1);
  });

  it('counts the peer connections players made and those that never opened', async () => {
    await post(report({ connectionsCreated: 7, connectionsFailed: 2, connectionsOpen: 4 }));
    await post(report({ seq: 1, connectionsCreated: 3, connectionsFailed: 3, connectionsOpen: 2 }));
    expect(await value('shoal_player_peer_connections_total{result="created",stream="live/demo"}')).toBe(10);
    expect(await value('shoal_player_peer_connections_total{result="failed",stream="live/demo"}')).toBe(5);
  });

  it('refuses oversized bodies with 413', async () => {
    const res = await post('x'.repeat(5000));
    expect(res.status).toBe(413);
  });

  it('labels unknown streams "other", so clients cannot invent series', async () => {
    for (let i = 0; i < 5; i++) await post(report({ session: `session-invented-${i}`, stream: `/live/made-up-${i}/index.m3u8` }));
    const text = await registry.metrics();
    expect(text).not.toContain('made-up');
    expect(await value('shoal_player_bytes_total{source="p2p",stream="other"}')).toBe(15000);
  });

  it('accepts many sessions behind one address, and limits each session on its own', async () => {
    // 200 players behind one address (all of them 127.0.0.1 here), two reports each.
    for (let seq = 0; seq < 2; seq++) {
      const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) => post(report({ session: `session-shared-${i}`, seq })).then((r) => r.status)));
      expect(statuses.filter((s) => s !== 202)).toEqual([]);
    }
    expect(await value('shoal_player_sessions{stream="live/demo"}')).toBe(200);
    // One chatty session: its burst of 20, then 429 with a code and when to retry.
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let seq = 0; seq < 25; seq++) {
      const res = await post(report({ session: 'session-chatty', seq }));
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(20);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    expect((await refused!.json()).error).toEqual({ code: 'SHOAL_ERR_RATE_LIMITED', message: 'too many reports from this session' });
    expect(refused!.headers.get('retry-after')).toBe('1');
    expect(await value('shoal_player_reports_total{result="rate_limited"}')).toBe(5);
    // Its neighbours behind the same address still get through.
    expect((await post(report({ session: 'session-shared-0', seq: 2 }))).status).toBe(202);
  });

  it('caps one address however many sessions it claims to have', async () => {
    // The ceiling here is a burst of 500, then 1 per second.
    const statuses = await Promise.all(Array.from({ length: 550 }, (_, i) => post(report({ session: `session-invented-${i}` })).then((r) => r.status)));
    const accepted = statuses.filter((s) => s === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(500);
    expect(accepted).toBeLessThanOrEqual(502);
    expect(statuses.filter((s) => s === 429)).toHaveLength(550 - accepted);
    const res = await post(report({ session: 'session-one-more' }));
    expect(res.status).toBe(429);
    expect((await res.json()).error.message).toBe('too many reports from this address');
    // X-Forwarded-For from an untrusted peer changes nothing.
    expect((await post(report({ session: 'session-forged' }), { 'X-Forwarded-For': '198.51.100.1' })).status).toBe(429);
  });

  it('answers CORS for the player origin only, and refuses other methods', async () => {
    const preflight = await fetch(url, { method: 'OPTIONS', headers: { Origin: 'https://player.example', 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://player.example');
    const other = await post(report(), { Origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(url)).status).toBe(405);
  });
});

describe('stats ingest, relayed bytes', () => {
  it('counts bytes relayed through TURN apart from direct peer bytes', async () => {
    const series = (source: string) => value(`shoal_player_bytes_total{source="${source}",stream="live/demo"}`);
    const [p2pBefore, relayBefore] = [await series('p2p'), await series('p2p_relay')];
    expect((await post(report({ session: 'relay-session-1', p2pBytes: 4000, p2pRelayBytes: 2500 }))).status).toBe(202);
    expect((await series('p2p')) - p2pBefore).toBe(1500);
    expect((await series('p2p_relay')) - relayBefore).toBe(2500);
  });
});
