import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { randomTrackerId, type SessionDescription } from '@shoal/protocol';
import { TrackerClient, type TrackerClientEvents, type WebSocketConstructor } from '@shoal/player-sdk';
import { onceOf } from '../../test-support/events.js';
import { httpGet, metricValue, waitFor } from './helpers.js';
import { startEdgeProcess, startRedis, type Child, type EdgeProcess } from './processes.js';

// Two shoal-edge processes sharing swarms through a real redis-server; viewers use the SDK's tracker client.
const NODE_TTL_MS = 2_000;

let redis: { url: string; child: Child };
let nodeA: EdgeProcess;
let nodeB: EdgeProcess;
const clients: TrackerClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const common = ['--redis-url', redis.url, '--node-ttl-ms', String(NODE_TTL_MS), '--log-level', 'info'];
  [nodeA, nodeB] = await Promise.all([startEdgeProcess([...common, '--region', 'eu-west']), startEdgeProcess([...common, '--region', 'eu-central'])]);
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await Promise.all([nodeA?.child.stop(), nodeB?.child.stop()]);
  await redis?.child.stop();
});

const once = onceOf<TrackerClientEvents>();

function viewer(node: EdgeProcess): TrackerClient {
  const client = new TrackerClient({ url: node.trackerUrl, WebSocket: WebSocket as unknown as WebSocketConstructor });
  clients.push(client);
  return client;
}

const health = async (node: EdgeProcess) => JSON.parse((await httpGet(`${node.url}/healthz`)).body) as { node: string; remotePeers: number; peers: number };
const metric = async (node: EdgeProcess, series: string) => metricValue((await httpGet(`${node.url}/metrics`)).body, series) ?? 0;

describe('edge nodes sharing swarms through Redis', () => {
  it('signals between a peer on node A and a peer on node B, and forgets B\'s peers once B dies', async () => {
    expect((await health(nodeA)).node).not.toBe((await health(nodeB)).node);
    const infoHash = randomTrackerId();
    const [idA, idB] = [randomTrackerId('-SH0001-'), randomTrackerId('-SH0001-')];

    // B joins on node B and answers any offer.
    const b = viewer(nodeB);
    const offersAtB: { from: string; offerId: string; offer: SessionDescription }[] = [];
    const sessionB = b.join(infoHash, idB, {
      onOffer(from, offerId, offer) {
        offersAtB.push({ from, offerId, offer });
        sessionB.answer(from, offerId, { type: 'answer', sdp: `answer to ${offer.sdp}` });
      },
      onAnswer() {},
    });
    await once(b, 'connect');
    sessionB.announce([], { v: 1, position: 100 });
    await once(b, 'update');

    // A joins on node A with an offer: it goes to B through Redis, and B's answer comes back the same way.
    const a = viewer(nodeA);
    const answered = new Promise<{ from: string; offerId: string; answer: SessionDescription }>((resolve) => {
      const sessionA = a.join(infoHash, idA, { onOffer() {}, onAnswer: (from, offerId, answer) => resolve({ from, offerId, answer }) });
      void once(a, 'connect').then(() => sessionA.announce([{ offer_id: offerId, offer: { type: 'offer', sdp: 'offer from A' } }], { v: 1, position: 101 }));
    });
    const offerId = randomTrackerId();
    const update = once(a, 'update');
    expect((await update)[2]).toBe(2); // A's reply counts B's peer too
    expect(await answered).toEqual({ from: idB, offerId, answer: { type: 'answer', sdp: 'answer to offer from A' } });
    expect(offersAtB).toEqual([{ from: idA, offerId, offer: { type: 'offer', sdp: 'offer from A' } }]);
    expect((await health(nodeA)).remotePeers).toBe(1);
    expect((await health(nodeB)).remotePeers).toBe(1);
    expect(await metric(nodeA, 'shoal_tracker_cluster_messages_total{type="offer",direction="out"}')).toBe(1);
    expect(await metric(nodeB, 'shoal_tracker_cluster_messages_total{type="offer",direction="in"}')).toBe(1);
    expect(await metric(nodeB, 'shoal_tracker_cluster_messages_total{type="answer",direction="out"}')).toBe(1);

    // Node B dies without a word: its heartbeat expires and node A drops B's peer within the node TTL.
    const killedAt = Date.now();
    await nodeB.child.kill();
    await waitFor('node A to drop B\'s peers', async () => (await health(nodeA)).remotePeers === 0, 4 * NODE_TTL_MS, 100);
    // Heartbeat TTL plus one check (a quarter of it); the rest is slack for a busy machine.
    expect(Date.now() - killedAt).toBeLessThan(NODE_TTL_MS * 2.5);

    // A re-announces with offers: none is sent anywhere, and the swarm is A alone.
    const again = once(a, 'update');
    a.join(infoHash, randomTrackerId(), { onOffer() {}, onAnswer() {} }).announce([{ offer_id: randomTrackerId(), offer: { type: 'offer', sdp: 'x' } }]);
    expect((await again)[2]).toBe(2); // A and this second local peer; B's is gone
    expect(await metric(nodeA, 'shoal_tracker_cluster_messages_total{type="offer",direction="out"}')).toBe(1);
    expect(nodeA.child.output.some((line) => line.includes('edge node gone'))).toBe(true);
  });

  it('shuts a node down cleanly on SIGTERM', async () => {
    expect(await nodeA.child.stop()).toBe(0);
    expect(nodeA.child.output.some((line) => line.includes('"stopped"'))).toBe(true);
  });
});
