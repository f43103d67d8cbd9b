import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeServer } from '@shoal/edge';
import type { OriginServer } from '@shoal/origin';
import { launchChromium } from '../../test-support/chromium.js';
import { startStack, type TestStack } from '../../test-support/stack.js';

/**
 * The demo page in headless Chromium: origin with the demo live stream, an edge tracker, and the page
 * served as `npm start`'s demo serves it. Tabs opened one after another share segments over WebRTC;
 * a tab without WebRTC plays over HTTP alone.
 */

let stack: TestStack;
let origin: OriginServer;
let edge: EdgeServer;
let pageServer: ChildProcess;
let pageUrl: string;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ name: 'demo-page' });
  ({ origin, edge } = stack);
  pageServer = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('../demo/serve.mjs', import.meta.url)),
      '--port', '0', '--host', '127.0.0.1',
      '--origin-port', new URL(origin.url).port,
      '--edge-port', new URL(edge.url).port,
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
  // Let the live stream build up a few segments before the first viewer arrives.
  await new Promise((resolve) => setTimeout(resolve, 8_000));
});

afterAll(async () => {
  await browser?.close();
  pageServer?.kill('SIGTERM');
  await stack?.close();
});

interface TabState {
  currentTime: number;
  httpBytes: number;
  p2pBytes: number;
  offloadRatio: number;
  peers: number;
  log: string;
  offloadShown: string;
  level: number;
}

async function state(page: Page): Promise<TabState> {
  return page.evaluate(() => {
    const w = window as unknown as { shoal: { getStats(): { httpBytes: number; p2pBytes: number; offloadRatio: number; peers: number } } };
    const stats = w.shoal.getStats();
    return {
      currentTime: document.querySelector('video')!.currentTime,
      httpBytes: stats.httpBytes,
      p2pBytes: stats.p2pBytes,
      offloadRatio: stats.offloadRatio,
      peers: stats.peers,
      log: document.getElementById('log')!.textContent ?? '',
      offloadShown: document.getElementById('offload')!.textContent ?? '',
      level: (window as unknown as { hls: { currentLevel: number } }).hls.currentLevel,
    };
  });
}

describe('the demo page', () => {
  it('shares verified segments between tabs and shows the P2P share', async () => {
    const tabs: Page[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage();
      await page.goto(pageUrl);
      tabs.push(page);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    await new Promise((resolve) => setTimeout(resolve, 24_000));
    const states = await Promise.all(tabs.map(state));
    // Each tab's bytes and log (peers connected and left, with reasons): what a failure is read from.
    for (const [i, tab] of states.entries()) console.log(`tab ${i + 1}: http ${tab.httpBytes} B, p2p ${tab.p2pBytes} B, peers ${tab.peers}\n${tab.log}`);
    for (const tab of states) {
      expect(tab.level).toBe(0);
      expect(tab.log).not.toContain('fatal');
      expect(tab.log).not.toContain('failed verification');
      expect(tab.currentTime).toBeGreaterThan(10);
      expect(tab.peers).toBeGreaterThanOrEqual(1);
    }
    const later = states.slice(1);
    for (const tab of later) expect(tab.p2pBytes).toBeGreaterThan(0);
    const p2p = states.reduce((sum, s) => sum + s.p2pBytes, 0);
    const total = states.reduce((sum, s) => sum + s.p2pBytes + s.httpBytes, 0);
    console.log(`demo page, 3 tabs: offload ${(100 * p2p / total).toFixed(1)} % (per tab: ${states.map((s) => (s.offloadRatio * 100).toFixed(0) + ' %').join(', ')})`);
    expect(p2p / total).toBeGreaterThan(0.3);
    expect(later.some((tab) => tab.offloadShown !== '0 %')).toBe(true);
    // The pages fetched through the edge cache and reported their bytes to the edge.
    const metrics = await (await fetch(`${edge.url}/metrics`)).text();
    expect(metrics).toMatch(/shoal_edge_cache_requests_total\{result="(hit|coalesced)"\} [1-9]/);
    expect(metrics).toMatch(/shoal_player_bytes_total\{source="p2p",stream="live\/demo"\} [1-9]/);
    await Promise.all(tabs.map((tab) => tab.close()));
  });

  it('plays over HTTP alone where WebRTC is unavailable', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      delete (window as unknown as { RTCPeerConnection?: unknown }).RTCPeerConnection;
    });
    await page.goto(pageUrl);
    await page.waitForFunction(() => document.querySelector('video')!.currentTime > 6, undefined, { timeout: 40_000 });
    const tab = await state(page);
    expect(tab.log).not.toContain('fatal');
    expect(tab.log).toContain('WebRTC is not available');
    expect(tab.p2pBytes).toBe(0);
    expect(tab.httpBytes).toBeGreaterThan(0);
    await page.close();
  });
});
