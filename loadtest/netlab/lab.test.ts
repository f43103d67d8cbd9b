import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { namespacePids } from './commands.js';
import { namespacesWithPrefix, NetLab, routerRules, sweepStaleLabs } from './lab.js';
import { homeSpecs } from './netlab-run.js';

const HOLD = fileURLToPath(new URL('./hold-lab.ts', import.meta.url));

function startHolder(): { child: ChildProcess; prefix: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLD], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const prefix = new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`lab holder exited with ${code}: ${stderr}`)));
  });
  return { child, prefix };
}

/** Whether a process runs (a zombie waiting for its new parent to reap it does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

describe('network lab', () => {
  it('writes a router ruleset that drops unsolicited inbound traffic and picks the NAT kind', () => {
    const eim = routerRules('wan0', 'lan0', 'eim');
    expect(eim).toContain('policy drop');
    expect(eim).toContain('ct state established,related accept');
    expect(eim).toMatch(/oifname "wan0" masquerade\n/);
    expect(routerRules('wan0', 'lan0', 'sym')).toContain('masquerade fully-random');
    expect(homeSpecs({ homes: 6, nat: 'mixed', uplink: '2mbit', downlink: '20mbit' }).map((h) => h.nat)).toEqual(['eim', 'eim', 'eim', 'eim', 'sym', 'sym']);
  });

  it('refuses a malformed rate before creating anything', async () => {
    await expect(NetLab.create([{ nat: 'eim', uplink: '2 megabits', downlink: '20mbit' }])).rejects.toThrow('rate must look like');
  });

  it('removes its namespaces and processes when its process gets SIGTERM', async () => {
    const { child, prefix } = startHolder();
    const made = await prefix;
    const namespaces = await namespacesWithPrefix(made);
    expect(namespaces).toHaveLength(5); // internet, 2 routers, 2 homes
    expect((await Promise.all(namespaces.map(namespacePids))).flat().length).toBeGreaterThan(0);
    child.kill('SIGTERM');
    await exited(child);
    expect(await namespacesWithPrefix(made)).toEqual([]);
  });

  it('leaves nothing behind a run killed with SIGKILL once the next run sweeps', async () => {
    const { child, prefix } = startHolder();
    const made = await prefix;
    child.kill('SIGKILL');
    await exited(child);
    // A killed process cleans nothing: its namespaces, and the process it started inside, are still there…
    const left = await namespacesWithPrefix(made);
    expect(left).toHaveLength(5);
    const orphans = (await Promise.all(left.map(namespacePids))).flat();
    expect(orphans.length).toBeGreaterThan(0);
    // …until the sweep every lab run starts with.
    const swept = await sweepStaleLabs();
    expect(swept).toEqual(expect.arrayContaining(left));
    expect(await namespacesWithPrefix(made)).toEqual([]);
    for (const pid of orphans) expect(running(pid)).toBe(false);
  });
});
