import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { machineFacts } from './machine.js';

/**
 * `npm run bench`: runs every benchmark one after the other (never side by side: they share two cores) and
 * writes loadtest/results/latest.md, each figure beside the baseline measured in the same run. A benchmark
 * that fails is reported as such; no number fails anything.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const BENCHES = [
  { name: 'SDK bundle size', script: 'loadtest/bench/bundle-size.ts', args: [] as string[], baseline: 'p2p-media-loader 2.3.1 (core + hlsjs), bundled the same way' },
  { name: 'Tracker', script: 'loadtest/bench/tracker.ts', args: [], baseline: "bittorrent-tracker's server under the same load generator" },
  { name: 'Edge cache', script: 'loadtest/bench/edge-cache.ts', args: [], baseline: 'nginx serving the same files under the same load generator' },
  {
    name: 'Swarm simulator',
    script: 'loadtest/swarm/simulator.ts',
    args: ['--viewers', process.env.SHOAL_BENCH_VIEWERS ?? '30', '--duration', '60', '--ramp', '15'],
    baseline: 'the same viewers over HTTP alone, and the theoretical offload limit',
  },
  { name: 'Any origin', script: 'loadtest/bench/any-origin.ts', args: [], baseline: "the same swarm through the edge in front of Shoal's own origin" },
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

const sections: string[] = [];
for (const bench of BENCHES) {
  process.stdout.write(`\n== ${bench.name} ==\n`);
  const result = await run(bench.script, bench.args);
  sections.push(
    `## ${bench.name}\n\nBaseline: ${bench.baseline}. \`${['tsx', bench.script, ...bench.args].join(' ')}\`, ${result.seconds.toFixed(0)} s` +
      (result.code === 0 ? '.' : `, **failed with exit code ${result.code}**.`) +
      `\n\n\`\`\`\n${result.output.trim()}\n\`\`\`\n`,
  );
}
const report = `# Shoal benchmarks\n\n${new Date().toISOString()} — ${machineFacts()}\n\n${sections.join('\n')}`;
const out = fileURLToPath(new URL('../results/latest.md', import.meta.url));
await mkdir(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
await writeFile(out, report);
process.stdout.write(`\nwritten to ${out}\n`);
