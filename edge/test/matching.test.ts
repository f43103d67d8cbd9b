import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomTrackerId } from '@shoal/protocol';
import { offer, RawClient, sleep, startTestEdge, type TestEdge } from './helpers.js';
import { writeMmdb } from './mmdb-writer.js';

// Viewers come through a trusted reverse proxy on loopback, which says where each one really is.
let edge: TestEdge;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-matching-'));
  const asn = join(dir, 'asn.mmdb');
  await writeFile(
    asn,
    writeMmdb([
      { cidr: '198.51.100.0/24', data: { autonomous_system_number: 64500 } },
      { cidr: '198.51.101.0/24', data: { autonomous_system_number: 64500 } },
      { cidr: '198.51.102.0/24', data: { autonomous_system_number: 64501 } },
    ]),
  );
  edge = await startTestEdge({ trustedProxies: ['127.0.0.1', '::1'], geoipDatabases: [asn], maxOffersPerAnnounce: 10, messagesPerSecond: 1_000, messageBurst: 1_000 });
});

afterAll(async () => {
  await edge?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Viewer {
  readonly client: RawClient;
  readonly peerId: string;
  readonly prefix: string;
}

async function connectViewer(infoHash: string, address: string, extension?: Record<string, unknown>): Promise<Viewer> {
  const client = await RawClient.open(edge.trackerUrl, { 'X-Forwarded-For': `6.6.6.6, ${address}` });
  const peerId = randomTrackerId();
  await client.announce({ info_hash: infoHash, peer_id: peerId, event: 'started', ...(extension ? { shoal: extension } : {}) });
  return { client, peerId, prefix: address.slice(0, address.lastIndexOf('.')) };
}

/** How many offers each viewer received, from now on. */
function offerCounter(viewers: readonly Viewer[]): () => Map<Viewer, number> {
  const marks = new Map(viewers.map((v) => [v, v.client.received.length]));
  return () => new Map(viewers.map((v) => [v, v.client.received.slice(marks.get(v)).filter((m) => 'offer' in m).length]));
}

describe('nearby matching on a live tracker', () => {
  it('sends offers to same-prefix peers whenever there are any', async () => {
    const infoHash = randomTrackerId();
    // 2, 4 and 12 viewers on three /24s, plus 10 scattered over their own prefixes.
    const layout = [
      ['203.0.113', 2],
      ['192.0.2', 4],
      ['100.64.7', 12],
    ] as const;
    const viewers: Viewer[] = [];
    for (const [prefix, count] of layout) for (let i = 0; i < count; i++) viewers.push(await connectViewer(infoHash, `${prefix}.${10 + i}`));
    for (let i = 0; i < 10; i++) viewers.push(await connectViewer(infoHash, `10.${i}.${i}.1`));

    for (const announcer of viewers) {
      const count = offerCounter(viewers);
      const sent = Array.from({ length: 10 }, () => offer());
      await announcer.client.announce({ info_hash: infoHash, peer_id: announcer.peerId, offers: sent });
      // Every offer is relayed exactly once; wait until all 10 arrived somewhere.
      let counts = count();
      for (let tries = 0; [...counts.values()].reduce((a, b) => a + b, 0) < 10 && tries < 500; tries++) {
        await sleep(20);
        counts = count();
      }
      const samePrefix = viewers.filter((v) => v !== announcer && v.prefix === announcer.prefix);
      const landedNear = samePrefix.reduce((sum, v) => sum + counts.get(v)!, 0);
      expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(10);
      expect(counts.get(announcer)).toBe(0);
      expect(landedNear).toBe(Math.min(10, samePrefix.length));
      // Nobody gets two offers from one announce.
      expect(Math.max(...counts.values())).toBe(1);
    }
    await Promise.all(viewers.map((v) => v.client.close()));
  });

  it('falls back to the same ASN from the GeoLite2 database before anyone else', async () => {
    const infoHash = randomTrackerId();
    const announcer = await connectViewer(infoHash, '198.51.100.5');
    const sameAsn = await connectViewer(infoHash, '198.51.101.7');
    const others = [await connectViewer(infoHash, '198.51.102.7'), await connectViewer(infoHash, '203.0.113.99'), await connectViewer(infoHash, '192.0.2.99')];
    for (let round = 0; round < 10; round++) {
      const count = offerCounter([sameAsn, ...others]);
      await announcer.client.announce({ info_hash: infoHash, peer_id: announcer.peerId, offers: [offer()] });
      await sameAsn.client.next(() => count().get(sameAsn) === 1, 2_000);
      expect(others.every((o) => count().get(o) === 0)).toBe(true);
    }
    await Promise.all([announcer, sameAsn, ...others].map((v) => v.client.close()));
  });

  it('prefers the nearest live playback position among equally near peers', async () => {
    const infoHash = randomTrackerId();
    const now = Date.now() / 1000;
    const announcer = await connectViewer(infoHash, '203.0.113.1', { v: 1, position: now - 10 });
    const positions = [now - 300, now - 11, now - 60, now - 2_000];
    const peers = [];
    for (const position of positions) peers.push(await connectViewer(infoHash, `203.0.113.${peers.length + 2}`, { v: 1, position }));
    const count = offerCounter(peers);
    await announcer.client.announce({ info_hash: infoHash, peer_id: announcer.peerId, offers: [offer(), offer()], shoal: { v: 1, position: now - 10 } });
    await peers[2]!.client.next((m) => 'offer' in m, 2_000);
    expect(peers.map((p) => count().get(p))).toEqual([0, 1, 1, 0]);
    await Promise.all([announcer, ...peers].map((v) => v.client.close()));
  });

  it('believes X-Forwarded-For only from trusted proxies', async () => {
    const untrusting = await startTestEdge({ maxOffersPerAnnounce: 10 });
    try {
      const infoHash = randomTrackerId();
      // Without trust, both claim other networks but are matched on their real (loopback) address.
      const a = await RawClient.open(untrusting.trackerUrl, { 'X-Forwarded-For': '203.0.113.1' });
      const b = await RawClient.open(untrusting.trackerUrl, { 'X-Forwarded-For': '192.0.2.1' });
      const c = await RawClient.open(untrusting.trackerUrl, { 'X-Forwarded-For': '198.51.100.1' });
      const ids = [randomTrackerId(), randomTrackerId(), randomTrackerId()];
      await a.announce({ info_hash: infoHash, peer_id: ids[0] });
      await b.announce({ info_hash: infoHash, peer_id: ids[1] });
      await c.announce({ info_hash: infoHash, peer_id: ids[2], offers: [offer(), offer()] });
      await a.next((m) => 'offer' in m);
      await b.next((m) => 'offer' in m);
      await Promise.all([a.close(), b.close(), c.close()]);
    } finally {
      await untrusting.close();
    }
  });
});
