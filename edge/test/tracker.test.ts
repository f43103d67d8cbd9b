import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { randomTrackerId, TRACKER_CLOSE_CODES } from '@shoal/protocol';
import { httpGet, metricValue, offer, RawClient, sleep, startTestEdge, waitFor, type TestEdge } from './helpers.js';

let edge: TestEdge;
const clients: RawClient[] = [];
const open = async (headers: Record<string, string> = {}, url = edge.trackerUrl) => {
  const client = await RawClient.open(url, headers);
  clients.push(client);
  return client;
};

beforeAll(async () => {
  edge = await startTestEdge({ maxSwarmsPerConnection: 3, maxFrameBytes: 8 * 1024, maxOffersPerAnnounce: 10 });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await edge?.close();
});

const rejected = async (reason: string) => metricValue((await httpGet(`${edge.url}/metrics`)).body, `shoal_tracker_rejected_total{reason="${reason}"}`) ?? 0;

describe('announce, relay, answer, scrape', () => {
  it('relays an offer to another peer and routes the answer back by to_peer_id and offer_id', async () => {
    const infoHash = randomTrackerId();
    const [a, b] = [await open(), await open()];
    const [peerA, peerB] = [randomTrackerId(), randomTrackerId()];
    const first = await a.announce({ info_hash: infoHash, peer_id: peerA, event: 'started', numwant: 0 });
    expect(first).toEqual({ action: 'announce', info_hash: infoHash, interval: 60, complete: 0, incomplete: 1 });

    const sent = offer();
    const reply = await b.announce({ info_hash: infoHash, peer_id: peerB, event: 'started', numwant: 1, offers: [sent] });
    expect(reply).toMatchObject({ complete: 0, incomplete: 2 });
    const relayed = await a.next((m) => 'offer' in m);
    expect(relayed).toEqual({ action: 'announce', info_hash: infoHash, peer_id: peerB, offer_id: sent.offer_id, offer: sent.offer });

    a.send({ action: 'announce', info_hash: infoHash, peer_id: peerA, to_peer_id: peerB, offer_id: sent.offer_id, answer: { type: 'answer', sdp: 'v=0 answer' } });
    const answer = await b.next((m) => 'answer' in m);
    expect(answer).toEqual({ action: 'announce', info_hash: infoHash, peer_id: peerA, offer_id: sent.offer_id, answer: { type: 'answer', sdp: 'v=0 answer' } });

    // The same answer a second time has no pending offer left.
    a.send({ action: 'announce', info_hash: infoHash, peer_id: peerA, to_peer_id: peerB, offer_id: sent.offer_id, answer: { type: 'answer', sdp: 'v=0 answer' } });
    expect(await a.next((m) => m.shoal_error === 'SHOAL_ERR_UNEXPECTED_ANSWER')).toMatchObject({ info_hash: infoHash });

    const scrape = await (async () => {
      a.send({ action: 'scrape', info_hash: [infoHash, randomTrackerId()] });
      return a.next((m) => m.action === 'scrape');
    })();
    expect((scrape.files as Record<string, unknown>)[infoHash]).toEqual({ complete: 0, incomplete: 2, downloaded: 0 });

    // 'completed' makes a seeder; 'stopped' leaves.
    expect(await a.announce({ info_hash: infoHash, peer_id: peerA, event: 'completed' })).toMatchObject({ complete: 1, incomplete: 1 });
    expect(await a.announce({ info_hash: infoHash, peer_id: peerA, event: 'stopped' })).toMatchObject({ complete: 0, incomplete: 1 });
    expect(edge.edge.tracker.swarmStats(infoHash)).toMatchObject({ local: 1 });
  });

  it('refuses answers that were never offered, so nobody can inject answers', async () => {
    const infoHash = randomTrackerId();
    const [a, b] = [await open(), await open()];
    const [peerA, peerB] = [randomTrackerId(), randomTrackerId()];
    await a.announce({ info_hash: infoHash, peer_id: peerA });
    await b.announce({ info_hash: infoHash, peer_id: peerB });
    b.send({ action: 'announce', info_hash: infoHash, peer_id: peerB, to_peer_id: peerA, offer_id: randomTrackerId(), answer: { type: 'answer', sdp: 'x' } });
    await b.next((m) => m.shoal_error === 'SHOAL_ERR_UNEXPECTED_ANSWER');
    await sleep(100);
    expect(a.received.some((m) => 'answer' in m)).toBe(false);
  });

  it('lets one connection carry several peer ids (bittorrent-tracker pools sockets) but not steal one', async () => {
    const infoHash = randomTrackerId();
    const shared = await open();
    const [p1, p2] = [randomTrackerId(), randomTrackerId()];
    await shared.announce({ info_hash: infoHash, peer_id: p1 });
    const sent = offer();
    await shared.announce({ info_hash: infoHash, peer_id: p2, offers: [sent] });
    expect(await shared.next((m) => 'offer' in m)).toMatchObject({ peer_id: p2, offer_id: sent.offer_id });

    const thief = await open();
    expect(await thief.announce({ info_hash: infoHash, peer_id: p1 })).toMatchObject({ shoal_error: 'SHOAL_ERR_PEER_ID_TAKEN' });
  });
});

