import { MAX_DATA_CHUNK_BYTES } from '@shoal/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { SEND_WINDOW_BYTES } from '../src/core/peer.js';
import type { HostileChannel } from './hostile-peer.js';
import { openArena, until, type Cleanup } from './wire-arena.js';

/**
 * An uploader keeps at most a window of bytes in flight beyond what the receiver acknowledged: the WebRTC
 * stack would take a MiB into its own buffer, and on a slow uplink that is seconds of data still going out
 * after the receiver cancelled. Driven over real data channels by a receiver of the test's own writing.
 */

let cleanup: Cleanup = [];

afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

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
          if (message.type === 'hello') {
            channel.send(self.hello());
            channel.send({ type: 'have', entries: [] });
          } else if (message.type === 'have') {
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
