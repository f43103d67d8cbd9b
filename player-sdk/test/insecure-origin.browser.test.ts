import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test-support/chromium.js';
import { createTestNamespace, type TestNamespace } from '../../test-support/netns.js';

/**
 * The demo page served over plain http:// from a LAN address, as intranet portals, set-top-box apps and
 * development servers are: origin, edge, page server and Chromium all run in a network namespace this test
 * creates, on a private address. The browser gives such a page no `crypto.subtle`. It must play as plain
 * hls.js would, with no fatal error and no page error, say why P2P is off, and report its bytes.
 */

const ADDRESS = '10.211.77.1';
// Ports inside the test's own namespace: nothing else listens there.
const ORIGIN_PORT = 18080;
const EDGE_PORT = 18000;
const PAGE_PORT = 18088;
const at = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
let ns: TestNamespace;
const servers: ChildProcess[] = [];
let browser: Browser;

function started(child: ChildProcess, what: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${what} within 30 s: ${seen.slice(-400)}`)), 30_000);
    const watch = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (what.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', watch);
    child.stderr?.on('data', watch);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${seen.slice(-400)}`)));
  });
}

beforeAll(async () => {
  ns = createTestNamespace(`sh11ins${process.pid % 10000}`, ADDRESS);
  const origin = ns.spawn(process.execPath, [at('../../origin/dist/cli.js'), '--demo', '--host', ADDRESS, '--port', String(ORIGIN_PORT), '--log-level', 'info']);
  const edge = ns.spawn(process.execPath, [at('../../edge/dist/cli.js'), '--host', ADDRESS, '--port', String(EDGE_PORT), '--origin', `http://${ADDRESS}:${ORIGIN_PORT}`]);
  const page = ns.spawn(process.execPath, [at('../demo/serve.mjs'), '--host', ADDRESS, '--port', String(PAGE_PORT), '--origin-port', String(ORIGIN_PORT), '--edge-port', String(EDGE_PORT)]);
  servers.push(origin, edge, page);
  await Promise.all([started(origin, /listening/), started(edge, /listening/), started(page, /listening/)]);
  browser = await chromium.launch({ executablePath: ns.wrapper(CHROMIUM_PATH), args: CHROMIUM_ARGS, headless: true });
  // Let the live stream build up a few segments.
  await new Promise((resolve) => setTimeout(resolve, 8_000));
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) server.kill('SIGTERM');
  ns?.remove();
});

describe('the demo page on an insecure origin (http:// from a LAN address)', () => {
  it('plays over HTTP with no fatal or page error, says why P2P is off, and reports', async () => {
    const pageErrors: string[] = [];
    const tabs = await Promise.all([browser.newPage(), browser.newPage()]);
    for (const tab of tabs) {
      tab.on('pageerror', (error) => pageErrors.push(error.message));
      await tab.goto(`http://${ADDRESS}:${PAGE_PORT}/`);
    }
    for (const tab of tabs) await tab.waitForFunction(() => document.querySelector('video')!.currentTime > 8, undefined, { timeout: 60_000 });
    const states = await Promise.all(
      tabs.map((tab) =>
        tab.evaluate(() => {
          const stats = (window as unknown as { shoal: { getStats(): { httpBytes: number; p2pBytes: number; faults: number; stalls: number } } }).shoal.getStats();
          return { secure: window.isSecureContext, subtle: typeof crypto.subtle, log: document.getElementById('log')!.textContent ?? '', ...stats };
        }),
      ),
    );
    console.log(`insecure origin: ${JSON.stringify(states.map(({ log: _log, ...rest }) => rest))}`);
    expect(pageErrors).toEqual([]);
    for (const state of states) {
      expect(state.secure).toBe(false);
      expect(state.subtle).toBe('undefined');
      expect(state.log).not.toContain('fatal');
      expect(state.log).toContain('no Web Crypto (insecure context)');
      expect(state.faults).toBe(0);
      expect(state.stalls).toBe(0);
      expect(state.p2pBytes).toBe(0);
      expect(state.httpBytes).toBeGreaterThan(0);
    }
    // Closing the tabs sends their last reports; the edge counted the HTTP bytes of the insecure pages.
    await Promise.all(tabs.map((tab) => tab.close({ runBeforeUnload: true })));
    const httpReported = async (): Promise<number> => {
      const metrics = ns.run(process.execPath, ['-e', `fetch('http://${ADDRESS}:${EDGE_PORT}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`]);
      return Number(/shoal_player_bytes_total\{source="http",stream="live\/demo"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    };
    await expect.poll(httpReported, { timeout: 15_000, interval: 1_000 }).toBeGreaterThan(0);
  });
});
