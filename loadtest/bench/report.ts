import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { findK6 } from '../k6/harness/k6.js';
import { machineFacts } from './machine.js';

/**
 * `npm run bench`: runs every benchmark one after the other (never side by side: they share two cores) and
 * writes loadtest/results/latest.md, each figure beside the baseline measured in the same run. A benchmark
 * that fails is reported as such; no number fails anything. `--only <key,...>` (bundle, tracker, edge, swarm, swarm-uplinks,
 * k6) runs some of them and replaces just their sections in the existing report.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const BENCHES = [
  { key: 'bundle', name: 'SDK bundle size', script: 'loadtest/bench/bundle-size.ts', args: [] as string[], baseline: 'p2p-media-loader 2.3.1 (core + hlsjs), bundled the same way' },
  { key: 'tracker', name: 'Tracker', script: 'loadtest/bench/tracker.ts', args: [], baseline: "bittorrent-tracker's server under the same load generator" },
  { key: 'edge', name: 'Edge cache', script: 'loadtest/bench/edge-cache.ts', args: [], baseline: 'nginx serving the same files under the same load generator' },
  {
    key: 'swarm',
    name: 'Swarm simulator',
    script: 'loadtest/swarm/simulator.ts',
    args: ['--viewers', process.env.SHOAL_BENCH_VIEWERS ?? '30', '--duration', '60', '--ramp', '15'],
    baseline: 'the same viewers over HTTP alone, and the theoretical offload limit',
  },
  {
    key: 'swarm-uplinks',
    name: 'Swarm simulator, limited uplinks',
    script: 'loadtest/swarm/simulator.ts',
    args: ['--viewers', process.env.SHOAL_BENCH_VIEWERS ?? '30', '--duration', '60', '--ramp', '15', '--upload-cap', '150000', '--out', 'loadtest/results/swarm-uplinks-latest.json'],
    baseline: 'the same viewers over HTTP alone, the theoretical and the capacity-bounded offload limits',
  },
  {
    key: 'k6',
    name: 'k6 scripts',
    script: 'loadtest/bench/k6-scripts.ts',
    args: [],
    baseline: "each script's own thresholds; the stats run is 1,000 players behind one address at the edge's default limits",
  },
  { key: 'any-origin', name: 'Any origin', script: 'loadtest/bench/any-origin.ts', args: [], baseline: "the same swarm through the edge in front of Shoal's own origin" },
];

function run(script: string, args: string[]): Promise<{ code: number | null; output: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.once('exit', (code) => resolve({ code, output, seconds: (Date.now() - started) / 1000 }));
  });
}

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',') : undefined;
const unknown = (only ?? []).filter((key) => !BENCHES.some((bench) => bench.key === key));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; choose from ${BENCHES.map((b) => b.key).join(', ')}\n`);
  process.exit(2);
}
const k6 = findK6();

const sections = new Map<string, string>();
for (const bench of BENCHES) {
  if (only && !only.includes(bench.key)) continue;
  const heading = `## ${bench.name}`;
  if (bench.key === 'k6' && !k6.k6) {
    process.stdout.write(`\n== ${bench.name}: skipped, ${k6.why} ==\n`);
    sections.set(heading, `${heading}\n\nSkipped: ${k6.why}.\n`);
    continue;
  }
  process.stdout.write(`\n== ${bench.name} ==\n`);
  const result = await run(bench.script, bench.args);
  sections.set(
    heading,
    `${heading}\n\nBaseline: ${bench.baseline}. \`${['tsx', bench.script, ...bench.args].join(' ')}\`, ${result.seconds.toFixed(0)} s` +
      (only ? `, ${new Date().toISOString()}` : '') +
      (result.code === 0 ? '.' : `, **failed with exit code ${result.code}**.`) +
      `\n\n\`\`\`\n${result.output.trim()}\n\`\`\`\n`,
  );
}
const out = fileURLToPath(new URL('../results/latest.md', import.meta.url));
let report: string;
if (only && existsSync(out)) {
  // Replace the sections that ran, keep the others as they were.
  const previous = await readFile(out, 'utf8');
  const parts = previous.split(/^(?=## )/m);
  const kept = parts.map((part) => {
    const heading = part.split('\n', 1)[0]!;
    const replacement = sections.get(heading);
    if (replacement === undefined) return part;
    sections.delete(heading);
    return replacement + (part.endsWith('\n\n') ? '\n' : '');
  });
  report = kept.join('') + [...sections.values()].map((section) => `\n${section}`).join('');
} else {
  report = `# Shoal benchmarks\n\n${new Date().toISOString()} — ${machineFacts()}\n\n${[...sections.values()].join('\n')}`;
}
await mkdir(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
await writeFile(out, report);
process.stdout.write(`\nwritten to ${out}\n`);
