import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import pino from 'pino';
import { createEdge, startEdgeServer } from '@shoal/edge';
import { createOrigin, resolveFfmpegPath, startDemoEncoder, startOriginServer } from '@shoal/origin';
import { machineFacts } from '../bench/machine.js';
import { analyse, type SwarmFigures } from './analysis.js';
import { assignUplinks, parseUplinkMix, type UplinkClass } from './uplink-mix.js';
import type { WorkerResult, WorkerTask } from './worker.js';

/**
 * The swarm simulator: N viewers running the real SDK core over node-datachannel, in a few worker
 * processes, against a real origin live stream (demo encoder, one rendition) behind a real edge; then the
 * same viewers over HTTP alone as the baseline. Prints a table and writes JSON.
 *
 *   npm run swarm -- --viewers 30 --duration 60
 */

export interface SimulatorOptions {
  readonly viewers: number;
  readonly durationSeconds: number;
  readonly rampSeconds: number;
  readonly workers: number;
  readonly churn: number;
  readonly uploadCap: number;
  /** Uplink classes viewers are dealt into (each class's rate is that viewer's upload cap); empty: uploadCap for all. */
  readonly uplinkMix: readonly UplinkClass[];
  readonly segmentSeconds: number;
  readonly liveSyncSegments: number;
  readonly maxPeers: number;
  readonly videoKbps: number;
  readonly baseline: boolean;
  readonly out: string | undefined;
}

export const DEFAULT_SIMULATOR_OPTIONS: SimulatorOptions = {
  viewers: 30,
  durationSeconds: 60,
  rampSeconds: 15,
  workers: 2,
  churn: 0,
  uploadCap: 0,
  uplinkMix: [],
  segmentSeconds: 2,
  liveSyncSegments: 3,
  maxPeers: 20,
  videoKbps: 800,
  baseline: true,
  out: undefined,
};

export interface PhaseResult {
  readonly figures: SwarmFigures;
  readonly cpuSecondsPerViewer: number;
  readonly peakRssMiBPerViewer: number;
  /** CPU the worker processes used, as a share of all cores over the phase. */
  readonly workerCpuShare: number;
  readonly wallSeconds: number;
}

export interface SimulatorResult {
  readonly options: SimulatorOptions;
  readonly machine: string;
  readonly p2p: PhaseResult;
  readonly httpOnly: PhaseResult | undefined;
}

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

async function phase(options: SimulatorOptions, playlistUrl: string, trackerUrl: string | undefined, statsUrl: string | undefined): Promise<PhaseResult> {
  const started = Date.now();
  const tasks: WorkerTask[] = Array.from({ length: options.workers }, () => ({
    playlistUrl,
    trackerUrl,
    statsUrl,
    viewers: [],
    durationMs: options.durationSeconds * 1000,
    churn: options.churn,
    uploadCap: options.uploadCap,
    liveSyncSegments: options.liveSyncSegments,
    maxPeers: options.maxPeers,
  }));
  const uplinks = options.uplinkMix.length > 0 ? assignUplinks(options.uplinkMix, options.viewers) : [];
  for (let i = 0; i < options.viewers; i++) {
    const joinAtMs = Math.round((i / Math.max(1, options.viewers)) * options.rampSeconds * 1000);
    const uplink = uplinks[i];
    (tasks[i % options.workers]!.viewers as WorkerTask['viewers'][number][]).push({
      id: `viewer-${i}`,
      joinAtMs,
      ...(uplink ? { uplink: { name: uplink.name, bytesPerSecond: uplink.bytesPerSecond } } : {}),
    });
  }
  const results = await Promise.all(
    tasks.map(async (task) => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(task)], {
        maxBuffer: 256 * 1024 * 1024,
        timeout: (options.durationSeconds + 60) * 1000,
      });
      return JSON.parse(stdout) as WorkerResult;
    }),
  );
  const wallSeconds = (Date.now() - started) / 1000;
  const cpuSeconds = results.reduce((sum, r) => sum + r.cpuSeconds, 0);
  return {
    figures: analyse(
      results.flatMap((r) => r.reports),
      results.flatMap((r) => r.loads),
      options.viewers,
    ),
    cpuSecondsPerViewer: cpuSeconds / options.viewers,
    peakRssMiBPerViewer: results.reduce((sum, r) => sum + r.peakRssBytes, 0) / 2 ** 20 / options.viewers,
    workerCpuShare: cpuSeconds / wallSeconds / cpus().length,
    wallSeconds,
  };
}

