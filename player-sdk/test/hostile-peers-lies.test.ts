import type { HaveEntry, PeerMessage } from '@shoal/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FAILED_RELAYS, RETRACT_WINDOW_MS } from '../src/core/relay-judge.js';
import { MAX_FRUITLESS_REQUESTS } from '../src/core/segment-job.js';
import { greetAndClaim, HostilePeer, sendData, type HostileBehaviour, type HostileChannel } from './hostile-peer.js';
import { accepted, arena, cleanup, DEADLINE_MS, httpOnlyMs, loadInTime, requestsTo, runCleanup, SEGMENT_BYTES } from './hostile-peers-setup.js';
import type { SegmentServer } from './segment-server.js';
import { until } from './wire-arena.js';

/**
 * Hostile peers of the tests' own writing (hostile-peer.ts: node-datachannel and the binary peer protocol,
 * no SDK class) against an honest engine over real WebRTC data channels: peers that lie — about a
 * segment's size, its bytes, what they relay or what they hold. Each lie must cost the honest viewer no
 * missed deadline (in Node a stall is a segment delivered after its deadline), and the liar is banned; an
 * honest peer that is merely slow is not. HTTP-only loads of the same segments run beside them as the
 * baseline. Attacks on the victim's resources are in hostile-peers-floods.test.ts.
 */

afterEach(runCleanup);

/** A size liar: declares `total(real)` as the segment's size, sends `sent(real)` bytes of it, then nothing. */
function sizeLiar(total: (real: number) => number, sent: (real: number) => number, server: SegmentServer): HostileBehaviour {
  return {
    onMessage(channel, message, self) {
      if (greetAndClaim(channel, message, self, 6) || message.type !== 'request') return;
      const real = server.bytes.get(`/seg${message.segment}.ts`)!;
      const declared = total(real.length);
      const body = new Uint8Array(sent(real.length));
      body.set(real.subarray(0, Math.min(real.length, body.length)));
      sendData(channel, message.request, body, message.offset, body.length, declared);
      // …and then silence.
    },
  };
}

describe('a peer lying about a segment’s size', () => {
  const cases = [
    { name: 'larger, part sent, silent', total: (n: number) => n + 50_000, sent: () => 40_000, expectedRange: /bytes=40000-/ },
    { name: 'smaller, part sent, silent', total: (n: number) => n - 5_000, sent: () => 40_000, expectedRange: /bytes=40000-/ },
    { name: 'larger, more than the real size sent, silent (the origin answers 416)', total: (n: number) => n + 50_000, sent: (n: number) => n + 16_000, expectedRange: /bytes=316\d{3}-/ },
  ];
  for (const c of cases) {
    it(`${c.name}: no missed deadline, HTTP refetches from byte 0, the liar is banned`, async () => {
      const a = await arena((server) => sizeLiar(c.total, c.sent, server));
      await until('the attacker’s claims', () => a.honest.peerCount() === 1);
      const elapsed = [await loadInTime(a, 1), await loadInTime(a, 2)];
      const baseline = await httpOnlyMs(a, 3);
      console.log(`size liar (${c.name}): segments in ${elapsed.map((ms) => ms.toFixed(0)).join(', ')} ms (deadline ${DEADLINE_MS}); HTTP only ${baseline.toFixed(0)} ms`);
      expect(a.server.ranges.some((range) => c.expectedRange.test(range))).toBe(true);
      expect(a.disconnects).toContain('banned');
      // Nothing of the liar's bytes was counted or kept; after its first lie it was asked nothing more.
      expect(a.honest.getStats().p2pBytes).toBe(0);
      expect(requestsTo(a.attacker)).toBe(1);
      // Banned means banned: the honest engine keeps announcing, the attacker gets no new channel.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(accepted(a.attacker)).toBe(1);
    });
  }
});

/**
 * A relay claiming to be still loading every segment (cut-through, not verified yet) that serves each
 * request with flipped bytes; `after` says what it does next, with the message the victim sent.
 */
