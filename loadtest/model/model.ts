import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_ENGINE_OPTIONS } from '@shoal/player-sdk';
import { machineFacts } from '../bench/machine.js';
import { parseRate, parseUplinkMix } from '../swarm/uplink-mix.js';
import type { NatType } from './model-network.js';
import { DEFAULT_MODEL_OPTIONS, LOOPBACK_NETWORK, runModel, type ModelOptions, type ModelResult, type NatShare } from './model-run.js';
import { scalePlotSvg } from './scale-plot.js';

/**
 * The swarm model: the real SDK core (engine, swarm, scheduler, peer protocol, store, integrity) of every
 * viewer in one process, over a modelled network in virtual time, with the edge tracker's matching in memory.
 *
 *   npm run model -- --viewers 10000 --duration 120 --network internet
 *   npm run model -- --sweep 30,300,3000 --network internet --plot scale.svg
 */

/** Home viewers on today's Internet, roughly: most behind cone NATs, some symmetric, uplinks far below downlinks. */
export const INTERNET_NETWORK: Partial<ModelOptions> = {
  uplinkMix: parseUplinkMix('fiber:0.2:50mbit,cable:0.5:5mbit,dsl:0.3:1mbit'),
  downlinkBytesPerSecond: parseRate('50mbit'),
  natMix: [
    { nat: 'open', share: 0.1 },
    { nat: 'cone', share: 0.7 },
    { nat: 'symmetric', share: 0.2 },
  ],
  regions: 4,
  delayInRegionMs: 15,
  delayBetweenRegionsMs: 50,
  cdnLatencyMs: 40,
  cdnBytesPerSecond: parseRate('25mbit'),
  // node-datachannel's SCTP stack holds this much per channel below bufferedAmount: with it the model
  // matches the network lab (6 homes at 2 Mbit/s: offload, upload sent per byte kept, HTTP copies).
  sctpBufferBytes: 1024 * 1024,
};

