import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdge, startEdgeServer, type EdgeServer } from '@shoal/edge';
import { launchChromium } from '../../test-support/chromium.js';
import { startStaticLiveOrigin, type StaticLiveOrigin } from '../../test-support/static-live-origin.js';

/**
 * hls.js with the Shoal SDK in Chromium, playing a live stream from Debian nginx serving Debian ffmpeg's
 * output through a Shoal edge: the playlists hls.js parses carry the edge's digests, so (with integrity
 * required, the default) the second tab gets verified segments from the first, and both play.
 */

let origin: StaticLiveOrigin;
let edge: EdgeServer;
let pageServer: ChildProcess;
let pageUrl: string;
let browser: Browser;

beforeAll(async () => {
  origin = await startStaticLiveOrigin({ segmentSeconds: 2, videoKbps: 400 });
  edge = await startEdgeServer(await createEdge({ originUrl: origin.url }, { logger: pino({ level: 'silent' }) }), 0, '127.0.0.1');
  pageServer = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('../demo/serve.mjs', import.meta.url)),
      ...['--port', '0', '--host', '127.0.0.1', '--edge-port', new URL(edge.url).port, '--stream', origin.playlistPath],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  pageUrl = await new Promise<string>((resolve, reject) => {
    pageServer.stdout!.once('data', (chunk: Buffer) => {
      const url = /"url":"([^"]+)"/.exec(chunk.toString())?.[1];
      if (url) resolve(url.replace('localhost', '127.0.0.1'));
      else reject(new Error(`demo page server said ${chunk.toString()}`));
    });
  });
  browser = await launchChromium();
  await origin.ready(4);
});

afterAll(async () => {
  await browser?.close();
  pageServer?.kill('SIGTERM');
  await edge?.close();
  await origin?.stop();
});

async function state(page: Page): Promise<{ currentTime: number; httpBytes: number; p2pBytes: number; integrityFailures: number; log: string }> {
  return page.evaluate(() => {
    const stats = (window as unknown as { shoal: { getStats(): { httpBytes: number; p2pBytes: number; integrityFailures: number } } }).shoal.getStats();
    return {
      currentTime: document.querySelector('video')!.currentTime,
      httpBytes: stats.httpBytes,
      p2pBytes: stats.p2pBytes,
      integrityFailures: stats.integrityFailures,
      log: document.getElementById('log')!.textContent ?? '',
    };
  });
}

describe('Chromium through the edge in front of nginx', () => {
  it('plays, and shares segments verified against the digests the edge wrote', async () => {
    const tabs: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const page = await browser.newPage();
      await page.goto(pageUrl);
      tabs.push(page);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    await new Promise((resolve) => setTimeout(resolve, 18_000));
    const states = await Promise.all(tabs.map(state));
    const p2p = states.reduce((sum, s) => sum + s.p2pBytes, 0);
    const total = states.reduce((sum, s) => sum + s.p2pBytes + s.httpBytes, 0);
    console.log(`Chromium, 2 tabs through the edge in front of nginx: offload ${((100 * p2p) / total).toFixed(1)} %, played ${states.map((s) => s.currentTime.toFixed(1)).join(' s, ')} s`);
    for (const tab of states) {
      expect(tab.log).not.toContain('fatal');
      expect(tab.integrityFailures).toBe(0);
      expect(tab.currentTime).toBeGreaterThan(8);
    }
    // Peer bytes flow only for segments with a digest: these came from the edge.
    expect(states[1]!.p2pBytes).toBeGreaterThan(0);
    await Promise.all(tabs.map((tab) => tab.close()));
  });
});
