// `npm run bench:tracker-cluster`: the signaling load of one large live audience, replayed against real edge
// nodes. Two `shoal-edge` processes share swarms through one `redis-server`; an open-loop generator opens one
// WebSocket per viewer (alternating between the nodes, all in one swarm: one rendition of one stream), and
// each viewer announces at the rate and with the offers the swarm model measured, answering every offer
// relayed to it. Prints offer relay latency, each node's CPU and memory, Redis operations per second, and the
// viewers one edge core would serve at that rate.
//
//   npm run bench:tracker-cluster -- --from loadtest/results/model-latest.json
//   npm run bench:tracker-cluster -- --viewers 10000 --announces-per-minute 12 --offers 1.5 --seconds 30
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startEdgeProcess, startRedis, type EdgeProcess } from '../../edge/test/processes.js';
import { percentile } from '../swarm/analysis.js';
import { machineFacts } from './machine.js';
import { procStats } from './proc-stats.js';
import { TrackerLoad } from './tracker-load.js';

export interface ClusterLoad {
  readonly viewers: number;
  readonly announcesPerViewerMinute: number;
  readonly offersPerAnnounce: number;
  readonly nodes: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

export interface ClusterResult {
  readonly load: ClusterLoad;
  readonly machine: string;
  readonly connectSeconds: number;
  /** Messages the generator sent and received per second in the window (announces, answers; replies, offers, answers). */
  readonly messagesPerSecond: number;
  readonly offersRelayedPerSecond: number;
  readonly relayMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly samples: number };
  readonly nodes: readonly { readonly cpuShare: number; readonly rssMiB: number }[];
  readonly redisOpsPerSecond: number;
  readonly redisCpuShare: number;
  readonly generatorCpuShare: number;
  /** Viewers one node core would serve at this rate: viewers per node ÷ the node's CPU share. */
  readonly viewersPerEdgeCore: number;
  readonly failures: number;
}

async function redisStats(url: string): Promise<{ commands: number; cpuSeconds: number }> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info();
    const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
    // The INFO call itself is one command: left out.
    return { commands: field('total_commands_processed') - 1, cpuSeconds: field('used_cpu_sys') + field('used_cpu_user') };
  } finally {
    client.disconnect();
  }
}

export async function runClusterBench(load: ClusterLoad): Promise<ClusterResult> {
  const redis = await startRedis();
  const edges: EdgeProcess[] = [];
  let generator: TrackerLoad | undefined;
  try {
    for (let i = 0; i < load.nodes; i++) edges.push(await startEdgeProcess(['--redis-url', redis.url, '--region', 'bench']));
    generator = new TrackerLoad({
      url: edges.map((e) => e.trackerUrl),
      connections: load.viewers,
      swarms: 1,
      offers: load.offersPerAnnounce,
      roundTimeoutMs: 10_000,
      announceEveryMs: 60_000 / load.announcesPerViewerMinute,
    });
    const connectStarted = performance.now();
    await generator.connect();
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    generator.start();
    await new Promise((resolve) => setTimeout(resolve, load.warmupSeconds * 1000));

    const counts = generator.counts;
    const before = { ...counts, relayed: counts.relayMs.length };
    const nodesBefore = edges.map((e) => procStats(e.child.process.pid!));
    const redisBefore = await redisStats(redis.url);
    const generatorBefore = process.cpuUsage();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, load.seconds * 1000));
    const seconds = (performance.now() - started) / 1000;
    const nodesAfter = edges.map((e) => procStats(e.child.process.pid!));
    const redisAfter = await redisStats(redis.url);
    const generatorCpu = process.cpuUsage(generatorBefore);
    const relayMs = counts.relayMs.slice(before.relayed);
    // Per announce: it and its reply; per offer relayed: the offer and its answer, in and out.
    const offers = counts.offersReceived - before.offersReceived;
    const answers = counts.answersReceived - before.answersReceived;
    const announces = counts.announces - before.announces;
    const nodes = nodesAfter.map((after, i) => ({ cpuShare: (after.cpuSeconds - nodesBefore[i]!.cpuSeconds) / seconds, rssMiB: after.rss / 2 ** 20 }));
    const meanNodeCpu = nodes.reduce((sum, n) => sum + n.cpuShare, 0) / nodes.length;
    return {
      load,
      machine: machineFacts(),
      connectSeconds,
      messagesPerSecond: (2 * announces + offers + 2 * answers) / seconds,
      offersRelayedPerSecond: offers / seconds,
      relayMs: { p50: percentile(relayMs, 0.5), p95: percentile(relayMs, 0.95), p99: percentile(relayMs, 0.99), samples: relayMs.length },
      nodes,
      redisOpsPerSecond: (redisAfter.commands - redisBefore.commands) / seconds,
      redisCpuShare: (redisAfter.cpuSeconds - redisBefore.cpuSeconds) / seconds,
      generatorCpuShare: (generatorCpu.user + generatorCpu.system) / 1e6 / seconds,
      viewersPerEdgeCore: meanNodeCpu > 0 ? load.viewers / load.nodes / meanNodeCpu : Infinity,
      failures: counts.failures,
    };
  } finally {
    await generator?.close();
    await Promise.all(edges.map((e) => e.child.stop()));
    await redis.child.stop();
  }
}