/** `open:0.1,cone:0.7,symmetric:0.2`: shares must add up to 1. */
export function parseNatMix(text: string): NatShare[] {
  const shares = text.split(',').map((part) => {
    const [nat, share] = part.split(':');
    if (nat !== 'open' && nat !== 'cone' && nat !== 'symmetric') throw new Error(`NAT type "${nat}" is not open, cone or symmetric`);
    const value = Number(share);
    if (!(value > 0 && value <= 1)) throw new Error(`NAT share "${part}" must be in (0, 1]`);
    return { nat: nat as NatType, share: value };
  });
  const total = shares.reduce((sum, s) => sum + s.share, 0);
  if (Math.abs(total - 1) > 0.01) throw new Error(`NAT shares add up to ${total.toFixed(3)}, not 1`);
  return shares;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const num = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** One column per run: the figures the simulator prints, and what only the model can count. */
export function formatModel(results: readonly ModelResult[]): string {
  const rows: [string, (r: ModelResult) => string][] = [
    ['viewers', (r) => String(r.options.viewers)],
    ['offload ratio', (r) => pct(r.figures.offloadRatio)],
    ['theoretical limit', (r) => pct(r.figures.offloadLimit)],
    ['offload / limit', (r) => pct(r.figures.offloadLimit === 0 ? 0 : r.figures.offloadRatio / r.figures.offloadLimit)],
    ['offload / capacity-bounded limit', (r) => pct(r.figures.capacityLimit === 0 ? 0 : r.figures.offloadRatio / r.figures.capacityLimit)],
    ['upload sent / peer bytes kept', (r) => num(r.figures.uploadSentPerKept)],
    ['HTTP copies per segment, median', (r) => num(r.figures.httpCopiesMedian)],
    ['HTTP copies per segment, p95', (r) => num(r.figures.httpCopiesP95)],
    ['  without players\' first segments, median / p95', (r) => `${num(r.steadyHttpCopies.median)} / ${num(r.steadyHttpCopies.p95)}`],
    ['stalls per viewer', (r) => num(r.figures.stallsPerViewer)],
    ['stall seconds per viewer', (r) => num(r.figures.stallSecondsPerViewer)],
    ['startup p50 / p95 (ms)', (r) => `${num(r.figures.startupP50Ms, 0)} / ${num(r.figures.startupP95Ms, 0)}`],
    ['P2P fetch latency p50 / p95 (ms)', (r) => `${num(r.figures.p2pLatencyP50Ms, 0)} / ${num(r.figures.p2pLatencyP95Ms, 0)}`],
    ['  from peers alone: p50, its floor (ms)', (r) => `${num(r.peerOnlyFetch.p50Ms, 0)}, ${num(r.peerOnlyFetch.floorP50Ms, 0)}`],
    ['relay depth median / p95 / max', (r) => `${num(r.relayDepth.median, 0)} / ${num(r.relayDepth.p95, 0)} / ${r.relayDepth.max}`],
    ['peers per viewer at the end, median', (r) => num(r.peersAtEndMedian, 0)],
    ['connections opened / failed', (r) => `${r.connections.connected} / ${r.connections.failed}`],
    ['tracker messages per viewer-minute', (r) => num(r.trackerMessagesPerViewerMinute, 1)],
    ['  announces per viewer-minute, offers per announce', (r) => `${num(r.announcesPerViewerMinute, 1)}, ${num(r.offersRelayedPerAnnounce, 2)}`],
    ['tracker evictions (swarm limit)', (r) => String(r.trackerEvictions)],
    ['integrity failures / corrupt played', (r) => `${r.figures.integrityFailures} / ${r.figures.corruptSegments}`],
    ...[...new Set(results.flatMap((r) => r.figures.classes.map((c) => c.name)))].map((name): [string, (r: ModelResult) => string] => [
      `  ${name}: offload, stalls/viewer, MB up/viewer`,
      (r) => {
        const c = r.figures.classes.find((x) => x.name === name);
        return c ? `${pct(c.offloadRatio)} ${num(c.stallsPerViewer)} ${num(c.uploadBytesPerViewer / 1e6, 1)}` : '–';
      },
    ]),
    ...[...new Set(results.flatMap((r) => r.renditions.map((x) => x.kbps)))].map((kbps): [string, (r: ModelResult) => string] => [
      `  rendition ${kbps} kbit/s: offload, share of bytes`,
      (r) => {
        const x = r.renditions.find((y) => y.kbps === kbps);
        return x ? `${pct(x.offloadRatio)} ${pct(x.byteShare)}` : '–';
      },
    ]),
    ...(results.some((r) => r.renditions.length > 0) ? [['rendition switches per viewer', (r: ModelResult) => num(r.renditionSwitchesPerViewer)] as [string, (r: ModelResult) => string]] : []),
    ['measured uplink, median (kbit/s)', (r) => Object.entries(r.measuredUplinks).map(([name, rate]) => `${name} ${num((rate * 8) / 1000, 0)}`).join(' ')],
    ['model events / wall seconds', (r) => `${r.eventsRun} / ${num(r.wallSeconds, 1)}`],
    ['model peak RSS (MiB)', (r) => num(r.peakRssMiB, 0)],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  const o = results[0]!.options;
  const lines = [
    `Swarm model: ${o.segmentSeconds} s segments at ${o.ladderKbps.length > 0 ? `${o.ladderKbps.join('/')} kbit/s (ABR ${o.abr})` : `${o.streamKbps} kbit/s`}, ${o.liveSyncSegments} behind live, ${o.durationSeconds} s, ramp ${o.rampSeconds} s, churn ${o.churn}, ` +
      `upload cap ${o.uploadCap || 'none'}, uplinks ${o.uplinkMix.length > 0 ? o.uplinkMix.map((c) => `${c.name} ${c.share} × ${Math.round((c.bytesPerSecond * 8) / 1000)} kbit/s`).join(', ') : `${Math.round((o.defaultUplinkBytesPerSecond * 8) / 1000)} kbit/s`}, ` +
      `NATs ${o.natMix.map((n) => `${n.nat} ${n.share}`).join(', ')}, ${o.regions} region(s) ${o.delayInRegionMs}/${o.delayBetweenRegionsMs} ms, CDN ${o.cdnLatencyMs} ms` +
      `${Object.keys(o.engine).length > 0 ? `, engine ${JSON.stringify(o.engine)}` : ''} (${machineFacts()})`,
    ...rows.map(([name, cell]) => `  ${name.padEnd(width)}  ${results.map((r) => cell(r).padStart(16)).join('  ')}`),
  ];
  return lines.join('\n');
}

/** `364,764,1264`: rendition bitrates in kbit/s, lowest first. */
export function parseLadder(text: string): number[] {
  const kbps = text.split(',').map(Number);
  if (kbps.length < 2 || kbps.some((k) => !(Number.isFinite(k) && k > 0))) throw new Error(`--ladder takes two or more bitrates in kbit/s, comma-separated, got "${text}"`);
  if (kbps.some((k, i) => i > 0 && k <= kbps[i - 1]!)) throw new Error('--ladder bitrates go from lowest to highest');
  return kbps;
}

/** `p2p-aware`, `all-transfers` or a rendition index of a ladder of `renditions`. */
export function parseAbr(text: string, renditions: number): ModelOptions['abr'] {
  if (renditions === 0) throw new Error('--abr needs --ladder');
  if (text === 'p2p-aware' || text === 'all-transfers') return text;
  const index = Number(text);
  if (!Number.isInteger(index) || index < 0 || index >= renditions) throw new Error(`--abr is p2p-aware, all-transfers or a rendition index 0–${renditions - 1}, got "${text}"`);
  return index;
}

/** `name=value` pairs for the SDK engine: numbers or true/false, as the engine's options take them. */
export function parseEngineOptions(pairs: readonly string[]): Record<string, number | boolean> {
  const options: Record<string, number | boolean> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z]\w*)=(.+)$/.exec(pair);
    if (!match) throw new Error(`--engine takes name=value, got "${pair}"`);
    const [, name, text] = match as unknown as [string, string, string];
    const known = (DEFAULT_ENGINE_OPTIONS as unknown as Record<string, unknown>)[name];
    if (typeof known !== 'number' && typeof known !== 'boolean') throw new Error(`--engine ${name}: not a numeric or true/false engine option`);
    const value = text === 'true' ? true : text === 'false' ? false : Number(text);
    if (typeof value === 'number' && Number.isNaN(value)) throw new Error(`--engine ${name} takes a number, true or false, got "${text}"`);
    options[name] = value;
  }
  return options;
}

