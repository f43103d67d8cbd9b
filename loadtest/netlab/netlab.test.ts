import { describe, expect, it } from 'vitest';
import { namespacesWithPrefix } from './lab.js';
import { DEFAULT_NETLAB_OPTIONS } from './netlab-options.js';
import { bansByReason, formatNetlab } from './netlab-report.js';
import { runNetlab } from './netlab-run.js';

/**
 * Viewers behind home NATs, SDK in Node: two homes behind endpoint-independent NATs and one behind a
 * symmetric NAT, the edge handing out the lab's STUN server, SDK defaults. The EIM homes must find each other
 * through their server-reflexive addresses; the symmetric home cannot without TURN and must play over HTTP.
 */
describe('network lab, Node viewers', () => {
  it('connects viewers behind endpoint-independent NATs with the STUN server the edge hands out', async () => {
    const result = await runNetlab({
      ...DEFAULT_NETLAB_OPTIONS,
      homes: 3,
      nat: 'mixed',
      uplink: '10mbit',
      downlink: '20mbit',
      seconds: 35,
      baseline: false,
    });
    console.log(formatNetlab(result));
    const [eimA, eimB, sym] = result.p2p.homes;
    expect([eimA!.nat, eimB!.nat, sym!.nat]).toEqual(['eim', 'eim', 'sym']);
    for (const home of [eimA!, eimB!]) {
      expect(home.result.stats.connectionPaths.srflx).toBeGreaterThanOrEqual(1);
      expect(home.result.report.peers).toBeGreaterThanOrEqual(1);
    }
    expect(eimA!.result.stats.p2pBytes + eimB!.result.stats.p2pBytes).toBeGreaterThan(0);
    // Symmetric NAT, STUN only: every attempt fails, and the viewer plays over HTTP.
    expect(sym!.result.stats.connectionAttempts.ok).toBe(0);
    expect(sym!.result.stats.connectionAttempts.failed).toBeGreaterThanOrEqual(1);
    expect(sym!.result.stats.p2pBytes).toBe(0);
    expect(sym!.result.report.segmentsPlayed).toBeGreaterThanOrEqual(8);
    expect(result.p2p.relayedShare).toBe(0);
    expect(result.p2p.edgeBytes!.p2p).toBeGreaterThan(0);
    expect(result.p2p.edgeBytes!.p2p_relay).toBe(0);
    // Honest viewers ban no one.
    expect(result.p2p.bans).toEqual({});
    // The lab removed everything it made.
    expect(await namespacesWithPrefix(`shoalnl-${process.pid}-`)).toEqual([]);
  }, 150_000);
});

describe('network lab figures', () => {
  it('counts bans by reason from the viewers’ peer events', () => {
    const events = ['120 connected ab12', '900 banned ab12: silent claims', '901 disconnected ab12: banned', '1500 banned cd34: silent claims', '2000 banned ef56: protocol: bad hello'];
    expect(bansByReason(events)).toEqual({ 'silent claims': 2, 'protocol: bad hello': 1 });
    expect(bansByReason([])).toEqual({});
  });
});
