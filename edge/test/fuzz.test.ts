import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { randomTrackerId } from '@shoal/protocol';
import { offer, RawClient, sleep, waitFor } from './helpers.js';
import { seededRandom } from '../../test-support/seeded-random.js';

/**
 * Throws well over 10,000 malformed, truncated, oversized, wrongly typed and out-of-order messages at a live
 * tracker in a child process, then checks that it still serves a normal announce and relay, that its memory
 * came back to the baseline, that its state is empty, and that nothing ever threw.
 */
const FRAME = 16 * 1024;
const OPTIONS = { maxFrameBytes: FRAME, messagesPerSecond: 100_000, messageBurst: 100_000, maxSwarmsPerConnection: 8, maxPeersPerSwarm: 50 };

interface Memory {
  heapUsed: number;
  rss: number;
  connections: number;
  swarms: number;
  peers: number;
  internalErrors: number;
  rejected: Record<string, number>;
  problems: string[];
}

let child: ChildProcess;
let trackerUrl: string;

function ask(): Promise<Memory> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string } & Memory) => {
      if (message.type !== 'memory') return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type: 'memory' });
  });
}

beforeAll(async () => {
  child = fork(fileURLToPath(new URL('./fixtures/tracker-process.ts', import.meta.url)), [JSON.stringify(OPTIONS)], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  trackerUrl = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`tracker process exited with ${code}`)));
    child.on('message', (message: { type: string; trackerUrl?: string; message?: string }) => {
      if (message.type === 'ready') resolve(message.trackerUrl!);
      if (message.type === 'failed') reject(new Error(message.message));
    });
  });
});

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
});

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type Frame = { readonly data: string | Buffer; readonly binary?: boolean };

function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const swarms = Array.from({ length: 6 }, () => randomTrackerId());
  const peers = Array.from({ length: 30 }, () => randomTrackerId());
  const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(int(0x2fff))).join('');
  const anyValue = (): unknown =>
    pick<() => unknown>([
      () => int(1e9) - 5e8,
      () => random() * 1e308,
      () => -1,
      () => 0.5,
      () => null,
      () => true,
      () => '',
      () => text(int(40)),
      () => 'x'.repeat(int(FRAME)),
      () => [],
      () => [anyValue(), anyValue()],
      () => ({}),
      () => ({ type: 'offer', sdp: anyValue() }),
      () => randomTrackerId(),
      () => randomTrackerId().slice(0, 19),
      () => randomTrackerId() + 'x',
      () => 'Ā'.repeat(20),
    ])();
  const announce = (): Record<string, unknown> => ({
    action: 'announce',
    info_hash: pick(swarms),
    peer_id: pick(peers),
    event: pick([undefined, 'started', 'stopped', 'completed', 'update', 'paused', '']),
    numwant: int(12),
    left: pick([0, 100, null, undefined]),
    offers: Array.from({ length: int(6) }, () => offer()),
    shoal: pick([undefined, { v: 1, position: random() * 1e4, playing: random() < 0.5, bitrate: 1 + int(5e6) }]),
  });
  const answer = (): Record<string, unknown> => ({
    action: 'announce',
    info_hash: pick(swarms),
    peer_id: pick(peers),
    to_peer_id: pick(peers),
    offer_id: randomTrackerId(),
    answer: { type: 'answer', sdp: 'v=0' },
  });
  const scrape = (): Record<string, unknown> => ({ action: 'scrape', info_hash: Array.from({ length: 1 + int(40) }, () => pick(swarms)) });
  /** Replaces, deletes or retypes one field, possibly deep inside the offers. */
  const mutate = (message: Record<string, unknown>): Record<string, unknown> => {
    const copy = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
    for (let i = 1 + int(3); i > 0; i--) {
      const offers = copy.offers as unknown[] | undefined;
      const target = Array.isArray(offers) && offers.length > 0 ? pick(offers) : undefined;
      if (isRecord(target) && random() < 0.3) {
        const inner = random() < 0.5 || !isRecord(target.offer) ? target : target.offer;
        const key = pick(Object.keys(inner).concat(['sdp', 'type', 'offer_id']));
        if (random() < 0.2) delete inner[key];
        else inner[key] = anyValue();
        continue;
      }
      const key = pick(Object.keys(copy).concat(['action', 'info_hash', 'peer_id', 'shoal', 'answer', 'to_peer_id']));
      if (random() < 0.2) delete copy[key];
      else copy[key] = anyValue();
    }
    return copy;
  };
  return (): Frame => {
    const roll = random();
    if (roll < 0.12) return { data: text(int(300)) }; // garbage text
    if (roll < 0.24) {
      const full = JSON.stringify(pick([announce, answer, scrape])());
      return { data: full.slice(0, int(full.length)) }; // truncated
    }
    if (roll < 0.6) return { data: JSON.stringify(mutate(pick([announce, answer, scrape])())) }; // wrongly typed
    if (roll < 0.75) return { data: JSON.stringify(answer()) }; // out of order: answers nobody was offered
    if (roll < 0.88) return { data: JSON.stringify(announce()) }; // valid, in shared swarms: relays, collisions, stops
    if (roll < 0.92) return { data: JSON.stringify(scrape()) };
    if (roll < 0.94) return { data: JSON.stringify({ ...announce(), offers: Array.from({ length: 21 + int(20) }, () => offer()) }).slice(0, FRAME - 1) };
    if (roll < 0.96) return { data: '['.repeat(3000 + int(3000)) + ']'.repeat(int(3000)) }; // deep nesting
    if (roll < 0.97) return { data: pick(['null', '1', '"x"', '[]', '{}', 'true', '{"action":null}', '{"__proto__":{"action":"announce"}}']) };
    if (roll < 0.98) return { data: 'x'.repeat(FRAME + 1 + int(FRAME)) }; // oversized: closes 1009
    if (roll < 0.99) return { data: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }; // invalid UTF-8 text: closes 1007
    return { data: Buffer.from(text(20)), binary: true }; // binary frame: closes 1003
  };
}