function falseRelay(server: SegmentServer, after: { served?(channel: HostileChannel, self: HostilePeer): void; have?(channel: HostileChannel, message: PeerMessage & { type: 'have' }): void }): HostileBehaviour {
  return {
    onMessage(channel, message, self) {
      if (message.type === 'hello') {
        channel.send(self.hello());
        channel.send({ type: 'have', entries: Array.from({ length: 6 }, (_, i): HaveEntry => ({ segment: i, state: 'loading' })) });
      } else if (message.type === 'request') {
        const bytes = Uint8Array.from(server.bytes.get(`/seg${message.segment}.ts`)!, (b) => b ^ 0x5a);
        sendData(channel, message.request, bytes);
        channel.send({ type: 'done', request: message.request, total: bytes.length });
        after.served?.(channel, self);
      } else if (message.type === 'have') after.have?.(channel, message);
    },
  };
}

describe('a relay that serves bad bytes and retracts each time', () => {
  it(`is excused ${MAX_FAILED_RELAYS} times, then banned; every segment arrives intact before its deadline`, async () => {
    const a = await arena((server) =>
      falseRelay(server, {
        // The victim dropped it: "my own check failed too", says the relay, and retracts in time.
        have: (channel, message) => {
          for (const entry of message.entries) if (entry.state === 'dropped') channel.send({ type: 'have', entries: [{ segment: entry.segment, state: 'dropped' }] });
        },
      }),
    );
    await until('the attacker’s claims', () => a.honest.peerCount() === 1);
    const elapsed: number[] = [];
    for (let sn = 0; sn < 5; sn++) elapsed.push(await loadInTime(a, sn));
    console.log(`retracting relay: segments in ${elapsed.map((ms) => ms.toFixed(0)).join(', ')} ms (deadline ${DEADLINE_MS}); integrity failures ${a.honest.getStats().integrityFailures}`);
    expect(a.honest.getStats().integrityFailures).toBe(MAX_FAILED_RELAYS + 1);
    expect(a.disconnects).toEqual(['banned']);
    expect(a.bans).toEqual(['false relays']);
    expect(a.honest.getStats().p2pBytes).toBe(0);
  });
});

describe('a relay that serves bad bytes and leaves before it could retract', () => {
  it('is banned all the same: leaving is no way out of the judgement', async () => {
    const a = await arena((server) =>
      falseRelay(server, {
        // Gone before the victim's check could be answered with a retraction, and away for the window.
        served: (channel, self) => {
          self.answers = () => false;
          setTimeout(() => channel.close(), 50);
        },
      }),
    );
    await until('the attacker’s claims', () => a.honest.peerCount() === 1);
    await loadInTime(a, 0);
    expect(a.honest.getStats().integrityFailures).toBe(1);
    expect(a.honest.isBanned(a.attacker.peerId)).toBe(false);
    await until('the retract window to pass', () => a.honest.isBanned(a.attacker.peerId), RETRACT_WINDOW_MS + 2_000);
    expect(a.bans).toEqual(['kept a false relay']);
    // Banned means banned: back and answering offers again, the attacker gets no new channel.
    const opened = a.attacker.opened;
    a.attacker.answers = () => true;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(a.attacker.opened).toBe(opened);
  });
});

