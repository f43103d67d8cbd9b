// `npm run bench:tracker`: our edge tracker and bittorrent-tracker's server, each alone in a child process,
// driven in turn by the same closed-loop load generator on loopback. Prints relayed messages per second, the
// tracker process's CPU seconds and memory per connected peer (idle and busy), side by side.
//
// Environment: SHOAL_BENCH_CONNECTIONS (default 2000), SHOAL_BENCH_SWARMS (20), SHOAL_BENCH_OFFERS (10),
// SHOAL_BENCH_SECONDS (measured window, default 12), SHOAL_BENCH_TRACKERS (default "shoal,bittorrent-tracker").
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machineFacts } from './machine.js';
import { TrackerLoad, type LoadCounts } from './tracker-load.js';
import type { TargetMeasure } from './tracker-target.js';

const env = process.env;
const CONNECTIONS = Number(env.SHOAL_BENCH_CONNECTIONS ?? 2_000);
const SWARMS = Number(env.SHOAL_BENCH_SWARMS ?? 20);
const OFFERS = Number(env.SHOAL_BENCH_OFFERS ?? 10);
const MEASURE_MS = Number(env.SHOAL_BENCH_SECONDS ?? 12) * 1000;
const WARMUP_MS = 3_000;
const TRACKERS = (env.SHOAL_BENCH_TRACKERS ?? 'shoal,bittorrent-tracker').split(',');

interface Result {
  readonly name: string;
  readonly relayedPerSecond: number;
  readonly cpuSeconds: number;
  readonly windowSeconds: number;
  readonly idleRssPerPeer: number;
  readonly idleHeapPerPeer: number;
  readonly busyRssPerPeer: number;
  readonly busyHeapPerPeer: number;
  readonly generatorCpuShare: number;
  readonly counts: LoadCounts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function ask(child: ChildProcess, type: 'memory' | 'cpu'): Promise<TargetMeasure> {
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

async function bench(name: string): Promise<Result> {
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
    const load = new TrackerLoad({ url, connections: CONNECTIONS, swarms: SWARMS, offers: OFFERS, roundTimeoutMs: 3_000 });
    await load.connect();
    await sleep(500);
    const idle = await ask(child, 'memory');

    load.start();
    await sleep(WARMUP_MS);
    const before = { ...load.counts };
    const cpuBefore = await ask(child, 'cpu');
    const generatorBefore = process.cpuUsage();
    const startedAt = performance.now();
    await sleep(MEASURE_MS);
    const cpuAfter = await ask(child, 'cpu');
    const windowSeconds = (performance.now() - startedAt) / 1000;
    const generator = process.cpuUsage(generatorBefore);
    const after = { ...load.counts };
    const busy = await ask(child, 'memory');
    await load.close();

    const relayed = after.offersReceived - before.offersReceived + (after.answersReceived - before.answersReceived);
    const counts = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof LoadCounts]])) as unknown as LoadCounts;
    return {
      name,
      relayedPerSecond: relayed / windowSeconds,
      cpuSeconds: cpuAfter.cpuSeconds - cpuBefore.cpuSeconds,
      windowSeconds,
      idleRssPerPeer: (idle.rss - base.rss) / CONNECTIONS,
      idleHeapPerPeer: (idle.heapUsed + idle.external - base.heapUsed - base.external) / CONNECTIONS,
      busyRssPerPeer: (busy.rss - base.rss) / CONNECTIONS,
      busyHeapPerPeer: (busy.heapUsed + busy.external - base.heapUsed - base.external) / CONNECTIONS,
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

async function main(): Promise<void> {
  process.stdout.write(
    `Tracker benchmark: closed loop on loopback, ${CONNECTIONS} connections in ${SWARMS} swarms, ${OFFERS} offers per announce, every relayed offer answered\n` +
      `machine: ${machineFacts()}\nwarm-up ${WARMUP_MS / 1000} s, measured ${MEASURE_MS / 1000} s per tracker, one tracker at a time\n\n`,
  );
  const results: Result[] = [];
  for (const name of TRACKERS) {
    process.stdout.write(`running ${name}…\n`);
    results.push(await bench(name));
  }
  const rows: [string, (r: Result) => string][] = [
    ['relayed messages/s (offers + answers)', (r) => num(r.relayedPerSecond)],
    ['tracker CPU seconds in the window', (r) => `${num(r.cpuSeconds, 2)} s of ${num(r.windowSeconds, 1)} s`],
    ['relayed messages per tracker CPU second', (r) => num(r.relayedPerSecond * (r.windowSeconds / r.cpuSeconds))],
    ['memory per idle peer (RSS)', (r) => kib(r.idleRssPerPeer)],
    ['memory per idle peer (JS heap + external)', (r) => kib(r.idleHeapPerPeer)],
    ['memory per busy peer (RSS)', (r) => kib(r.busyRssPerPeer)],
    ['memory per busy peer (JS heap + external)', (r) => kib(r.busyHeapPerPeer)],
    ['announces / failures / round timeouts', (r) => `${num(r.counts.announces)} / ${r.counts.failures} / ${r.counts.timeouts}`],
    ['load generator CPU (one process)', (r) => `${num(r.generatorCpuShare * 100)} %`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const column = 22;
  process.stdout.write(`\n${''.padEnd(width)}${results.map((r) => r.name.padStart(column)).join('')}\n`);
  for (const [label, cell] of rows) process.stdout.write(`${label.padEnd(width)}${results.map((r) => cell(r).padStart(column)).join('')}\n`);

  const shoal = results.find((r) => r.name === 'shoal');
  const baseline = results.find((r) => r.name === 'bittorrent-tracker');
  if (shoal && baseline) {
    const throughput = shoal.relayedPerSecond / baseline.relayedPerSecond;
    const perCpu = (shoal.relayedPerSecond * shoal.windowSeconds) / shoal.cpuSeconds / ((baseline.relayedPerSecond * baseline.windowSeconds) / baseline.cpuSeconds);
    process.stdout.write(
      `\nshoal ÷ bittorrent-tracker: ${throughput.toFixed(2)}× relayed messages/s, ${perCpu.toFixed(2)}× relayed messages per tracker CPU second (target ≥ 3×)\n` +
        `shoal memory per idle connection: ${kib(shoal.idleRssPerPeer)} RSS (target ≤ 10 KiB)\n` +
        `When the load generator is near 100 % CPU it, not the tracker, limits messages/s; messages per tracker CPU second is then the fair comparison.\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
