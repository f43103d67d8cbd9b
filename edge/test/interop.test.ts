import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Client, { type SimplePeer } from 'bittorrent-tracker';
import { httpGet, metricValue, startTestEdge, type TestEdge } from './helpers.js';

// The real WebTorrent tracker client (bittorrent-tracker 11, simple-peer over node-datachannel) against our
// tracker: offers it makes are relayed, answers routed back, and the two clients open a WebRTC data channel.
let edge: TestEdge;
const clients: Client[] = [];

beforeAll(async () => {
  edge = await startTestEdge();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.destroy(() => resolve()))));
  await edge?.close();
});

function client(infoHash: string, announce: string): Client {
  const c = new Client({ infoHash, peerId: randomBytes(20).toString('hex'), announce, port: 6881, rtcConfig: { iceServers: [] } });
  c.on('error', () => {});
  c.on('warning', () => {});
  clients.push(c);
  return c;
}

/** Resolves with the first peer that reaches 'connect', after one message went through its data channel. */
function connectedPeer(c: Client, greeting: string): Promise<{ peer: SimplePeer; heard: Promise<string> }> {
  return new Promise((resolve) => {
    c.on('peer', (peer) => {
      peer.on('error', () => {});
      const heard = new Promise<string>((res) => peer.once('data', (data: Uint8Array) => res(Buffer.from(data).toString())));
      peer.once('connect', () => {
        peer.send(greeting);
        resolve({ peer, heard });
      });
    });
  });
}

describe('bittorrent-tracker clients on the Shoal tracker', () => {
  it.each([
    ['on separate sockets', (url: string) => [`${url}?viewer=1`, `${url}?viewer=2`]],
    ['sharing one pooled socket', (url: string) => [url, url]],
  ])('connect two WebTorrent peers %s', async (_name, urls) => {
    const infoHash = randomBytes(20).toString('hex');
    const [urlA, urlB] = urls(edge.trackerUrl) as [string, string];
    const before = metricValue((await httpGet(`${edge.url}/metrics`)).body, 'shoal_tracker_messages_total{type="answer",direction="out"}') ?? 0;
    const a = client(infoHash, urlA);
    const aConnected = connectedPeer(a, 'hello from A');
    const aUpdated = new Promise((resolve) => a.once('update', resolve));
    a.start();
    expect(await aUpdated).toMatchObject({ complete: 0, incomplete: 1 });

    const b = client(infoHash, urlB);
    const bConnected = connectedPeer(b, 'hello from B');
    b.start();
    const [ca, cb] = await Promise.all([aConnected, bConnected]);
    expect(ca.peer.id).toBe(b.peerId);
    expect(cb.peer.id).toBe(a.peerId);
    expect(await ca.heard).toBe('hello from B');
    expect(await cb.heard).toBe('hello from A');

    const metrics = (await httpGet(`${edge.url}/metrics`)).body;
    expect(metricValue(metrics, 'shoal_tracker_messages_total{type="answer",direction="out"}')).toBeGreaterThan(before);
    ca.peer.destroy();
    cb.peer.destroy();
  });

  it('answers a scrape from the real client', async () => {
    const infoHash = randomBytes(20).toString('hex');
    const a = client(infoHash, `${edge.trackerUrl}?viewer=scrape`);
    const updated = new Promise((resolve) => a.once('update', resolve));
    a.start();
    await updated;
    const scraped = new Promise((resolve) => a.once('scrape', resolve));
    a.scrape();
    expect(await scraped).toMatchObject({ infoHash, complete: 0, incomplete: 1 });
  });
});
