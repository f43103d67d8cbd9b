import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findK6 } from './harness/k6.js';

/**
 * The k6 scripts by construction: TypeScript type-checks them against @types/k6, each declares thresholds
 * and documents the settings users pass with -e, and the oldest k6 we support compiles them (`k6 inspect`).
 * viewers.test.ts, tracker.test.ts and stats.test.ts run them for real.
 */

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const SCRIPTS = ['viewers.js', 'tracker.js', 'stats.js'];
const found = findK6();
if (!found.k6) console.warn(`k6 inspect skipped: ${found.why}`);

/** `k6 inspect`: k6 compiles the script and evaluates its options, as `k6 run` does first. */
async function inspect(dir: string, script: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run(found.k6!.path, ['inspect', join(dir, script)], { cwd: dir, env: { ...process.env, K6_NO_USAGE_REPORT: 'true' } });
    return { ok: true, output: stdout };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? String(error)}` };
  }
}

async function typecheck(dir: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir });
    return { ok: true, output: stdout };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

describe('k6 scripts', () => {
  it('type-check against @types/k6', async () => {
    const result = await typecheck(here);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('fail the type check when they misuse the k6 API (the check can fail)', async () => {
    const dir = await mkdtemp(join(here, '.typecheck-'));
    try {
      await copyFile(join(here, 'tsconfig.json'), join(dir, 'tsconfig.json'));
      await mkdir(join(dir, 'lib'));
      await copyFile(join(here, 'lib', 'run-time.js'), join(dir, 'lib', 'run-time.js'));
      const broken = (await readFile(join(here, 'viewers.js'), 'utf8')).replace("http.get(masterUrl, { tags: { kind: 'playlist' } })", "http.get(masterUrl, { tags: { kind: 'playlist' }, timeout: [] })");
      expect(broken).toContain('timeout: []');
      await writeFile(join(dir, 'viewers.js'), broken);
      const result = await typecheck(dir);
      expect(result.ok).toBe(false);
      expect(result.output).toContain('viewers.js');
      expect(result.output).toContain("Type 'undefined[]' is not assignable to type 'string | number'");
      // The intact copy passes, so the failure is the misuse alone.
      await writeFile(join(dir, 'viewers.js'), await readFile(join(here, 'viewers.js'), 'utf8'));
      expect((await typecheck(dir)).ok).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(SCRIPTS)('%s is an ES module with options, thresholds, a default function and documented settings', async (name) => {
    const text = await readFile(join(here, name), 'utf8');
    expect(text).toMatch(/^export const options = \{/m);
    expect(text).toMatch(/thresholds: \{/);
    expect(text).toMatch(/^export default function/m);
    expect(text).not.toMatch(/\brequire\(/);
    expect(text).toContain(`k6 run loadtest/k6/${name}`);
    const header = text.slice(0, text.indexOf('\nimport '));
    expect(header.split('\n').every((line) => line.startsWith('//'))).toBe(true);
    for (const variable of text.matchAll(/__ENV\.([A-Z0-9_]+)/g)) expect(header, `${variable[1]} documented in the header`).toContain(variable[1]!);
  });

  it.skipIf(!found.k6).each(SCRIPTS)(`%s compiles under k6 v${found.k6?.version ?? '?'}, with its scenario and thresholds`, async (name) => {
    const result = await inspect(here, name);
    expect(result.output).not.toContain('level=error');
    expect(result.ok).toBe(true);
    const options = JSON.parse(result.output) as { scenarios: Record<string, unknown>; thresholds: Record<string, unknown> };
    expect(Object.keys(options.scenarios)).toHaveLength(1);
    expect(Object.keys(options.thresholds).length).toBeGreaterThanOrEqual(4);
  });

  it.skipIf(!found.k6)('k6 inspect refuses syntax the oldest supported k6 does not have (the check can fail)', async () => {
    const dir = await mkdtemp(join(here, '.inspect-'));
    try {
      await mkdir(join(dir, 'lib'));
      await copyFile(join(here, 'lib', 'run-time.js'), join(dir, 'lib', 'run-time.js'));
      // An optional catch binding (ES2019): k6 v0.48 stops with a SyntaxError.
      const broken = (await readFile(join(here, 'tracker.js'), 'utf8')).replace('} catch (_error) {\n          announceFailed', '} catch {\n          announceFailed');
      expect(broken).toContain('} catch {');
      await writeFile(join(dir, 'tracker.js'), broken);
      const result = await inspect(dir, 'tracker.js');
      expect(result.ok).toBe(false);
      expect(result.output).toContain('SyntaxError');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('covers every script in the folder', async () => {
    const scripts = (await readdir(here)).filter((file) => file.endsWith('.js')).sort();
    expect(scripts).toEqual([...SCRIPTS].sort());
  });
});