export async function simulate(options: SimulatorOptions): Promise<SimulatorResult> {
  const store = await mkdtemp(join(tmpdir(), 'shoal-swarm-'));
  const silent = pino({ level: 'silent' });
  const token = 'swarm-simulator-token';
  const origin = await startOriginServer(await createOrigin({ storeDir: store, ingestToken: token, dvrSeconds: 60 }, { logger: silent }), 0, '127.0.0.1');
  const encoder = startDemoEncoder({
    ffmpegPath: resolveFfmpegPath(),
    originUrl: origin.url,
    ingestToken: token,
    segmentSeconds: options.segmentSeconds,
    ladder: [{ width: 640, height: 360, videoKbps: options.videoKbps }],
  });
  const edge = await startEdgeServer(
    await createEdge({ originUrl: origin.url, statsReportsPerSecond: 1000, statsReportsBurst: 2000 }, { logger: silent }),
    0,
    '127.0.0.1',
  );
  try {
    const playlistUrl = `${edge.url}/live/demo/0/index.m3u8`;
    for (let i = 0; ; i++) {
      const res = await fetch(playlistUrl).catch(() => undefined);
      if (res?.ok && ((await res.text()).match(/#EXTINF/g) ?? []).length >= options.liveSyncSegments + 1) break;
      if (i > 200) throw new Error('the live stream did not start');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const p2p = await phase(options, playlistUrl, edge.trackerUrl, `${edge.url}/stats`);
    const httpOnly = options.baseline ? await phase(options, playlistUrl, undefined, undefined) : undefined;
    return { options, machine: machineFacts(), p2p, httpOnly };
  } finally {
    await encoder.stop();
    await edge.close();
    await origin.close();
    await rm(store, { recursive: true, force: true });
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const num = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

export function formatSimulation(result: SimulatorResult): string {
  const { p2p, httpOnly, options } = result;
  const f = p2p.figures;
  const b = httpOnly?.figures;
  const rows: [string, string, string][] = [
    ['offload ratio', pct(f.offloadRatio), b ? pct(b.offloadRatio) : '–'],
    ['theoretical limit', pct(f.offloadLimit), '–'],
    ['offload / limit', pct(f.offloadLimit === 0 ? 0 : f.offloadRatio / f.offloadLimit), '–'],
    ['capacity-bounded limit (upload budgets)', pct(f.capacityLimit), '–'],
    ['offload / capacity-bounded limit', pct(f.capacityLimit === 0 ? 0 : f.offloadRatio / f.capacityLimit), '–'],
    ['upload sent / peer bytes kept', num(f.uploadSentPerKept), '–'],
    ['  of which discarded / never received', `${num(f.uploadDiscardedPerKept)} / ${num(f.uploadUnreceivedPerKept)}`, '–'],
    ['HTTP copies per segment, median', num(f.httpCopiesMedian), b ? num(b.httpCopiesMedian) : '–'],
    ['HTTP copies per segment, p95', num(f.httpCopiesP95), b ? num(b.httpCopiesP95) : '–'],
    ['stalls per viewer', num(f.stallsPerViewer), b ? num(b.stallsPerViewer) : '–'],
    ['stall seconds per viewer', num(f.stallSecondsPerViewer), b ? num(b.stallSecondsPerViewer) : '–'],
    ['viewers with a stall', String(f.viewersWithStalls), b ? String(b.viewersWithStalls) : '–'],
    ['startup p50 / p95 (ms)', `${num(f.startupP50Ms, 0)} / ${num(f.startupP95Ms, 0)}`, b ? `${num(b.startupP50Ms, 0)} / ${num(b.startupP95Ms, 0)}` : '–'],
    ['P2P fetch latency p50 / p95 (ms)', `${num(f.p2pLatencyP50Ms, 0)} / ${num(f.p2pLatencyP95Ms, 0)}`, '–'],
    ['integrity failures / corrupt segments played', `${f.integrityFailures} / ${f.corruptSegments}`, b ? `${b.integrityFailures} / ${b.corruptSegments}` : '–'],
    ...f.classes.map((c): [string, string, string] => {
      const base = b?.classes.find((x) => x.name === c.name);
      return [
        `  ${c.name} (${c.viewers}): offload, stalls/viewer, MB up/viewer`,
        `${pct(c.offloadRatio)} ${num(c.stallsPerViewer)} ${num(c.uploadBytesPerViewer / 1e6, 1)}`,
        base ? `${num(base.stallsPerViewer)} stalls` : '–',
      ];
    }),
    ['CPU seconds per viewer', num(p2p.cpuSecondsPerViewer), httpOnly ? num(httpOnly.cpuSecondsPerViewer) : '–'],
    ['peak RSS per viewer (MiB)', num(p2p.peakRssMiBPerViewer, 1), httpOnly ? num(httpOnly.peakRssMiBPerViewer, 1) : '–'],
    ['viewer processes CPU (share of all cores)', pct(p2p.workerCpuShare), httpOnly ? pct(httpOnly.workerCpuShare) : '–'],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  const lines = [
    `Swarm simulator: ${options.viewers} viewers, one rendition, ${options.segmentSeconds} s segments, ${options.liveSyncSegments} segments behind live, ` +
      `${options.durationSeconds} s, ramp ${options.rampSeconds} s, churn ${options.churn}, upload cap ${options.uploadCap || 'none'}` +
      `${options.uplinkMix.length > 0 ? `, uplinks ${options.uplinkMix.map((c) => `${c.name} ${c.share} × ${Math.round((c.bytesPerSecond * 8) / 1000)} kbit/s`).join(', ')}` : ''} (${result.machine})`,
    `  ${''.padEnd(width)}  ${'Shoal P2P'.padStart(14)}  ${'HTTP only'.padStart(14)}`,
    ...rows.map(([name, a, c]) => `  ${name.padEnd(width)}  ${a.padStart(14)}  ${c.padStart(14)}`),
  ];
  if (p2p.workerCpuShare > 0.8) lines.push('  note: the viewer processes used over 80 % of the machine: the simulator, not the swarm, is the limit at this size.');
  return lines.join('\n');
}

function parseOptions(argv: string[]): SimulatorOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      viewers: { type: 'string' },
      duration: { type: 'string' },
      ramp: { type: 'string' },
      workers: { type: 'string' },
      churn: { type: 'string' },
      'upload-cap': { type: 'string' },
      'uplink-mix': { type: 'string' },
      segment: { type: 'string' },
      'live-sync': { type: 'string' },
      'max-peers': { type: 'string' },
      'video-kbps': { type: 'string' },
      'no-baseline': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`Usage: npm run swarm -- [--viewers 30] [--duration 60] [--ramp 15] [--workers 2] [--churn 0..1]
  [--upload-cap bytes/s] [--uplink-mix fiber:0.2:50mbit,cable:0.5:5mbit,dsl:0.3:1mbit] [--segment 2] [--live-sync 3] [--max-peers 20] [--video-kbps 800] [--no-baseline] [--out file.json]
`);
    process.exit(0);
  }
  const number = (text: string | undefined, fallback: number, name: string): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} takes a non-negative number`);
    return value;
  };
  const d = DEFAULT_SIMULATOR_OPTIONS;
  return {
    viewers: number(values.viewers, d.viewers, 'viewers'),
    durationSeconds: number(values.duration, d.durationSeconds, 'duration'),
    rampSeconds: number(values.ramp, d.rampSeconds, 'ramp'),
    workers: Math.max(1, number(values.workers, d.workers, 'workers')),
    churn: Math.min(1, number(values.churn, d.churn, 'churn')),
    uploadCap: number(values['upload-cap'], d.uploadCap, 'upload-cap'),
    uplinkMix: values['uplink-mix'] === undefined ? d.uplinkMix : parseUplinkMix(values['uplink-mix']),
    segmentSeconds: Math.max(1, number(values.segment, d.segmentSeconds, 'segment')),
    liveSyncSegments: Math.max(1, number(values['live-sync'], d.liveSyncSegments, 'live-sync')),
    maxPeers: Math.max(1, number(values['max-peers'], d.maxPeers, 'max-peers')),
    videoKbps: Math.max(50, number(values['video-kbps'], d.videoKbps, 'video-kbps')),
    baseline: !values['no-baseline'],
    out: values.out,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const options = parseOptions(process.argv.slice(2));
  const result = await simulate(options);
  console.log(formatSimulation(result));
  const out = options.out ?? fileURLToPath(new URL('../results/swarm-latest.json', import.meta.url));
  await mkdir(join(out, '..'), { recursive: true });
  await writeFile(out, JSON.stringify(result, null, 2));
  console.log(`  written to ${out}`);
}
