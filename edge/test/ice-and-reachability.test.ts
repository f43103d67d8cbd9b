import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomTrackerId } from '@shoal/protocol';
import { offer, RawClient, sleep, startTestEdge, type Message, type TestEdge } from './helpers.js';

/** ICE servers in announce replies, and NAT-aware matching from the outcomes peers report, on a real edge. */

const SECRET = 'test-static-auth-secret';
let edge: TestEdge;
let plain: TestEdge;
const clients: RawClient[] = [];
const open = async (url = edge.trackerUrl) => {
  const client = await RawClient.open(url);
  clients.push(client);
  return client;
};

beforeAll(async () => {
  edge = await startTestEdge({
    stunUrls: ['stun:stun.edge.test:3478'],
    turnUrls: ['turn:turn.edge.test:3478?transport=udp'],
    turnSecret: SECRET,
    turnTtlSeconds: 600,
  });
  plain = await startTestEdge({ natAwareMatching: false });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await edge?.close();
  await plain?.close();
});

describe('ICE servers handed out by the edge', () => {
  it('puts STUN and short-lived TURN credentials coturn accepts in every announce reply, per connection', async () => {
    const infoHash = randomTrackerId();
    const [a, b] = [await open(), await open()];
    const before = Math.floor(Date.now() / 1000);
    const replyA = await a.announce({ info_hash: infoHash, peer_id: randomTrackerId(), event: 'started', numwant: 0 });
    const replyB = await b.announce({ info_hash: infoHash, peer_id: randomTrackerId(), event: 'started', numwant: 0 });
    const servers = (replyA.shoal as { iceServers: { urls: string[]; username?: string; credential?: string }[] }).iceServers;
    expect(servers[0]).toEqual({ urls: ['stun:stun.edge.test:3478'] });
    const turn = servers[1]!;
    expect(turn.urls).toEqual(['turn:turn.edge.test:3478?transport=udp']);
    const [expiry, session] = turn.username!.split(':');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(before + 602);
    expect(session!.length).toBeGreaterThan(8);
    expect(turn.credential).toBe(createHmac('sha1', SECRET).update(turn.username!).digest('base64'));
    // Another connection, other credentials; the secret itself never leaves the edge.
    const turnB = (replyB.shoal as { iceServers: { username?: string }[] }).iceServers[1]!;
    expect(turnB.username).not.toBe(turn.username);
    expect(JSON.stringify([replyA, replyB])).not.toContain(SECRET);
  });

  it('adds nothing to the replies of an edge without ICE servers', async () => {
    const client = await open(plain.trackerUrl);
    const reply = await client.announce({ info_hash: randomTrackerId(), peer_id: randomTrackerId(), event: 'started', numwant: 0 });
    expect(reply).not.toHaveProperty('shoal');
  });
});

describe('NAT-aware matching', () => {
  /** Announces `offers` offers from `from` and returns how many each other client received. */
  async function offersReceived(infoHash: string, from: RawClient, fromId: string, others: RawClient[], offers: number, shoal?: Message): Promise<number[]> {
    const before = others.map((o) => o.received.filter((m) => 'offer' in m).length);
    await from.announce({ info_hash: infoHash, peer_id: fromId, numwant: offers, offers: Array.from({ length: offers }, () => offer()), ...(shoal ? { shoal } : {}) });
    await sleep(100);
    return others.map((o, i) => o.received.filter((m) => 'offer' in m).length - before[i]!);
  }

  it('stops relaying offers between two peers once one reported failing to connect to the other', async () => {
    const infoHash = randomTrackerId();
    const [a, b, c] = [await open(), await open(), await open()];
    const [idA, idB, idC] = [randomTrackerId(), randomTrackerId(), randomTrackerId()];
    for (const [client, id] of [[b, idB], [c, idC]] as const) await client.announce({ info_hash: infoHash, peer_id: id, event: 'started', numwant: 0 });
    await a.announce({ info_hash: infoHash, peer_id: idA, event: 'started', numwant: 0 });
    expect(await offersReceived(infoHash, a, idA, [b, c], 2)).toEqual([1, 1]);
    // a failed with b: a's offers now go to c only, and b's offers skip a.
    expect(await offersReceived(infoHash, a, idA, [b, c], 2, { v: 1, reach: { ok: 0, failed: 1 }, failedPeers: [idB] })).toEqual([0, 1]);
    expect(await offersReceived(infoHash, b, idB, [a, c], 2)).toEqual([0, 1]);
  });

  it('keeps relaying such offers when NAT-aware matching is off', async () => {
    const infoHash = randomTrackerId();
    const [a, b] = [await open(plain.trackerUrl), await open(plain.trackerUrl)];
    const [idA, idB] = [randomTrackerId(), randomTrackerId()];
    await b.announce({ info_hash: infoHash, peer_id: idB, event: 'started', numwant: 0 });
    await a.announce({ info_hash: infoHash, peer_id: idA, event: 'started', numwant: 0 });
    expect(await offersReceived(infoHash, a, idA, [b], 1, { v: 1, reach: { ok: 0, failed: 1 }, failedPeers: [idB] })).toEqual([1]);
  });
});
