import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Finds and runs k6 for the test suite and `npm run bench`. k6 is not an npm or Debian package: users
 * install it themselves; development machines and CI have a copy beside the project.
 */

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const K6_SCRIPTS = fileURLToPath(new URL('../', import.meta.url));
/** The oldest k6 the scripts support, and the one they are tested with. */
export const MIN_K6_VERSION = '0.48.0';

export interface K6Binary {
  readonly path: string;
  readonly version: string;
}

function versionOf(path: string): string | undefined {
  try {
    const out = execFileSync(path, ['version'], { encoding: 'utf8', env: { ...process.env, K6_NO_USAGE_REPORT: 'true' }, timeout: 10_000 });
    return /k6 v(\d+\.\d+\.\d+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

function onPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** True when version `a` is `b` or newer. */
export function atLeast(a: string, b: string): boolean {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return x![i]! > y![i]!;
  return true;
}

export type K6Lookup = { k6: K6Binary; why?: undefined } | { k6?: undefined; why: string };

/**
 * k6 from `SHOAL_K6` (a path), else `k6` on PATH, else `../shared/tools/k6` beside the project: the first of
 * them that runs and is MIN_K6_VERSION or newer. Without one, `why` says what was tried.
 */
export function findK6(env: NodeJS.ProcessEnv = process.env, root: string = REPO_ROOT): K6Lookup {
  const candidates = [env.SHOAL_K6, onPath('k6', env.PATH), join(root, '..', 'shared', 'tools', 'k6')].filter((c): c is string => c !== undefined && c !== '');
  const tried: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      tried.push(`${path} (missing)`);
      continue;
    }
    const version = versionOf(path);
    if (version === undefined) tried.push(`${path} (does not run)`);
    else if (!atLeast(version, MIN_K6_VERSION)) tried.push(`${path} (v${version}, older than v${MIN_K6_VERSION})`);
    else return { k6: { path, version } };
  }
  return { why: `no k6 v${MIN_K6_VERSION} or newer: install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/) or set SHOAL_K6=/path/to/k6; tried ${tried.join(', ')}` };
}

export interface K6Metric {
  readonly [stat: string]: number | Record<string, boolean> | undefined;
  readonly thresholds?: Record<string, boolean>;
}

export interface K6Run {
  /** k6's exit code: 0 passed, 99 a threshold failed, 107 a script error, … */
  readonly code: number | null;
  readonly output: string;
  readonly seconds: number;
  readonly metrics: Record<string, K6Metric>;
  /** `metric: expression` of every threshold that failed. */
  readonly failedThresholds: string[];
  /** The run's length by k6's own clock (its last progress line), and the iterations it interrupted. */
  readonly runSeconds: number;
  readonly interruptedIterations: number;
  /** The end-of-test summary k6 printed (the metrics block). */
  readonly summary: string;
}

export interface K6RunOptions {
  /** `-e NAME=value` settings of the script. */
  readonly env?: Record<string, string | number>;
  /** k6 is killed after this long, and the run fails. */
  readonly timeoutMs: number;
}

/** The end-of-test summary from k6's output: from the first metric line to the last. */
function summaryOf(output: string): string {
  const lines = output.split('\n');
  const first = lines.findIndex((line) => /^\s+[✓✗]?\s*[a-z_{}:]+\.{3,}/.test(line) || /^\s+[✓✗] /.test(line) || /^\s+█/.test(line));
  if (first < 0) return '';
  let last = first;
  for (let i = first; i < lines.length; i++) if (/\.{3,}:/.test(lines[i]!) || /^\s+[✓✗█↳]/.test(lines[i]!)) last = i;
  return lines.slice(first, last + 1).join('\n');
}

/** Runs `k6 run` on one script of loadtest/k6/ and reads its summary export. */
export async function runK6(k6: K6Binary, script: string, options: K6RunOptions): Promise<K6Run> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-k6-'));
  const exportPath = join(dir, 'summary.json');
  const args = ['run', '--no-color', '--summary-export', exportPath, '--summary-trend-stats', 'avg,min,med,p(5),p(95),max'];
  for (const [name, value] of Object.entries(options.env ?? {})) args.push('-e', `${name}=${value}`);
  args.push(join(K6_SCRIPTS, script));
  const started = Date.now();
  try {
    const child = spawn(k6.path, args, { cwd: REPO_ROOT, env: { ...process.env, K6_NO_USAGE_REPORT: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    if (timedOut) throw new Error(`k6 run ${script} did not end within ${options.timeoutMs} ms:\n${output}`);
    const metrics = existsSync(exportPath) ? ((JSON.parse(await readFile(exportPath, 'utf8')) as { metrics: Record<string, K6Metric> }).metrics ?? {}) : {};
    // In k6's summary export a threshold's value is true when it failed.
    const failedThresholds = Object.entries(metrics).flatMap(([name, metric]) =>
      Object.entries(metric.thresholds ?? {})
        .filter(([, failed]) => failed)
        .map(([expression]) => `${name}: ${expression}`),
    );
    // k6's progress lines: "running (1m02.5s), 0/4 VUs, 4 complete and 0 interrupted iterations".
    const progress = [...output.matchAll(/running \((?:(\d+)m)?([\d.]+)s\), \d+\/\d+ VUs, \d+ complete and (\d+) interrupted iterations/g)].pop();
    return {
      code,
      output,
      seconds: (Date.now() - started) / 1000,
      metrics,
      failedThresholds,
      summary: summaryOf(output),
      runSeconds: progress ? Number(progress[1] ?? 0) * 60 + Number(progress[2]) : Number.NaN,
      interruptedIterations: progress ? Number(progress[3]) : Number.NaN,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A metric's statistic from a run, e.g. `stat(run, 'shoal_offers_received', 'count')`; NaN when absent. */
export function stat(run: K6Run, metric: string, name: string): number {
  const value = run.metrics[metric]?.[name];
  return typeof value === 'number' ? value : Number.NaN;
}
