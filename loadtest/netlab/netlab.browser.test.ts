import { describe, expect, it } from 'vitest';
import { namespacesWithPrefix } from './lab.js';
import { DEFAULT_NETLAB_OPTIONS } from './netlab-options.js';
import { formatNetlab } from './netlab-report.js';
import { runNetlab } from './netlab-run.js';

/**
 * The demo page (the embedding player-sdk/README.md shows, SDK defaults) in headless Chromium, one browser per home behind an
 * endpoint-independent NAT: with the STUN server the edge hands out, the two pages connect through their
 * server-reflexive addresses and share segments.
 */
describe('network lab, Chromium viewers', () => {
  it('connects two pages behind home NATs and shares segments', async () => {
    const result = await runNetlab({ ...DEFAULT_NETLAB_OPTIONS, homes: 2, nat: 'eim', uplink: '10mbit', downlink: '20mbit', seconds: 35, baseline: false, viewer: 'chromium' });
    console.log(formatNetlab(result));
    for (const [index, { result: page }] of result.p2p.homes.entries()) {
      const tab = page as typeof page & { currentTime: number; log: string };
      // The page's own log (peers connected and disconnected, with reasons): what a failure is read from.
      console.log(`page ${index + 1} log:\n${tab.log}`);
      expect(tab.log).not.toContain('fatal');
      expect(tab.currentTime).toBeGreaterThan(10);
      expect(page.stats.peers).toBe(1);
      expect(page.stats.connectionPaths.srflx + page.stats.connectionPaths.prflx).toBeGreaterThanOrEqual(1);
      expect(page.stats.connectionPaths.host).toBe(0);
    }
    expect(result.p2p.offloadRatio).toBeGreaterThan(0.1);
    expect(result.p2p.edgeBytes!.p2p).toBeGreaterThan(0);
    expect(await namespacesWithPrefix(`shoalnl-${process.pid}-`)).toEqual([]);
  }, 150_000);
});