describe('a copy put together from two peers that fails its digest', () => {
  it('bans the peer whose part differs from the origin’s copy, and only that one', async () => {
    const SEQUENCE = 2;
    let liarChannel: HostileChannel | undefined;
    // An honest peer that sends the first 30 % and then nothing more: the player gives up on it and asks
    // the other peer for the rest, from where it stopped. Only then does the liar claim the segment.
    const a = await arena((server) => ({
      onMessage(channel, message, self) {
        if (message.type === 'hello') {
          channel.send(self.hello());
          channel.send({ type: 'have', entries: [{ segment: SEQUENCE, state: 'complete' }] });
        } else if (message.type === 'request') {
          const bytes = server.bytes.get(`/seg${message.segment}.ts`)!;
          sendData(channel, message.request, bytes, message.offset, Math.floor(bytes.length * 0.3));
          liarChannel?.send({ type: 'have', entries: [{ segment: SEQUENCE, state: 'complete' }] });
        }
      },
    }));
    const liarRequests: { offset: number }[] = [];
    const liar = new HostilePeer(a.hub.signaling(), a.attacker.infoHashBinary, a.attacker.swarmHex, '-XX0001-hostile00002', {
      onMessage(channel, message, self) {
        if (message.type === 'hello') {
          channel.send(self.hello());
          channel.send({ type: 'have', entries: [] });
          liarChannel = channel;
        } else if (message.type === 'request') {
          liarRequests.push({ offset: message.offset });
          const bytes = Uint8Array.from(a.server.bytes.get(`/seg${message.segment}.ts`)!);
          bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
          sendData(channel, message.request, bytes, message.offset);
          channel.send({ type: 'done', request: message.request, total: bytes.length });
        }
      },
    });
    cleanup.push(() => liar.destroy());
    await until('both peers', () => a.honest.peerCount() === 2 && liarChannel !== undefined, 20_000);
    const failures: string[][] = [];
    a.honest.on('integrity-failure', (info) => failures.push([...info.peers].sort()));
    const result = await a.honest.loadSegment(a.playlist, a.server.segment(SEQUENCE), a.honest.options.clock.now() + 8_000);
    const size = a.server.bytes.get(`/seg${SEQUENCE}.ts`)!.length;
    expect(Buffer.from(result.bytes).equals(a.server.bytes.get(`/seg${SEQUENCE}.ts`)!)).toBe(true);
    // The liar was asked for the rest only, from the byte where the honest peer stopped.
    expect(liarRequests).toEqual([{ offset: Math.floor(size * 0.3) }]);
    expect(failures).toEqual([[a.attacker.peerId, liar.peerId].sort()]);
    expect(result.bytesFrom).toEqual({ http: size, p2p: 0 });
    await until('the liar to be banned', () => a.honest.isBanned(liar.peerId));
    expect(a.honest.isBanned(a.attacker.peerId)).toBe(false);
    expect(a.disconnects).toEqual(['banned']);
    expect(a.honest.getStats().p2pDiscardedBytes).toBe(size);
    expect(a.bans).toEqual(['bad bytes']);
  });
});

describe('a peer that announces every segment and never sends', () => {
  it(`is banned after ${MAX_FRUITLESS_REQUESTS} fruitless requests; every segment still arrives before its deadline`, async () => {
    const a = await arena(() => ({ onMessage: (channel, message, self) => void greetAndClaim(channel, message, self, 6) }));
    await until('the attacker’s claims', () => a.honest.peerCount() === 1);
    const elapsed: number[] = [];
    for (let sn = 0; sn < 5; sn++) elapsed.push(await loadInTime(a, sn));
    console.log(`silent claimer: segments in ${elapsed.map((ms) => ms.toFixed(0)).join(', ')} ms (deadline ${DEADLINE_MS}); HTTP only ${(await httpOnlyMs(a, 5)).toFixed(0)} ms`);
    expect(requestsTo(a.attacker)).toBe(MAX_FRUITLESS_REQUESTS);
    expect(a.disconnects).toEqual(['banned']);
    expect(a.bans).toEqual(['silent claims']);
  });
});

describe('a peer behind a congested uplink, whose bytes arrive only after the requester gave up', () => {
  it(`is not taken for a silent claimer: after more than ${MAX_FRUITLESS_REQUESTS} such requests it is still connected`, async () => {
    const a = await arena((server) => ({
      onMessage(channel, message, self) {
        if (greetAndClaim(channel, message, self, 6)) return;
        // Nothing leaves before the requester cancels; then the whole segment, queued behind other uploads, does.
        if (message.type === 'request') pending.set(message.request, message.segment);
        if (message.type === 'cancel' && pending.has(message.request)) {
          const bytes = server.bytes.get(`/seg${pending.get(message.request)}.ts`)!;
          pending.delete(message.request);
          sendData(channel, message.request, bytes);
        }
      },
    }));
    const pending = new Map<number, number>();
    await until('the peer’s claims', () => a.honest.peerCount() === 1);
    for (let sn = 0; sn < 5; sn++) {
      await loadInTime(a, sn);
      // The next request goes out once this one's late bytes are in, as they would be between segments.
      await until('the late bytes', () => pending.size === 0 && a.honest.getStats().p2pDiscardedBytes >= (sn + 1) * SEGMENT_BYTES, 5_000);
    }
    expect(requestsTo(a.attacker)).toBeGreaterThan(MAX_FRUITLESS_REQUESTS);
    expect(a.disconnects).toEqual([]);
    expect(a.honest.isBanned(a.attacker.peerId)).toBe(false);
    expect(a.bans).toEqual([]);
  });
});
