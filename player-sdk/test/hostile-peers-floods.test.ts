import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MAX_HAVE_ENTRIES, type HaveEntry } from '@shoal/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PEER_HOLDINGS } from '../src/core/peer.js';
import { MAX_IMPLAUSIBLE_REQUESTS, MAX_UPLOADS_PER_PEER } from '../src/core/peer-uploads.js';
import { acknowledge, greetAndClaim, type HostileBehaviour } from './hostile-peer.js';
import { accepted, arena, cleanup, DEADLINE_MS, loadInTime, runCleanup } from './hostile-peers-setup.js';
import { hubEngine, until } from './wire-arena.js';

/**
 * Hostile peers of the tests' own writing (hostile-peer.ts: node-datachannel and the binary peer protocol,
 * no SDK class) against an honest engine over real WebRTC data channels: peers that flood — malformed
 * frames, claims, requests, offers that never connect. Each attack must cost the honest viewer no missed
 * deadline and bounded memory, connections and upload, and the attacker is banned or its claims bounded.
 * Peers that lie about bytes are in hostile-peers-lies.test.ts.
 */

afterEach(runCleanup);

describe('malformed frames', () => {
  const frames: [string, Uint8Array][] = [
    ['a frame over the 16 KiB cap', new Uint8Array(16 * 1024 + 1).fill(4)],
    ['an unknown frame type', Uint8Array.of(99, 0, 0, 0, 1)],
  ];
  for (const [name, frame] of frames) {
    it(`${name}: the channel closes and the peer stays out`, async () => {
      const a = await arena(() => ({
        onMessage(channel, message, self) {
          if (!greetAndClaim(channel, message, self, 6)) return;
          setTimeout(() => channel.sendRaw(frame), 100);
        },
      }));
      await until('the channel to close', () => a.disconnects.length > 0);
      expect(a.disconnects[0]).toMatch(/^protocol/);
      // Offers keep flowing every second; none becomes a channel for the banned id.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(accepted(a.attacker)).toBe(1);
      expect(a.honest.peerCount()).toBe(0);
      await loadInTime(a, 1);
    });
  }
});

describe('a flood of have messages', () => {
  it(`keeps at most ${MAX_PEER_HOLDINGS} claims per peer and the heap bounded; playback unharmed`, async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const FRAMES = 1_500;
    let sent = 0;
    const a = await arena(() => ({
      onMessage(channel, message, self) {
        if (!greetAndClaim(channel, message, self, 0)) return;
        let next = 1_000;
        const burst = (): void => {
          for (let i = 0; i < 50 && sent < FRAMES && channel.open; i++, sent++) {
            channel.send({ type: 'have', entries: Array.from({ length: MAX_HAVE_ENTRIES }, (): HaveEntry => ({ segment: next++, state: 'loading' })) });
          }
          if (sent < FRAMES && channel.open) setTimeout(burst, 5);
        };
        burst();
      },
    }));
    gc();
    const before = process.memoryUsage().heapUsed;
    const started = Date.now();
    const peer = (): { has(s: number): unknown } & { holdings: Map<number, unknown> } =>
      (a.honest as unknown as { ready: { swarm: { peers: Map<string, { holdings: Map<number, unknown>; has(s: number): unknown }> } }[] }).ready[0]!.swarm.peers.values().next().value!;
    await until('the flood to arrive', () => sent === FRAMES && peer().has(999 + FRAMES * MAX_HAVE_ENTRIES) !== undefined, 60_000);
    const floodMs = Date.now() - started;
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    const claims = FRAMES * MAX_HAVE_ENTRIES;
    console.log(`have flood: ${claims} claims in ${FRAMES} frames over ${floodMs} ms; ${peer().holdings.size} kept; heap +${(growth / 1e6).toFixed(1)} MB`);
    expect(peer().holdings.size).toBeLessThanOrEqual(MAX_PEER_HOLDINGS);
    expect(growth).toBeLessThan(16 * 1024 * 1024);
    await loadInTime(a, 1);
  });
});

/** Requests the attacker keeps in flight: `next()` names the segment of each new request. */
function requester(next: () => number | undefined, drawn: { bytes: number; refused: number }): HostileBehaviour {
  let request = 1;
  return {
    onMessage(channel, message, self) {
      const ask = (): void => {
        const segment = next();
        if (segment !== undefined && channel.open) channel.send({ type: 'request', request: request++, segment, offset: 0 });
      };
      if (greetAndClaim(channel, message, self, 0)) {
        for (let i = 0; i < MAX_UPLOADS_PER_PEER; i++) ask();
      } else if (message.type === 'data') {
        drawn.bytes += message.bytes.length;
        acknowledge(channel, message);
      }
      else if (message.type === 'done') ask();
      else if (message.type === 'absent') {
        drawn.refused++;
        setTimeout(ask, 5);
      }
    },
  };
}

