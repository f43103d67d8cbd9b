import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atLeast, findK6 } from './k6.js';

/** Stand-ins for k6 that print a version, to pin which one the test suite and benchmarks pick. */
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-find-k6-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fakeK6(path: string, version: string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\necho "k6 v${version} (go1.19.8, linux/amd64)"\n`);
  await chmod(path, 0o755);
  return path;
}

describe('findK6', () => {
  it('takes SHOAL_K6 first, then k6 on PATH, then ../shared/tools/k6 beside the project', async () => {
    const root = join(dir, 'project');
    const shared = await fakeK6(join(dir, 'shared', 'tools', 'k6'), '0.48.0');
    const onPath = await fakeK6(join(dir, 'bin', 'k6'), '0.52.0');
    const explicit = await fakeK6(join(dir, 'explicit', 'k6'), '1.0.0');
    expect(findK6({ SHOAL_K6: explicit, PATH: join(dir, 'bin') }, root).k6).toEqual({ path: explicit, version: '1.0.0' });
    expect(findK6({ PATH: join(dir, 'bin') }, root).k6).toEqual({ path: onPath, version: '0.52.0' });
    expect(findK6({ PATH: '' }, root).k6).toEqual({ path: shared, version: '0.48.0' });
  });

  it('passes over a k6 older than v0.48.0 or one that does not run, and says what it tried', async () => {
    const root = join(dir, 'project');
    const old = await fakeK6(join(dir, 'bin', 'k6'), '0.47.0');
    await mkdir(join(dir, 'broken'));
    await writeFile(join(dir, 'broken', 'k6'), 'not a program');
    const result = findK6({ SHOAL_K6: join(dir, 'broken', 'k6'), PATH: join(dir, 'bin') }, root);
    expect(result.k6).toBeUndefined();
    expect(result.why).toContain(`${join(dir, 'broken', 'k6')} (does not run)`);
    expect(result.why).toContain(`${old} (v0.47.0, older than v0.48.0)`);
    expect(result.why).toContain(`${join(dir, 'shared', 'tools', 'k6')} (missing)`);
    expect(result.why).toContain('SHOAL_K6');
  });

  it('compares versions numerically', () => {
    expect(atLeast('0.48.0', '0.48.0')).toBe(true);
    expect(atLeast('0.100.0', '0.48.0')).toBe(true);
    expect(atLeast('1.0.0', '0.48.0')).toBe(true);
    expect(atLeast('0.47.9', '0.48.0')).toBe(false);
  });
});
