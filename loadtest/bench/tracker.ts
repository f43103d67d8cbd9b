// `npm run bench:tracker`: our edge tracker and bittorrent-tracker's server, each alone in a child process,
// driven in turn by the same closed-loop load generator on loopback. Prints relayed messages per second, the
// tracker process's CPU seconds and memory per connected peer (idle and busy), side by side.
//
// Environment: SHOAL_BENCH_LOADS (default "2000x20,4000x1": connections x swarms, one run each),
// SHOAL_BENCH_OFFERS (10), SHOAL_BENCH_SECONDS (measured window, default 8),
// SHOAL_BENCH_TRACKERS (default "shoal,bittorrent-tracker"), SHOAL_BENCH_PROFILE (a directory: CPU profiles).
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { machineFacts } from './machine.js';
import { procStats } from './proc-stats.js';
import { TrackerLoad, type LoadCounts } from './tracker-load.js';
import type { TargetMeasure } from './tracker-target.js';

const env = process.env;
const LOADS = (env.SHOAL_BENCH_LOADS ?? '2000x20,4000x1').split(',').map((spec) => {
  const [connections, swarms] = spec.split('x').map(Number) as [number, number];
  if (!(connections > 0 && swarms > 0 && connections / swarms >= 2)) throw new Error(`bad load ${spec}: want <connections>x<swarms>`);
  return { connections, swarms };
});
const OFFERS = Number(env.SHOAL_BENCH_OFFERS ?? 10);
const MEASURE_MS = Number(env.SHOAL_BENCH_SECONDS ?? 8) * 1000;
const WARMUP_MS = 2_000;
const TRACKERS = (env.SHOAL_BENCH_TRACKERS ?? 'shoal,bittorrent-tracker').split(',');

