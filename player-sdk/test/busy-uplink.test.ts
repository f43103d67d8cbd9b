import { MAX_DATA_CHUNK_BYTES, type PeerMessage } from '@shoal/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { SEND_WINDOW_BYTES } from '../src/core/peer-uploads.js';
import { acknowledge, greetAndClaim, sendData, type HostileChannel } from './hostile-peer.js';
import { openArena, until, type Cleanup } from './wire-arena.js';

/**
 * How long chunks already sent may take to arrive. On loopback that is milliseconds, but a receiver starved
 * of CPU (a loaded 2-core machine) overflows its UDP buffer, and SCTP resends after a timeout of a second
 * and more, doubling: uploaded bytes are then accounted seconds later. The checks wait for them, not a guess.
 */
const LATE_BYTES_MS = 30_000;

/**
 * A full uplink says 'busy' at once instead of queueing a request behind the uploads it already has, and a
 * player told 'busy' neither blames the peer nor gives up on it: it asks again when told to. Both sides are
 * driven over real data channels by a peer of the test's own writing (hostile-peer.ts) speaking the wire
 * protocol, so the frames themselves are what is checked.
 */

const SEGMENT_BYTES = 200_000;
let cleanup: Cleanup = [];

afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('an uploader whose uplink is full', () => {
  it('serves the request that fits its queue and answers the next one busy, with when to ask again', async () => {
    const answers: PeerMessage[] = [];
    const held = new Set<number>();
    let asked = false;
    const p = await openArena(
      cleanup,
      () => ({
        onMessage(channel, message, self) {
          if (greetAndClaim(channel, message, self, 0)) return;
          if (message.type === 'have') {
            for (const entry of message.entries) if (entry.state === 'complete') held.add(entry.segment);
            if (asked || !held.has(0) || !held.has(1)) return;
            // Two whole 400 kB segments at once from an uplink of 100 kB/s whose queue holds 1.5 s: the first
            // takes the budget's burst (256 KiB) and goes on at the rate, the second cannot fit behind it.
            asked = true;
            channel.send({ type: 'request', request: 1, segment: 0, offset: 0 });
            channel.send({ type: 'request', request: 2, segment: 1, offset: 0 });
          } else if (message.type === 'data') acknowledge(channel, message);
          else if (message.type === 'busy' || message.type === 'done' || message.type === 'absent') answers.push(message);
        },
      }),
      { count: 4, segmentBytes: 400_000, options: { uploadRateLimit: 100_000, uploadQueueMs: 1_500 } },
    );
    // The engine holds segments 0 and 1 (over HTTP, alone), then announces them.
    for (const sn of [0, 1]) await p.honest.loadSegment(p.playlist, p.server.segment(sn), p.honest.options.clock.now() + 10_000);
    await until('both answers', () => answers.length === 2, 15_000);
    const busy = answers.find((m) => m.type === 'busy');
    const done = answers.find((m) => m.type === 'done');
    expect(busy).toMatchObject({ type: 'busy', request: 2, segment: 1 });
    // At most 400 + 400 kB queued at 100 kB/s against a 1.5 s queue: room in at most 6.5 s; at least
    // the 138 kB past the burst plus the request, 5.4 s, less the time since the first began.
    expect(busy?.type === 'busy' && busy.retryMs).toBeGreaterThan(3_000);
    expect(busy?.type === 'busy' && busy.retryMs).toBeLessThanOrEqual(6_500);
    expect(done).toMatchObject({ type: 'done', request: 1 });
    expect(p.honest.getStats().uploadsRefusedBusy).toBe(1);
  });
});

describe('a player told busy', () => {
  it('asks the same peer again after the time it was given, and is not put off it', async () => {
    const RETRY_MS = 400;
    const requestsAt: number[] = [];
    const p = await openArena(
      cleanup,
      (server) => ({
        onMessage(channel, message, self) {
          if (greetAndClaim(channel, message, self, 4)) return;
          if (message.type === 'request') {
            requestsAt.push(Date.now());
            if (requestsAt.length === 1) {
              channel.send({ type: 'busy', request: message.request, segment: message.segment, retryMs: RETRY_MS });
              return;
            }
            const bytes = server.bytes.get(`/seg${message.segment}.ts`)!;
            sendData(channel, message.request, bytes, message.offset);
            channel.send({ type: 'done', request: message.request, total: bytes.length });
          }
        },
      }),
      { count: 4, segmentBytes: SEGMENT_BYTES },
    );
    await until('its holdings', () => p.honest.peerCount() === 1);
    const result = await p.honest.loadSegment(p.playlist, p.server.segment(2), p.honest.options.clock.now() + 8_000);
    expect(Buffer.from(result.bytes).equals(p.server.bytes.get('/seg2.ts')!)).toBe(true);
    expect(result.bytesFrom).toEqual({ http: 0, p2p: p.server.bytes.get('/seg2.ts')!.length });
    expect(requestsAt).toHaveLength(2);
    expect(requestsAt[1]! - requestsAt[0]!).toBeGreaterThanOrEqual(RETRY_MS - 20);
    expect(p.honest.peerCount()).toBe(1);
  });
});