describe('fuzzing a live tracker', () => {
  it('survives 12,000 bad messages: no throw, memory back to baseline, normal service after', async () => {
    // Seeded, so a failure can be replayed.
    const random = seededRandom(0x5eed);
    const next = generator(random);
    const pool: WebSocket[] = [];
    const openSocket = () =>
      new Promise<WebSocket>((resolve) => {
        const ws = new WebSocket(trackerUrl, { perMessageDeflate: false });
        ws.on('error', () => {});
        ws.once('open', () => resolve(ws));
      });
    const send = async (count: number): Promise<number> => {
      let sent = 0;
      while (sent < count) {
        const index = sent % 16;
        let ws = pool[index];
        if (!ws || ws.readyState !== WebSocket.OPEN) {
          ws = await openSocket();
          pool[index] = ws;
        }
        const frame = next();
        ws.send(frame.data, { binary: frame.binary ?? false });
        sent++;
        // Let the tracker keep up, and let closes land, every few hundred frames.
        if (sent % 400 === 0) await sleep(5);
      }
      return sent;
    };
    const drain = async () => {
      await Promise.all(pool.splice(0).map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : (ws.once('close', () => resolve()), ws.close())))));
      await waitFor('the tracker to see every socket close', async () => (await ask()).connections === 0, 10_000, 100);
    };

    // Warm-up: the same paths once, so JIT code and lazily built structures count in the baseline.
    await send(2_000);
    await drain();
    const baseline = await ask();

    const sent = await send(12_000);
    expect(sent).toBeGreaterThanOrEqual(12_000);
    await drain();
    const after = await ask();

    expect(after.problems).toEqual([]);
    expect(after.internalErrors).toBe(0);
    expect(child.exitCode).toBeNull();
    expect([after.connections, after.swarms, after.peers]).toEqual([0, 0, 0]);
    // The fuzz did hit the parser and the limits, not just the rate limiter.
    for (const reason of ['bad_json', 'bad_info_hash', 'bad_offers', 'too_many_offers', 'unexpected_answer', 'frame_too_large', 'bad_utf8', 'binary_frame']) {
      expect(after.rejected[reason], reason).toBeGreaterThan(0);
    }
    // Memory: within 2 MiB of the baseline after 12,000 messages, i.e. nothing kept per message.
    expect(after.heapUsed - baseline.heapUsed).toBeLessThan(2 * 1024 * 1024);

    // And it still does its job.
    const infoHash = randomTrackerId();
    const [a, b] = [await RawClient.open(trackerUrl), await RawClient.open(trackerUrl)];
    const [peerA, peerB] = [randomTrackerId(), randomTrackerId()];
    expect(await a.announce({ info_hash: infoHash, peer_id: peerA, event: 'started' })).toMatchObject({ interval: 60, incomplete: 1 });
    const sentOffer = offer();
    await b.announce({ info_hash: infoHash, peer_id: peerB, event: 'started', offers: [sentOffer] });
    await a.next((m) => m.offer_id === sentOffer.offer_id);
    a.send({ action: 'announce', info_hash: infoHash, peer_id: peerA, to_peer_id: peerB, offer_id: sentOffer.offer_id, answer: { type: 'answer', sdp: 'v=0' } });
    await b.next((m) => 'answer' in m);
    await Promise.all([a.close(), b.close()]);
    expect((await ask()).problems).toEqual([]);
  });
});
