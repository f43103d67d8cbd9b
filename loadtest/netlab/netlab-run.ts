import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machineFacts } from '../bench/machine.js';
import type { ChromiumHomeTask } from './chromium-home.js';
import type { HomeViewerResult, HomeViewerTask } from './home-viewer.js';
import type { ServicesReady } from './internet-services.js';
import { INTERNET_ADDRESS, NetLab, sweepStaleLabs, type HomeSpec } from './lab.js';
import { fetchFromHome, labEdgeOptions, startCoturn, startDemoPage, startServices } from './lab-services.js';
import type { NetlabOptions } from './netlab-options.js';
import { summarize, type NetlabResult, type PhaseFigures } from './netlab-report.js';

/**
 * The network lab run: N homes behind NAT routers on a lab internet holding the origin, the edge and coturn;
 * one SDK viewer (Node, node-datachannel) per home with SDK defaults, then the same homes over HTTP alone as
 * the baseline.
 */

const HOME_VIEWER = fileURLToPath(new URL('./home-viewer.ts', import.meta.url));
const CHROMIUM_HOME = fileURLToPath(new URL('./chromium-home.ts', import.meta.url));

/** The i-th home's rate from a rate or a comma-separated list of them (given to the homes in turn). */
export function rateOfHome(rates: string, i: number): string {
  const list = rates.split(',');
  return list[i % list.length]!;
}

export function homeSpecs(options: Pick<NetlabOptions, 'homes' | 'nat' | 'uplink' | 'downlink'>): HomeSpec[] {
  const symmetric = options.nat === 'sym' ? options.homes : options.nat === 'mixed' ? Math.floor(options.homes / 3) : 0;
  return Array.from({ length: options.homes }, (_, i) => ({
    nat: i >= options.homes - symmetric ? 'sym' : 'eim',
    uplink: rateOfHome(options.uplink, i),
    downlink: rateOfHome(options.downlink, i),
  }));
}

function collect(child: ChildProcess): Promise<{ stdout: string; stderr: string; code: number | null }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ stdout, stderr, code })));
}

async function runPhase(lab: NetLab, ready: ServicesReady, options: NetlabOptions, p2p: boolean, pageUrl: string | undefined): Promise<PhaseFigures> {
  const before = p2p ? await fetchFromHome(lab, `${ready.edgeUrl}/metrics`) : '';
  // Viewer processes take a few seconds to start; every viewer reports at the same moment.
  const reportAt = Date.now() + options.seconds * 1000 + 5_000;
  const results = await Promise.all(
    lab.homes.map(async (home, i) => {
      if (pageUrl !== undefined) {
        // The baseline page gets a tracker URL that refuses connections: it plays over HTTP alone.
        const query = new URLSearchParams();
        if (!p2p) query.set('tracker', `ws://${INTERNET_ADDRESS}:9/announce`);
        if (options.level !== undefined) query.set('level', String(options.level));
        const url = query.size > 0 ? `${pageUrl}?${query}` : pageUrl;
        const task: ChromiumHomeTask = {
          id: `home-${home.index}`,
          pageUrl: url,
          joinAtMs: i * options.joinSpacingSeconds * 1000,
          durationMs: options.seconds * 1000,
          reportAt,
          forwardOrigins: [new URL(ready.edgeUrl).origin],
        };
        const child = lab.spawnIn(home.namespace, process.execPath, ['--import', 'tsx', CHROMIUM_HOME, JSON.stringify(task)]);
        const { stdout, stderr, code } = await collect(child);
        if (code !== 0) throw new Error(`browser in home ${home.index} failed (${code}): ${stderr.slice(-1500)}`);
        return { nat: home.nat, result: JSON.parse(stdout) as HomeViewerResult };
      }
      const task: HomeViewerTask = {
        id: `home-${home.index}`,
        playlistUrl: ready.playlistUrl,
        trackerUrl: p2p ? ready.trackerUrl : undefined,
        statsUrl: p2p ? `${ready.edgeUrl}/stats` : undefined,
        joinAtMs: i * options.joinSpacingSeconds * 1000,
        durationMs: options.seconds * 1000,
        reportAt,
        liveSyncSegments: 3,
      };
      const child = lab.spawnIn(home.namespace, process.execPath, ['--import', 'tsx', HOME_VIEWER, JSON.stringify(task)]);
      const { stdout, stderr, code } = await collect(child);
      if (code !== 0) throw new Error(`viewer in home ${home.index} failed (${code}): ${stderr.slice(-1500)}`);
      return { nat: home.nat, result: JSON.parse(stdout) as HomeViewerResult };
    }),
  );
  // The stats reporter's last report has left; give the edge a moment to count it.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = p2p ? await fetchFromHome(lab, `${ready.edgeUrl}/metrics`) : '';
  return summarize(results, p2p ? { before, after } : undefined, options.segmentSeconds);
}

/** Builds the lab, runs the P2P phase and the HTTP-only baseline, and removes everything. */
export async function runNetlab(options: NetlabOptions): Promise<NetlabResult> {
  await sweepStaleLabs();
  const lab = await NetLab.create(homeSpecs(options));
  try {
    if (options.stun || options.turn) startCoturn(lab, process.env.SHOAL_NETLAB_TURN_LOG);
    const { ready } = await startServices(lab, labEdgeOptions(options), options);
    const pageUrl = options.viewer === 'chromium' ? await startDemoPage(lab, ready) : undefined;
    const p2p = await runPhase(lab, ready, options, true, pageUrl);
    const httpOnly = options.baseline ? await runPhase(lab, ready, options, false, pageUrl) : undefined;
    return { options, machine: machineFacts(), p2p, httpOnly };
  } finally {
    await lab.destroy();
  }
}