describe('a peer requesting segments in a loop', () => {
  it('gets each segment once, is banned for asking again, and draws at most that', async () => {
    const drawn = { bytes: 0, refused: 0 };
    let k = 0;
    const a = await arena(() => requester(() => k++ % 4, drawn), 4);
    for (let sn = 0; sn < 4; sn++) await loadInTime(a, sn);
    await until('the flooder to be banned', () => a.disconnects.includes('protocol: implausible requests'), 20_000);
    const held = [0, 1, 2, 3].reduce((sum, sn) => sum + a.server.bytes.get(`/seg${sn}.ts`)!.length, 0);
    console.log(`same-segment flood: drew ${drawn.bytes} bytes (4 segments are ${held}), ${drawn.refused} refused, banned`);
    expect(drawn.bytes).toBeLessThanOrEqual(held);
    expect(drawn.refused).toBeGreaterThanOrEqual(MAX_IMPLAUSIBLE_REQUESTS);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(accepted(a.attacker)).toBe(1);
  });

  it('draws at most its share of the upload budget when it asks for every segment once; an honest peer is still served', async () => {
    const COUNT = 40;
    const drawn = { bytes: 0, refused: 0 };
    let k = 0;
    let floodStarted = 0;
    const a = await arena(() => requester(() => (k < COUNT ? k++ : undefined), drawn), COUNT);
    // The honest viewer plays all 40 segments (HTTP, alone): it holds them all and knows the bitrate.
    for (let sn = 0; sn < COUNT; sn++) await a.honest.loadSegment(a.playlist, a.server.segment(sn), a.honest.options.clock.now() + DEADLINE_MS);
    const budget = a.honest.getStats().uploadBudget;
    const peerRate = budget * a.honest.options.peerUploadShare;
    const burst = Math.max(256 * 1024, 2 * peerRate);
    floodStarted = Date.now();
    drawn.bytes = 0;
    // Restart the flood now that everything is held (what it drew while the honest viewer loaded is not counted).
    k = 0;
    const channel = a.attacker.channels.find((c) => (c.received.get('hello') ?? 0) > 0)!;
    for (let i = 0; i < MAX_UPLOADS_PER_PEER; i++) channel.send({ type: 'request', request: 10_000 + i, segment: k++, offset: 0 });
    // An honest second viewer joins and takes a segment from the honest one meanwhile. The attacker leaves
    // it alone: had it connected first, its empty have list would let the second viewer stop waiting for
    // peers and fetch over HTTP before the honest viewer's have list arrived.
    a.attacker.answers = (peerId) => peerId === a.honest.peerId;
    const second = hubEngine(a.hub);
    cleanup.push(() => second.destroy());
    await second.updatePlaylist(a.playlist, Array.from({ length: COUNT }, (_, i) => a.server.segment(i)), true);
    await until('the second viewer to meet the first', () => second.peerCount() >= 1);
    const t0 = second.options.clock.now();
    const result = await second.loadSegment(a.playlist, a.server.segment(COUNT - 1), t0 + 8_000);
    expect(second.options.clock.now() - t0).toBeLessThan(8_000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 6_000 - (Date.now() - floodStarted))));
    const seconds = (Date.now() - floodStarted) / 1000;
    const bound = burst + peerRate * seconds;
    console.log(
      `distinct-segment flood: drew ${drawn.bytes} bytes in ${seconds.toFixed(1)} s (bound ${bound.toFixed(0)}: share ${peerRate.toFixed(0)} B/s of budget ${budget} B/s + ${burst.toFixed(0)} burst; all 40 segments are ${12_000_000 + 780}); honest peer got ${result.bytesFrom.p2p} bytes from peers`,
    );
    expect(drawn.bytes).toBeLessThanOrEqual(bound);
    expect(drawn.bytes).toBeGreaterThan(0);
    expect(result.bytesFrom.p2p).toBeGreaterThan(0);
  });
});

describe('offers that never complete ICE', () => {
  it('hold at most maxConnectingPeers connections, each closed within connectTimeoutMs; playback unharmed', async () => {
    const MAX_CONNECTING = 8;
    const TIMEOUT_MS = 4_000;
    const a = await arena(() => ({ onMessage: (channel, message, self) => void greetAndClaim(channel, message, self, 0) }), 6, {
      maxConnectingPeers: MAX_CONNECTING,
      connectTimeoutMs: TIMEOUT_MS,
    });
    const before = a.honest.getStats();
    let worst = 0;
    const sampler = setInterval(() => (worst = Math.max(worst, a.honest.getStats().connectionsConnecting)), 50);
    cleanup.push(() => clearInterval(sampler));
    const ATTACK_MS = 10_000;
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < ATTACK_MS) {
      await a.attacker.offerUnconnectable(5);
      sent += 5;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const elapsed = await loadInTime(a, 1);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 1_000));
    const after = a.honest.getStats();
    const created = after.connectionsCreated - before.connectionsCreated;
    console.log(
      `unconnectable offers: ${sent} sent in ${ATTACK_MS} ms; victim made ${created} connections (at most ${MAX_CONNECTING} per ${TIMEOUT_MS} ms), worst ${worst} in progress (limit ${MAX_CONNECTING}), ${after.connectionsFailed - before.connectionsFailed} closed unopened, ${after.connectionsConnecting} left; segment in ${elapsed.toFixed(0)} ms`,
    );
    expect(worst).toBeLessThanOrEqual(MAX_CONNECTING);
    expect(created).toBeLessThanOrEqual(MAX_CONNECTING * Math.ceil((ATTACK_MS + 1_000) / TIMEOUT_MS + 1));
    expect(created).toBeLessThan(sent);
    expect(after.connectionsConnecting).toBe(0);
    expect(after.connectionsOpen).toBe(1); // the attacker's one real channel, from before the attack
  });
});