function parseOptions(argv: string[]): { options: Partial<ModelOptions>; sweep: number[]; out: string | undefined; plot: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      viewers: { type: 'string' },
      duration: { type: 'string' },
      ramp: { type: 'string' },
      churn: { type: 'string' },
      'upload-cap': { type: 'string' },
      'uplink-mix': { type: 'string' },
      downlink: { type: 'string' },
      'nat-mix': { type: 'string' },
      network: { type: 'string' },
      segment: { type: 'string' },
      'stream-kbps': { type: 'string' },
      ladder: { type: 'string' },
      abr: { type: 'string' },
      'live-sync': { type: 'string' },
      'max-peers': { type: 'string' },
      regions: { type: 'string' },
      'segment-memory': { type: 'string' },
      'sctp-buffer': { type: 'string' },
      uplink: { type: 'string' },
      delay: { type: 'string' },
      'delay-between': { type: 'string' },
      'cdn-latency': { type: 'string' },
      'cdn-rate': { type: 'string' },
      seed: { type: 'string' },
      engine: { type: 'string', multiple: true },
      sweep: { type: 'string' },
      out: { type: 'string' },
      plot: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`Usage: npm run model -- [--viewers 30] [--duration 60] [--ramp 15] [--churn 0..1] [--upload-cap bytes/s]
  [--network loopback|internet] [--uplink-mix fiber:0.2:50mbit,...] [--downlink 50mbit] [--nat-mix open:0.1,cone:0.7,symmetric:0.2]
  [--uplink 1gbit (without a mix)] [--delay ms in a region] [--delay-between ms] [--cdn-latency ms] [--cdn-rate 25mbit]
  [--segment 2] [--stream-kbps 800 | --ladder 364,764,1264 [--abr p2p-aware|all-transfers|<rendition index>]] [--live-sync 3] [--max-peers 20] [--regions 4] [--segment-memory 12 (segments kept per viewer)] [--sctp-buffer bytes] [--seed 1]
  [--engine name=value (an SDK engine option, repeatable, e.g. --engine uploadQueueMs=800)]
  [--sweep 30,300,3000] [--plot scale.svg] [--out file.json]
`);
    process.exit(0);
  }
  const number = (text: string | undefined, name: string): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} takes a non-negative number`);
    return value;
  };
  const network = values.network ?? 'loopback';
  if (network !== 'loopback' && network !== 'internet') throw new Error('--network is loopback or internet');
  const picked: Partial<Record<keyof ModelOptions, unknown>> = {
    viewers: number(values.viewers, 'viewers'),
    durationSeconds: number(values.duration, 'duration'),
    rampSeconds: number(values.ramp, 'ramp'),
    churn: values.churn === undefined ? undefined : Math.min(1, number(values.churn, 'churn')!),
    uploadCap: number(values['upload-cap'], 'upload-cap'),
    segmentSeconds: number(values.segment, 'segment'),
    streamKbps: number(values['stream-kbps'], 'stream-kbps'),
    liveSyncSegments: number(values['live-sync'], 'live-sync'),
    maxPeers: number(values['max-peers'], 'max-peers'),
    regions: number(values.regions, 'regions'),
    segmentMemorySegments: number(values['segment-memory'], 'segment-memory'),
    sctpBufferBytes: number(values['sctp-buffer'], 'sctp-buffer'),
    delayInRegionMs: number(values.delay, 'delay'),
    delayBetweenRegionsMs: number(values['delay-between'], 'delay-between'),
    cdnLatencyMs: number(values['cdn-latency'], 'cdn-latency'),
    seed: number(values.seed, 'seed'),
  };
  if (values['uplink-mix'] !== undefined) picked.uplinkMix = parseUplinkMix(values['uplink-mix']);
  if (values.ladder !== undefined) picked.ladderKbps = parseLadder(values.ladder);
  if (values.abr !== undefined) picked.abr = parseAbr(values.abr, (picked.ladderKbps as number[] | undefined)?.length ?? 0);
  if (values.uplink !== undefined) picked.defaultUplinkBytesPerSecond = parseRate(values.uplink);
  if (values['cdn-rate'] !== undefined) picked.cdnBytesPerSecond = parseRate(values['cdn-rate']);
  if (values.downlink !== undefined) picked.downlinkBytesPerSecond = parseRate(values.downlink);
  if (values['nat-mix'] !== undefined) picked.natMix = parseNatMix(values['nat-mix']);
  if (values.engine !== undefined) picked.engine = parseEngineOptions(values.engine);
  // Flags override the network preset; flags not given leave it alone.
  const options = {
    ...(network === 'internet' ? INTERNET_NETWORK : LOOPBACK_NETWORK),
    ...(Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)) as Partial<ModelOptions>),
  };
  const sweep = values.sweep === undefined ? [] : values.sweep.split(',').map((n) => number(n, 'sweep')!);
  if (sweep.some((n) => !Number.isInteger(n) || n < 2)) throw new Error('--sweep takes viewer counts of 2 or more, comma-separated');
  return { options, sweep, out: values.out, plot: values.plot };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { options, sweep, out, plot } = parseOptions(process.argv.slice(2));
  const counts = sweep.length > 0 ? sweep : [options.viewers ?? DEFAULT_MODEL_OPTIONS.viewers];
  const results: ModelResult[] = [];
  for (const viewers of counts) {
    results.push(await runModel({ ...options, viewers }));
    process.stderr.write(`  ${viewers} viewers: ${results.at(-1)!.wallSeconds.toFixed(1)} s\n`);
  }
  console.log(formatModel(results));
  const file = out ?? fileURLToPath(new URL('../results/model-latest.json', import.meta.url));
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, JSON.stringify({ machine: machineFacts(), results }, null, 2));
  console.log(`  written to ${file}`);
  if (plot) {
    await writeFile(plot, scalePlotSvg(results));
    console.log(`  plot written to ${plot}`);
  }
}