interface Result {
  readonly name: string;
  readonly relayedPerSecond: number;
  readonly cpuSeconds: number;
  readonly windowSeconds: number;
  readonly idleRssPerPeer: number;
  readonly marginalRssPerPeer: number;
  readonly marginalHeapPerPeer: number;
  readonly idleHeapPerPeer: number;
  readonly busyRssPerPeer: number;
  readonly generatorCpuShare: number;
  readonly counts: LoadCounts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function ask(child: ChildProcess, type: 'memory'): Promise<TargetMeasure> {
  return new Promise((resolve) => {
    const onMessage = (message: TargetMeasure) => {
      if (message.type !== 'measure') return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

async function bench(name: string, connections: number, swarms: number): Promise<Result> {
  const child = fork(fileURLToPath(new URL('./tracker-target.ts', import.meta.url)), [name], {
    execArgv: ['--expose-gc', '--import', 'tsx', ...(env.SHOAL_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${env.SHOAL_BENCH_PROFILE}`] : [])],
    env: { ...env, TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
      child.on('message', (message: { type: string; url?: string }) => message.type === 'ready' && resolve(message.url!));
    });
    const base = await ask(child, 'memory');
    const load = new TrackerLoad({ url, connections, swarms, offers: OFFERS, roundTimeoutMs: 15_000 });
    // Idle memory is measured twice: over all peers from the start, and for the second half of the peers only,
    // once the first half has warmed the heap (what one more idle connection costs).
    await load.connect(connections / 2);
    await sleep(300);
    const half = await ask(child, 'memory');
    await load.connect();
    await sleep(300);
    const idle = await ask(child, 'memory');

    load.start();
    await sleep(WARMUP_MS);
    const before = { ...load.counts };
    const cpuBefore = procStats(child.pid!);
    const generatorBefore = process.cpuUsage();
    const startedAt = performance.now();
    await sleep(MEASURE_MS);
    const cpuAfter = procStats(child.pid!);
    const windowSeconds = (performance.now() - startedAt) / 1000;
    const generator = process.cpuUsage(generatorBefore);
    const after = { ...load.counts };
    await load.close();

    const relayed = after.offersReceived - before.offersReceived + (after.answersReceived - before.answersReceived);
    const counts = Object.fromEntries(
      Object.entries(after)
        .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
        .map(([k, v]) => [k, v - (before[k as keyof LoadCounts] as number)]),
    ) as unknown as LoadCounts;
    return {
      name,
      relayedPerSecond: relayed / windowSeconds,
      cpuSeconds: cpuAfter.cpuSeconds - cpuBefore.cpuSeconds,
      windowSeconds,
      idleRssPerPeer: (idle.rss - base.rss) / connections,
      marginalRssPerPeer: (idle.rss - half.rss) / (connections - connections / 2),
      marginalHeapPerPeer: (idle.heapUsed + idle.external - half.heapUsed - half.external) / (connections - connections / 2),
      idleHeapPerPeer: (idle.heapUsed + idle.external - base.heapUsed - base.external) / connections,
      busyRssPerPeer: (cpuAfter.rss - base.rss) / connections,
      generatorCpuShare: (generator.user + generator.system) / 1e6 / windowSeconds,
      counts,
    };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const num = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function report(results: readonly Result[]): void {
  const rows: [string, (r: Result) => string][] = [
    ['relayed messages/s (offers + answers)', (r) => num(r.relayedPerSecond)],
    ['tracker CPU seconds in the window', (r) => `${num(r.cpuSeconds, 2)} s of ${num(r.windowSeconds, 1)} s`],
    ['relayed messages per tracker CPU second', (r) => num(r.relayedPerSecond * (r.windowSeconds / r.cpuSeconds))],
    ['memory per idle peer (RSS, all peers)', (r) => kib(r.idleRssPerPeer)],
    ['memory per idle peer (JS heap + external)', (r) => kib(r.idleHeapPerPeer)],
    ['one more idle peer (RSS, 2nd half)', (r) => kib(r.marginalRssPerPeer)],
    ['one more idle peer (JS heap + ext, 2nd half)', (r) => kib(r.marginalHeapPerPeer)],
    ['RSS per peer under load (no GC: garbage, queues)', (r) => kib(r.busyRssPerPeer)],
    ['announces / failures / round timeouts', (r) => `${num(r.counts.announces)} / ${r.counts.failures} / ${r.counts.timeouts}`],
    ['load generator CPU (one process)', (r) => `${num(r.generatorCpuShare * 100)} %`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const column = 22;
  process.stdout.write(`${''.padEnd(width)}${results.map((r) => r.name.padStart(column)).join('')}\n`);
  for (const [label, cell] of rows) process.stdout.write(`${label.padEnd(width)}${results.map((r) => cell(r).padStart(column)).join('')}\n`);
  const shoal = results.find((r) => r.name === 'shoal');
  const baseline = results.find((r) => r.name === 'bittorrent-tracker');
  if (shoal && baseline) {
    const throughput = shoal.relayedPerSecond / baseline.relayedPerSecond;
    const perCpu = (shoal.relayedPerSecond * shoal.windowSeconds) / shoal.cpuSeconds / ((baseline.relayedPerSecond * baseline.windowSeconds) / baseline.cpuSeconds);
    process.stdout.write(
      `shoal ÷ bittorrent-tracker: ${throughput.toFixed(2)}× relayed messages/s, ${perCpu.toFixed(2)}× relayed messages per tracker CPU second (target ≥ 3×); ` +
        `shoal per idle connection ${kib(shoal.idleRssPerPeer)} RSS overall, ${kib(shoal.marginalRssPerPeer)} RSS for one more (target ≤ 10 KiB)\n`,
    );
  }
}

async function main(): Promise<void> {
  const [load1, load5] = loadavg();
  process.stdout.write(
    `Tracker benchmark: closed loop on loopback, ${OFFERS} offers per announce, every relayed offer answered, one tracker at a time\n` +
      `machine: ${machineFacts()}; load average before: ${load1!.toFixed(2)} (1 min), ${load5!.toFixed(2)} (5 min)\n` +
      `warm-up ${WARMUP_MS / 1000} s, measured ${MEASURE_MS / 1000} s per tracker and load\n`,
  );
  for (const { connections, swarms } of LOADS) {
    process.stdout.write(`\n${connections} connections in ${swarms} swarms (${connections / swarms} peers per swarm)\n`);
    const results: Result[] = [];
    for (const name of TRACKERS) results.push(await bench(name, connections, swarms));
    report(results);
  }
  process.stdout.write(
    `\nWhen neither process is near 100 % CPU, the closed loop's round trips, not the tracker, limit messages/s; messages per tracker CPU second\n` +
      `is then the fair measure of what one core does. The load generator is one Node process on the same machine.\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