describe('a player that gives up on a slow peer', () => {
  it('counts the chunks that arrive after its cancel as discarded, and finishes over HTTP from where the peer stopped', async () => {
    let lateBytes = 0;
    let cancelled = false;
    let requested = -1;
    const p = await openArena(
      cleanup,
      (server) => ({
        onMessage(channel, message, self) {
          if (greetAndClaim(channel, message, self, 4)) return;
          if (message.type === 'request') {
            // Three quarters of the segment, then silence: the player gives up and HTTP fetches the rest.
            const bytes = server.bytes.get(`/seg${message.segment}.ts`)!;
            sendData(channel, message.request, bytes, 0, Math.floor(bytes.length * 0.75));
            requested = message.segment;
          } else if (message.type === 'cancel' && !cancelled) {
            // What a real uplink would still have queued when the cancel arrived goes out anyway.
            cancelled = true;
            const bytes = server.bytes.get(`/seg${requested}.ts`)!;
            const from = Math.floor(bytes.length * 0.75);
            lateBytes = bytes.length - from;
            sendData(channel, message.request, bytes, from);
          }
        },
      }),
      { count: 4, segmentBytes: SEGMENT_BYTES },
    );
    await until('its holdings', () => p.honest.peerCount() === 1);
    const result = await p.honest.loadSegment(p.playlist, p.server.segment(2), p.honest.options.clock.now() + 6_000);
    const size = p.server.bytes.get('/seg2.ts')!.length;
    expect(Buffer.from(result.bytes).equals(p.server.bytes.get('/seg2.ts')!)).toBe(true);
    expect(result.bytesFrom).toEqual({ p2p: Math.floor(size * 0.75), http: size - Math.floor(size * 0.75) });
    await until('the late chunks', () => p.honest.getStats().p2pDiscardedBytes === lateBytes && lateBytes > 0, LATE_BYTES_MS).catch(() => undefined);
    expect(lateBytes).toBe(size - Math.floor(size * 0.75));
    expect(p.honest.getStats().p2pDiscardedBytes).toBe(lateBytes);
    expect(p.honest.getStats().p2pBytes).toBe(Math.floor(size * 0.75));
  });
});

/**
 * An uploader keeps at most a window of bytes in flight beyond what the receiver acknowledged: the WebRTC
 * stack would take a MiB into its own buffer, and on a slow uplink that is seconds of data still going out
 * after the receiver cancelled.
 */
describe('an uploader', () => {
  it('stops at its window until the receiver acknowledges, then goes on to the end', async () => {
    let received = 0;
    let done = false;
    let receiver: HostileChannel | undefined;
    let asked = false;
    const p = await openArena(
      cleanup,
      () => ({
        onMessage(channel, message, self) {
          if (greetAndClaim(channel, message, self, 0)) return;
          if (message.type === 'have') {
            if (asked || !message.entries.some((e) => e.segment === 0 && e.state === 'complete')) return;
            asked = true;
            receiver = channel;
            channel.send({ type: 'request', request: 1, segment: 0, offset: 0 });
          } else if (message.type === 'data') received += message.bytes.length;
          else if (message.type === 'done') done = true;
        },
      }),
      { count: 2, segmentBytes: 300_000, options: {} },
    );
    await p.honest.loadSegment(p.playlist, p.server.segment(0), p.honest.options.clock.now() + 10_000);
    await until('the window to arrive', () => received >= SEND_WINDOW_BYTES, 10_000);
    // Nothing acknowledged: nothing more comes, however long the receiver waits.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(received).toBeGreaterThanOrEqual(SEND_WINDOW_BYTES);
    expect(received).toBeLessThan(SEND_WINDOW_BYTES + MAX_DATA_CHUNK_BYTES);
    expect(done).toBe(false);
    // Acknowledging what arrived opens the window again, ack by ack, to the last byte.
    const pace = setInterval(() => receiver!.send({ type: 'ack', request: 1, received }), 20);
    cleanup.push(() => clearInterval(pace));
    await until('the whole segment', () => done, 10_000);
    expect(received).toBe(300_000);
  });
});
