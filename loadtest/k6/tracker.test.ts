import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { findK6, runK6, stat } from './harness/k6.js';
import { startEdgeProcess, type EdgeProcess } from './harness/stack.js';

/**
 * tracker.js under real k6: it passes against a real edge's tracker, and fails when there is no tracker
 * behind the URL (without hammering it: failed connections back off), when the tracker answers announces
 * but never relays an offer, and when it relays offers but delivers the answers to the wrong peer.
 */

const found = findK6();
if (!found.k6) console.warn(`tracker.js k6 runs skipped: ${found.why}`);

const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/announce`)));

describe.skipIf(!found.k6)('tracker.js under k6', () => {
  const k6 = found.k6!;
  let edge: EdgeProcess;
  /** A web server with no tracker: every request, upgrade or not, gets a 404 page. */
  let plain: Server;
  let plainUrl: string;
  let plainRequests = 0;
  /** A tracker that answers every announce and never relays an offer. */
  let silent: Server;
  let silentUrl: string;
  let silentAnnounces = 0;
  /** A tracker that relays offers, and every answer to a peer other than the one that made the offer. */
  let misrouting: Server;
  let misroutingUrl: string;
  let misrouted = 0;

  beforeAll(async () => {
    edge = await startEdgeProcess([]);
    plain = createServer((_req, res) => {
      plainRequests++;
      res.writeHead(404, { 'Content-Type': 'text/html' }).end('<h1>Not found</h1>');
    });
    plainUrl = await listen(plain);
    silent = createServer((_req, res) => res.writeHead(426).end());
    const wss = new WebSocketServer({ server: silent });
    wss.on('connection', (socket) => {
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { action?: string; info_hash?: string; event?: string };
        if (message.action !== 'announce' || message.event === 'stopped') return;
        silentAnnounces++;
        socket.send(JSON.stringify({ action: 'announce', interval: 60, info_hash: message.info_hash, complete: 0, incomplete: 3 }));
      });
    });
    silentUrl = await listen(silent);
    misrouting = createServer((_req, res) => res.writeHead(426).end());
    const peers = new Map<string, WebSocket>();
    new WebSocketServer({ server: misrouting }).on('connection', (socket) => {
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as Record<string, unknown> & { peer_id: string; info_hash: string };
        if (message.action !== 'announce' || message.event === 'stopped') return;
        peers.set(message.peer_id, socket);
        const open = [...peers].filter(([, peer]) => peer.readyState === WebSocket.OPEN);
        if (message.answer !== undefined) {
          const wrong = open.find(([id]) => id !== message.to_peer_id && id !== message.peer_id);
          if (!wrong) return;
          misrouted++;
          wrong[1].send(JSON.stringify({ action: 'announce', info_hash: message.info_hash, peer_id: message.peer_id, offer_id: message.offer_id, answer: message.answer }));
          return;
        }
        socket.send(JSON.stringify({ action: 'announce', interval: 60, info_hash: message.info_hash, complete: 0, incomplete: open.length }));
        const offers = (message.offers ?? []) as { offer_id: string; offer: unknown }[];
        const others = open.filter(([id]) => id !== message.peer_id);
        offers.slice(0, others.length).forEach((offer, i) => {
          others[i]![1].send(JSON.stringify({ action: 'announce', info_hash: message.info_hash, peer_id: message.peer_id, offer_id: offer.offer_id, offer: offer.offer }));
        });
      });
    });
    misroutingUrl = await listen(misrouting);
  });

  afterAll(async () => {
    await edge?.child.stop();
    plain?.closeAllConnections();
    await new Promise((resolve) => plain?.close(resolve));
    for (const server of [silent, misrouting]) {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
  });

  // Latency is not what these runs are about, and the machine is shared: a wide relay bound.
  const settings = (url: string, vus: number) => ({ TRACKER_URL: url, VUS: vus, SWARMS: 1, OFFERS: 3, ANNOUNCE_SECONDS: 2, RAMP: '2s', DURATION: '10s', RELAY_P95_MS: 1000 });

  it.concurrent('passes against the edge tracker: offers relayed, every answer routed back to its offer', async ({ expect }) => {
    const run = await runK6(k6, 'tracker.js', { env: settings(edge.trackerUrl, 6), timeoutMs: 60_000 });
    expect(run.failedThresholds, run.output).toEqual([]);
    expect(run.code, run.output).toBe(0);
    expect(stat(run, 'checks', 'passes')).toBe(6);
    // One iteration per session, lasting until the run ended (one more per VU at most, should k6 notice the
    // end late): no empty iterations in a loop, which made hundreds.
    expect(stat(run, 'iterations', 'count')).toBeGreaterThanOrEqual(6);
    expect(stat(run, 'iterations', 'count')).toBeLessThanOrEqual(2 * 6);
    expect(stat(run, 'shoal_offers_received', 'count')).toBeGreaterThan(50);
    expect(stat(run, 'shoal_answer_routed', 'value')).toBe(1);
    expect(stat(run, 'shoal_answers_received', 'count')).toBe(stat(run, 'shoal_offers_received', 'count'));
    expect(stat(run, 'shoal_offer_answered', 'passes')).toBeGreaterThan(50);
    expect(stat(run, 'shoal_announce_failed', 'passes')).toBe(0);
    // Ended on time by k6's clock (each VU's last iteration waits half a second past the end), none cut off.
    expect(run.runSeconds).toBeGreaterThanOrEqual(12);
    expect(run.runSeconds).toBeLessThan(12 + 2);
    expect(run.interruptedIterations).toBe(0);
  });

  it.concurrent('fails with no tracker behind the URL, and backs off instead of retrying in a loop', async ({ expect }) => {
    const run = await runK6(k6, 'tracker.js', { env: settings(plainUrl, 3), timeoutMs: 60_000 });
    expect(run.code, run.output).toBe(99);
    expect(run.failedThresholds).toEqual(expect.arrayContaining(['checks{check:websocket upgraded}: rate>0.99', 'shoal_offers_received: count>0', 'shoal_answers_received: count>0']));
    expect(stat(run, 'checks', 'passes')).toBe(0);
    // 3 VUs for at most 12 s, waiting 0.5–1.5 s, 1–3 s, 2–6 s, 4–12 s after successive failures: a handful
    // of attempts each (a loop without back-off made tens of thousands).
    expect(plainRequests).toBeGreaterThanOrEqual(3 * 2);
    expect(plainRequests).toBeLessThanOrEqual(3 * 6);
    expect(stat(run, 'checks', 'fails')).toBe(plainRequests);
  });

  it.concurrent('fails against a tracker that never relays an offer', async ({ expect }) => {
    const run = await runK6(k6, 'tracker.js', { env: settings(silentUrl, 3), timeoutMs: 60_000 });
    expect(run.code, run.output).toBe(99);
    expect(run.failedThresholds.sort()).toEqual(['shoal_answers_received: count>0', 'shoal_offer_answered: rate>0.95', 'shoal_offers_received: count>0']);
    // It connected and announced all along; only relaying was missing.
    expect(stat(run, 'checks', 'passes')).toBe(3);
    expect(silentAnnounces).toBeGreaterThanOrEqual(3 * 3);
  });

  it.concurrent('fails against a tracker that delivers answers to the wrong peer', async ({ expect }) => {
    const run = await runK6(k6, 'tracker.js', { env: settings(misroutingUrl, 4), timeoutMs: 60_000 });
    expect(run.code, run.output).toBe(99);
    expect(run.failedThresholds.sort()).toEqual(['shoal_answer_routed: rate>0.99', 'shoal_offer_answered: rate>0.95']);
    // Offers went through and answers came back, each to someone who had not made the offer.
    expect(stat(run, 'shoal_offers_received', 'count')).toBeGreaterThan(10);
    expect(stat(run, 'shoal_answers_received', 'count')).toBe(misrouted);
    expect(stat(run, 'shoal_answer_routed', 'passes')).toBe(0);
  });
});
