import { describe, expect, it } from 'vitest';
import { MAX_IMPLAUSIBLE_REQUESTS, MAX_UPLOADS_PER_PEER } from '../src/core/peer.js';
import { acknowledge, greetAndClaim, type HostileBehaviour } from './hostile-peer.js';
import { accepted, arena, cleanAfterEach, cleanup, DEADLINE_MS, loadInTime } from './hostile-harness.js';
import { hubEngine, until } from './wire-arena.js';

/** A hostile peer (hostile-peer.ts) that requests segments in a loop, against an honest engine over real WebRTC data channels. */

cleanAfterEach();

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