describe('limits', () => {
  it('answers malformed messages with a failure reason and keeps the connection', async () => {
    const client = await open();
    const before = await rejected('bad_info_hash');
    client.send({ action: 'announce', info_hash: 'short', peer_id: randomTrackerId() });
    expect(await client.next((m) => 'failure reason' in m)).toMatchObject({ action: 'announce', shoal_error: 'SHOAL_ERR_BAD_MESSAGE' });
    client.send('{not json');
    await client.next((m) => m['failure reason'] === 'message is not a JSON object');
    const infoHash = randomTrackerId();
    expect(await client.announce({ info_hash: infoHash, peer_id: randomTrackerId() })).toMatchObject({ incomplete: 1 });
    expect(await rejected('bad_info_hash')).toBe(before + 1);
  });

  it('refuses more offers than allowed and more swarms than allowed per connection', async () => {
    const client = await open();
    const peerId = randomTrackerId();
    const many = Array.from({ length: 11 }, () => offer());
    expect(await client.announce({ info_hash: randomTrackerId(), peer_id: peerId, offers: many })).toMatchObject({ shoal_error: 'SHOAL_ERR_TOO_MANY_OFFERS' });
    for (let i = 0; i < 3; i++) expect(await client.announce({ info_hash: randomTrackerId(), peer_id: peerId })).toHaveProperty('interval');
    expect(await client.announce({ info_hash: randomTrackerId(), peer_id: peerId })).toMatchObject({ shoal_error: 'SHOAL_ERR_TOO_MANY_SWARMS' });
  });

  it('closes with 1009 on an oversized frame and 1003 on a binary frame, leaving others alone', async () => {
    const bystander = await open();
    const infoHash = randomTrackerId();
    await bystander.announce({ info_hash: infoHash, peer_id: randomTrackerId() });
    const big = await open();
    big.send('x'.repeat(9 * 1024));
    expect((await big.closed).code).toBe(TRACKER_CLOSE_CODES.MESSAGE_TOO_BIG);
    const binary = await open();
    binary.ws.send(Buffer.from([1, 2, 3]));
    expect((await binary.closed).code).toBe(TRACKER_CLOSE_CODES.UNSUPPORTED_DATA);
    expect(await bystander.announce({ info_hash: infoHash, peer_id: randomTrackerId() })).toMatchObject({ incomplete: 2 });
    expect(await rejected('frame_too_large')).toBeGreaterThanOrEqual(1);
    expect(await rejected('binary_frame')).toBeGreaterThanOrEqual(1);
  });

  it('rate-limits each connection on its own: failure replies, then 4001 for a flood', async () => {
    // A slow refill (one message per 10 s), so how fast the 12 frames are processed cannot change the count.
    const limited = await startTestEdge({ messagesPerSecond: 0.1, messageBurst: 5 });
    try {
      const calm = await RawClient.open(limited.trackerUrl);
      const flood = await RawClient.open(limited.trackerUrl);
      const infoHash = randomTrackerId();
      for (let i = 0; i < 12; i++) flood.send({ action: 'scrape', info_hash: infoHash });
      expect((await flood.closed).code).toBe(TRACKER_CLOSE_CODES.RATE_LIMITED);
      expect(flood.received.filter((m) => m.action === 'scrape' && 'files' in m)).toHaveLength(5);
      expect(flood.received.filter((m) => m.shoal_error === 'SHOAL_ERR_RATE_LIMITED').length).toBeGreaterThanOrEqual(1);
      expect(await calm.announce({ info_hash: infoHash, peer_id: randomTrackerId() })).toHaveProperty('interval');
      await calm.close();
    } finally {
      await limited.close();
    }
  });

  it('refuses handshakes from origins not in the allowed list with HTTP 403', async () => {
    const strict = await startTestEdge({ allowedOrigins: ['https://player.example'] });
    try {
      await expect(RawClient.open(strict.trackerUrl, { Origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
      await expect(RawClient.open(strict.trackerUrl)).rejects.toThrow('HTTP 403');
      const ok = await RawClient.open(strict.trackerUrl, { Origin: 'https://player.example' });
      await ok.close();
      expect(metricValue((await httpGet(`${strict.url}/metrics`)).body, 'shoal_tracker_rejected_total{reason="origin_not_allowed"}')).toBe(2);
    } finally {
      await strict.close();
    }
  });

  it('closes idle connections with 4000 and drops those that stop answering pings', async () => {
    const quick = await startTestEdge({ pingIntervalMs: 100, idleTimeoutMs: 1_000, announceIntervalSeconds: 1, memberTtlMs: 1_000 });
    try {
      const idle = await RawClient.open(quick.trackerUrl);
      expect((await idle.closed).code).toBe(TRACKER_CLOSE_CODES.IDLE_TIMEOUT);
      // A client that never answers pings: `ws` answers automatically unless autoPong is off.
      const deaf = new WebSocket(quick.trackerUrl, { autoPong: false });
      deaf.on('error', () => {});
      const closed = new Promise<number>((resolve) => deaf.once('close', (code) => resolve(code)));
      await new Promise((resolve) => deaf.once('open', resolve));
      // Keep it busy so only the missing pongs can end it.
      const timer = setInterval(() => deaf.readyState === WebSocket.OPEN && deaf.send(JSON.stringify({ action: 'scrape', info_hash: randomTrackerId() })), 50);
      expect(await closed).toBe(1006);
      clearInterval(timer);
      const text = (await httpGet(`${quick.url}/metrics`)).body;
      expect(metricValue(text, 'shoal_tracker_rejected_total{reason="idle_timeout"}')).toBeGreaterThanOrEqual(1);
      expect(metricValue(text, 'shoal_tracker_rejected_total{reason="pong_timeout"}')).toBe(1);
      await waitFor('connections to drain', () => quick.edge.tracker.connectionCount === 0, 2_000);
    } finally {
      await quick.close();
    }
  });

  it('evicts the least recently announced peer from a full swarm', async () => {
    const small = await startTestEdge({ maxPeersPerSwarm: 3 });
    try {
      const infoHash = randomTrackerId();
      const client = await RawClient.open(small.trackerUrl);
      const peers = Array.from({ length: 4 }, () => randomTrackerId());
      for (const peerId of peers.slice(0, 3)) await client.announce({ info_hash: infoHash, peer_id: peerId });
      await client.announce({ info_hash: infoHash, peer_id: peers[0] }); // peers[1] is now the stalest
      expect(await client.announce({ info_hash: infoHash, peer_id: peers[3] })).toMatchObject({ incomplete: 3 });
      // peers[1] is gone: an offer from peers[3] can only reach peers[0] or peers[2].
      const sent = [offer(), offer(), offer()];
      await client.announce({ info_hash: infoHash, peer_id: peers[3], offers: sent });
      await sleep(100);
      expect(client.received.filter((m) => 'offer' in m)).toHaveLength(2);
      expect(metricValue((await httpGet(`${small.url}/metrics`)).body, 'shoal_tracker_evictions_total')).toBe(1);
      await client.close();
    } finally {
      await small.close();
    }
  });

  it('keeps the swarm when the only peer of a one-peer swarm is evicted', async () => {
    const tiny = await startTestEdge({ maxPeersPerSwarm: 1 });
    try {
      const infoHash = randomTrackerId();
      const client = await RawClient.open(tiny.trackerUrl);
      await client.announce({ info_hash: infoHash, peer_id: randomTrackerId() });
      const newcomer = randomTrackerId();
      expect(await client.announce({ info_hash: infoHash, peer_id: newcomer })).toMatchObject({ incomplete: 1 });
      expect(tiny.edge.tracker.swarmStats(infoHash)).toMatchObject({ local: 1 });
      expect(tiny.edge.tracker.localPeerCount).toBe(1);
      await client.close();
      await waitFor('the swarm to go', () => tiny.edge.tracker.swarmCount === 0, 2_000);
    } finally {
      await tiny.close();
    }
  });
});

describe('HTTP', () => {
  it('serves /metrics with the tracker metrics, /healthz, and 404 elsewhere', async () => {
    const client = await open();
    await client.announce({ info_hash: randomTrackerId(), peer_id: randomTrackerId() });
    const metrics = await httpGet(`${edge.url}/metrics`);
    expect(metrics.status).toBe(200);
    for (const name of ['shoal_tracker_connections', 'shoal_tracker_swarms', 'shoal_tracker_peers', 'process_cpu_seconds_total']) {
      expect(metrics.body).toMatch(new RegExp(`^${name} `, 'm'));
    }
    expect(metricValue(metrics.body, 'shoal_tracker_messages_total{type="announce",direction="in"}')).toBeGreaterThan(0);
    expect(metricValue(metrics.body, 'shoal_tracker_rejected_total{reason="slow_consumer"}')).toBe(0);
    const health = await httpGet(`${edge.url}/healthz`);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', connections: expect.any(Number) as number, region: 'default' });
    const missing = await httpGet(`${edge.url}/nope`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: { code: 'SHOAL_ERR_NOT_FOUND', message: 'no such route' } });
    await expect(RawClient.open(`${edge.trackerUrl.replace('/announce', '/elsewhere')}`)).rejects.toThrow('HTTP 404');
  });
});