const num = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');

export function formatClusterBench(r: ClusterResult): string {
  const l = r.load;
  return [
    `Tracker cluster: ${num(l.viewers)} viewers in one swarm over ${l.nodes} edge nodes and one redis-server, each announcing ` +
      `${num(l.announcesPerViewerMinute, 1)} times a minute with ${num(l.offersPerAnnounce, 2)} offers (open loop), measured ${l.seconds} s after ${l.warmupSeconds} s (${r.machine})`,
    `  connections opened and joined in           ${num(r.connectSeconds, 1)} s`,
    `  messages per second (generator's side)     ${num(r.messagesPerSecond)}  (offers relayed ${num(r.offersRelayedPerSecond)}/s)`,
    `  offer relay latency p50 / p95 / p99        ${num(r.relayMs.p50, 1)} / ${num(r.relayMs.p95, 1)} / ${num(r.relayMs.p99, 1)} ms (${num(r.relayMs.samples)} offers)`,
    ...r.nodes.map((n, i) => `  edge node ${i + 1}: CPU, RSS                     ${num(n.cpuShare * 100, 1)} % of a core, ${num(n.rssMiB)} MiB`),
    `  redis: operations per second, CPU          ${num(r.redisOpsPerSecond)}/s, ${num(r.redisCpuShare * 100, 1)} % of a core`,
    `  load generator CPU                         ${num(r.generatorCpuShare * 100, 1)} % of a core`,
    `  viewers one edge core serves at this rate  ${num(r.viewersPerEdgeCore)}`,
    `  announce failures                          ${r.failures}`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      viewers: { type: 'string' },
      'announces-per-minute': { type: 'string' },
      offers: { type: 'string' },
      nodes: { type: 'string' },
      seconds: { type: 'string' },
    },
  });
  let fromModel: { viewers: number; announcesPerViewerMinute: number; offersRelayedPerAnnounce: number } | undefined;
  if (values.from) {
    const saved = JSON.parse(await readFile(values.from, 'utf8')) as { results: { options: { viewers: number }; announcesPerViewerMinute: number; offersRelayedPerAnnounce: number }[] };
    const largest = saved.results.reduce((a, b) => (b.options.viewers > a.options.viewers ? b : a));
    fromModel = { viewers: largest.options.viewers, announcesPerViewerMinute: largest.announcesPerViewerMinute, offersRelayedPerAnnounce: largest.offersRelayedPerAnnounce };
  }
  const positive = (text: string | undefined, fallback: number, name: string): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!(value > 0)) throw new Error(`--${name} takes a number above 0`);
    return value;
  };
  const load: ClusterLoad = {
    viewers: Math.round(positive(values.viewers, fromModel?.viewers ?? 10_000, 'viewers')),
    announcesPerViewerMinute: positive(values['announces-per-minute'], fromModel?.announcesPerViewerMinute ?? 12, 'announces-per-minute'),
    offersPerAnnounce: values.offers === undefined ? (fromModel?.offersRelayedPerAnnounce ?? 1) : Number(values.offers),
    nodes: Math.round(positive(values.nodes, 2, 'nodes')),
    warmupSeconds: 10,
    seconds: positive(values.seconds, 30, 'seconds'),
  };
  console.log(formatClusterBench(await runClusterBench(load)));
}
