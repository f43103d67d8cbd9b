import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createEdge, startEdgeServer, type EdgeServer } from '@shoal/edge';
import { createOrigin, resolveFfmpegPath, startDemoEncoder, startOriginServer } from '@shoal/origin';
import { startStaticLiveOrigin } from '../../test-support/static-live-origin.js';
import { measureAttack, measureOffload, requestsPerSegment, type AttackFigures, type OffloadFigures, type SwarmTarget } from '../swarm/origin-scenarios.js';
import { machineFacts } from './machine.js';

/**
 * `npm run bench:any-origin`: the same live swarm runs through a Shoal edge in front of Shoal's origin
 * (which writes the digests) and in front of Debian nginx serving Debian ffmpeg's HLS folder (where the
 * edge writes them), side by side: offload against its limit, origin requests per segment, and a viewer
 * serving corrupted segments.
 *
 *   npm run bench:any-origin -- [--viewers 5]
 */

const VIEWERS = Number(process.argv[process.argv.indexOf('--viewers') + 1] ?? 5) || 5;
const silent = pino({ level: 'silent' });

interface Column {
  readonly offload: OffloadFigures;
  readonly attack: AttackFigures;
  /** Origin requests per segment the viewers loaded: max and mean. */
  readonly originRequestsMax: number;
  readonly originRequestsMean: number;
}

/** Both runs; `originRequests` reads the origin's per-segment request counts after the offload run. */
async function scenarios(target: SwarmTarget, originRequests: (offload: OffloadFigures) => Promise<{ max: number; mean: number }>): Promise<Column> {
  const offload = await measureOffload(target, { viewers: VIEWERS, joinGapMs: 1_500, watchMs: 18_000 });
  const requests = await originRequests(offload);
  const attack = await measureAttack(target, { honest: VIEWERS - 1, joinGapMs: 1_000, watchMs: 16_000 });
  return { offload, attack, originRequestsMax: requests.max, originRequestsMean: requests.mean };
}

async function edgeFor(originUrl: string): Promise<EdgeServer> {
  return startEdgeServer(await createEdge({ originUrl }, { logger: silent }), 0, '127.0.0.1');
}

async function shoalOrigin(): Promise<Column> {
  const store = await mkdtemp(join(tmpdir(), 'shoal-any-origin-'));
  const token = 'any-origin-bench';
  const origin = await startOriginServer(await createOrigin({ storeDir: store, ingestToken: token }, { logger: silent }), 0, '127.0.0.1');
  const encoder = startDemoEncoder({ ffmpegPath: resolveFfmpegPath(), originUrl: origin.url, ingestToken: token, ladder: [{ width: 426, height: 240, videoKbps: 400 }] });
  const edge = await edgeFor(origin.url);
  try {
    const playlistUrl = `${edge.url}/live/demo/0/index.m3u8`;
    for (let i = 0; ; i++) {
      const res = await fetch(playlistUrl).catch(() => undefined);
      if (res?.ok && ((await res.text()).match(/#EXTINF/g) ?? []).length >= 4) break;
      if (i > 150) throw new Error('the live stream did not start');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return await scenarios({ playlistUrl, trackerUrl: edge.trackerUrl }, async (offload) => {
      // Shoal's origin counts what it served (no per-segment log); the edge asks it only for what players ask the edge for.
      const metrics = await (await fetch(`${origin.url}/metrics`)).text();
      const served = metrics
        .split('\n')
        .filter((line) => line.startsWith('shoal_origin_requests_total{kind="segment"'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      return { max: NaN, mean: served / Math.max(1, offload.segmentsLoaded) };
    });
  } finally {
    await encoder.stop();
    await edge.close();
    await origin.close();
    await rm(store, { recursive: true, force: true });
  }
}

async function nginxOrigin(): Promise<Column> {
  const origin = await startStaticLiveOrigin({ segmentSeconds: 2, videoKbps: 400 });
  const edge = await edgeFor(origin.url);
  try {
    await origin.ready(4);
    return await scenarios({ playlistUrl: `${edge.url}${origin.playlistPath}`, trackerUrl: edge.trackerUrl }, async () => {
      const counts = [...requestsPerSegment(await origin.requests(), (uri) => /\/seg_\d+\.ts$/.test(uri)).values()];
      return { max: Math.max(...counts), mean: counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length) };
    });
  } finally {
    await edge.close();
    await origin.stop();
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const num = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '–');

const shoal = await shoalOrigin();
const nginx = await nginxOrigin();
const rows: [string, (c: Column) => string][] = [
  ['offload ratio (segments after all joined)', (c) => pct(c.offload.offloadRatio)],
  ['offload limit', (c) => pct(c.offload.offloadLimit)],
  ['offload / limit', (c) => pct(c.offload.shareOfLimit)],
  ['HTTP copies per segment, median / p95', (c) => `${num(c.offload.httpCopiesMedian)} / ${num(c.offload.httpCopiesP95)}`],
  ['stalls / missed deadlines', (c) => `${c.offload.stalls} / ${c.offload.missedDeadlines}`],
  ['origin requests per segment, max / mean (offload run)', (c) => `${num(c.originRequestsMax)} / ${num(c.originRequestsMean)}`],
  ['attack: corrupted segments rejected / played', (c) => `${c.attack.rejected} / ${c.attack.corruptPlayed}`],
  ['attack: viewers it reached / that banned it / wrong bans', (c) => `${c.attack.receivedCorrupt} / ${c.attack.bannedAttacker} / ${c.attack.wrongBans}`],
  ['attack: honest viewers offload', (c) => pct(c.attack.honestOffloadRatio)],
];
const width = Math.max(...rows.map((r) => r[0].length));
console.log(`Any origin: ${VIEWERS} viewers through one edge, 2 s segments, 400 kbit/s (${machineFacts()})`);
console.log(`  ${''.padEnd(width)}  ${"Shoal's origin".padStart(16)}  ${'nginx + ffmpeg'.padStart(16)}`);
for (const [name, cell] of rows) console.log(`  ${name.padEnd(width)}  ${cell(shoal).padStart(16)}  ${cell(nginx).padStart(16)}`);
console.log("  Origin requests: Shoal's origin from its metrics, over the segments viewers loaded (it keeps no per-segment log); nginx from its access log, every segment it served (the edge hashes all the playlist names).");
// node-datachannel keeps native threads alive after every peer connection closed: end the run here.
process.exit(0);
