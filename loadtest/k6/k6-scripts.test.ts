import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * k6 cannot be installed here, so its scripts are checked by construction: TypeScript type-checks them
 * against @types/k6, and each declares thresholds and the settings users pass with -e.
 */

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const SCRIPTS = ['viewers.js', 'tracker.js', 'stats.js'];

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
      const broken = (await readFile(join(here, 'viewers.js'), 'utf8')).replace("http.get(masterUrl, { tags: { kind: 'playlist' } })", "http.get(masterUrl, { tags: { kind: 'playlist' }, timeout: [] })");
      expect(broken).toContain('timeout: []');
      await writeFile(join(dir, 'viewers.js'), broken);
      const result = await typecheck(dir);
      expect(result.ok).toBe(false);
      expect(result.output).toContain('viewers.js');
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

  it('covers every script in the folder', async () => {
    const scripts = (await readdir(here)).filter((file) => file.endsWith('.js')).sort();
    expect(scripts).toEqual([...SCRIPTS].sort());
  });
});
