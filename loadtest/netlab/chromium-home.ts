import { connect, createServer, type Server } from 'node:net';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test-support/chromium.js';
import type { EngineStats } from '@shoal/player-sdk';
import type { ViewerReport } from '../swarm/simulated-viewer.js';
import type { SegmentLoad } from '../swarm/worker.js';
import type { HomeViewerResult } from './home-viewer.js';
import { bytesBySwarm } from './rendition-figures.js';

/** What the lab asks of the browser in one home. */
export interface ChromiumHomeTask {
  readonly id: string;
  /** The demo page, served on the lab internet; `?tracker=` etc. as the page takes them. */
  readonly pageUrl: string;
  readonly joinAtMs: number;
  readonly durationMs: number;
  /** Wall-clock time (epoch ms) at which every viewer of the run reports (see HomeViewerTask). */
  readonly reportAt: number;
  /** Other origins the page talks to on the same host (the edge), forwarded from localhost like the page's. */
  readonly forwardOrigins?: readonly string[];
}

/**
 * Wraps the page's RTCPeerConnection to count the connections created and those not closed yet. A string,
 * because functions compiled for Node may reference helpers the page does not have.
 */
const COUNT_PEER_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  const pcs = { created: 0, open: 0 };
  window.__shoalPcs = pcs;
  window.RTCPeerConnection = class extends Native {
    constructor(config) {
      super(config);
      pcs.created++;
      pcs.open++;
      let counted = true;
      const uncount = () => { if (counted) pcs.open--; counted = false; };
      const close = this.close.bind(this);
      this.close = () => { uncount(); close(); };
      this.addEventListener('connectionstatechange', () => { if (this.connectionState === 'closed') uncount(); });
    }
  };
})();`;

interface PageState {
  readonly stats: EngineStats;
  readonly loads: { swarm: string; sequence: number; httpBytes: number; p2pBytes: number }[];
  readonly levelSwitches: number;
  /** The swarm id of each hls.js level, derived from its playlist URL as the SDK derives it, with its bitrate. */
  readonly levels: { swarm: string; kbps: number }[];
  readonly pcs: { created: number; open: number };
  readonly currentTime: number;
  readonly log: string;
}

/**
 * One headless Chromium in one home of the lab, run inside the home's namespace (the whole playwright driver
 * runs there, so the browser it starts does too). It opens the demo page as a viewer would — the embedding
 * player-sdk/README.md shows, SDK defaults — and reports what the page's Shoal engine measured, plus the RTCPeerConnections
 * the page created and left open (counted by wrapping the page's constructor).
 */
async function main(task: ChromiumHomeTask): Promise<HomeViewerResult & { currentTime: number; log: string }> {
  await new Promise((resolve) => setTimeout(resolve, task.joinAtMs));
  // The lab serves plain http on private addresses, which is not a secure context, and Web Crypto
  // (crypto.subtle), which the SDK needs for swarm ids and digests, exists only in secure contexts (a real
  // deployment serves https). http://localhost is one: the page and the edge are reached through forwarders on
  // this home's loopback, so HTTP and the tracker still cross the home's NAT; WebRTC is not affected.
  const forwarders = [new URL(task.pageUrl), ...(task.forwardOrigins ?? []).map((o) => new URL(o))].map((url) => forward(Number(url.port), url.hostname));
  await Promise.all(forwarders.map((f) => f.listening));
  const local = new URL(task.pageUrl);
  local.hostname = 'localhost';
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage();
    await page.addInitScript({ content: COUNT_PEER_CONNECTIONS });
    const problems: string[] = [];
    page.on('requestfailed', (request) => problems.length < 20 && problems.push(`${request.url()}: ${request.failure()?.errorText ?? ''}`));
    page.on('pageerror', (error) => problems.length < 20 && problems.push(error.message));
    const startedAt = Date.now();
    await page.goto(local.href);
    await page.waitForFunction(() => (window as unknown as { shoal?: unknown }).shoal !== undefined, undefined, { timeout: 30_000 });
    await page.evaluate(() => {
      const w = window as unknown as {
        shoal: { engine: { on(event: string, listener: (info: unknown) => void): void } };
        hls: { on(event: string, listener: () => void): void };
        __shoalLoads: unknown[];
        __shoalSwitches: number;
      };
      w.__shoalLoads = [];
      w.__shoalSwitches = 0;
      w.shoal.engine.on('segment-loaded', (info) => w.__shoalLoads.push(info));
      // hls.js' LEVEL_SWITCHED ('hlsLevelSwitched'); the first is the start level, not a switch.
      w.hls.on('hlsLevelSwitched', () => w.__shoalSwitches++);
    });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, task.reportAt - Date.now())));
    const state = await page.evaluate(async (): Promise<PageState> => {
      const w = window as unknown as {
        shoal: { getStats(): EngineStats };
        __shoalLoads: { swarm: string; sequence: number; httpBytes: number; p2pBytes: number }[];
        __shoalPcs: { created: number; open: number };
        __shoalSwitches: number;
        hls: { levels: { url: string[] | string; bitrate: number }[] };
        Shoal: { infoHashOf(key: string): Promise<{ hex: string }>; swarmKeyOf(url: string, swarmId: undefined): string };
      };
      const levels = await Promise.all(
        w.hls.levels.map(async (level) => {
          const url = Array.isArray(level.url) ? level.url[0]! : level.url;
          return { swarm: (await w.Shoal.infoHashOf(w.Shoal.swarmKeyOf(url, undefined))).hex, kbps: Math.round(level.bitrate / 1000) };
        }),
      );
      return {
        levels,
        stats: w.shoal.getStats(),
        loads: w.__shoalLoads,
        levelSwitches: Math.max(0, w.__shoalSwitches - 1),
        pcs: { ...w.__shoalPcs },
        currentTime: document.querySelector('video')!.currentTime,
        log: document.getElementById('log')?.textContent ?? '',
      };
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const report: ViewerReport = {
      id: task.id,
      joinedAt: startedAt,
      startupMs: state.stats.startupMs,
      segmentsPlayed: state.loads.length,
      stalls: state.stats.stalls,
      stallMs: state.stats.stallMs,
      missedDeadlines: 0,
      corruptSegments: 0,
      httpBytes: state.stats.httpBytes,
      p2pBytes: state.stats.p2pBytes,
      uploadBytes: state.stats.uploadBytes,
      p2pDiscardedBytes: state.stats.p2pDiscardedBytes,
      uploadCapacityBytes: (state.stats.uploadBudget * (Date.now() - startedAt)) / 1000,
      uplinkRate: state.stats.uplinkRate,
      uplinkClass: undefined,
      integrityFailures: state.stats.integrityFailures,
      peers: state.stats.peers,
      p2pLatencies: [],
    };
    const loads: SegmentLoad[] = state.loads.map((l) => ({ viewer: task.id, sequence: l.sequence, httpBytes: l.httpBytes, p2pBytes: l.p2pBytes }));
    return {
      report,
      loads,
      pcs: state.pcs,
      stats: state.stats,
      renditions: bytesBySwarm(state.loads, state.levels),
      levelSwitches: state.levelSwitches,
      currentTime: state.currentTime,
      log: [state.log, ...problems].join('\n'),
    };
  } finally {
    await browser.close();
    for (const f of forwarders) f.server.close();
  }
}

/** Forwards 127.0.0.1:port to host:port. */
function forward(port: number, host: string): { server: Server; listening: Promise<void> } {
  const server = createServer((client) => {
    const upstream = connect(port, host);
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { server, listening };
}

main(JSON.parse(process.argv[2] ?? '{}') as ChromiumHomeTask).then(
  (result) => {
    process.stdout.write(JSON.stringify(result));
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
