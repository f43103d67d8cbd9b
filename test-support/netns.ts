import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A network namespace of the test's own, with a private address on its loopback device: processes run in
 * it see a LAN-like, non-loopback address (browsers treat http:// there as an insecure context), and
 * nothing in it can reach or disturb the host's network. Needs root and iproute2. Removed by `remove()`,
 * on process exit, and before creation if a killed run left it behind.
 */
export interface TestNamespace {
  readonly name: string;
  readonly address: string;
  /** Starts a process inside the namespace. */
  spawn(command: string, args: readonly string[], options?: Parameters<typeof spawn>[2]): ChildProcess;
  /** Runs a command inside the namespace to completion and returns its stdout. */
  run(command: string, args: readonly string[]): string;
  /** A script that runs `executable` inside the namespace (for launchers that take an executable path). */
  wrapper(executable: string): string;
  remove(): void;
}

export function createTestNamespace(name: string, address: string): TestNamespace {
  if (!/^[a-z0-9-]{1,15}$/.test(name)) throw new Error(`bad namespace name ${name}`);
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const children = new Set<ChildProcess>();
  const remove = (): void => {
    for (const child of children) child.kill('SIGKILL');
    try {
      ip('netns', 'del', name);
    } catch {
      // not there
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    ip('netns', 'del', name);
  } catch {
    // no leftover
  }
  ip('netns', 'add', name);
  process.once('exit', remove);
  try {
    ip('-n', name, 'link', 'set', 'lo', 'up');
    ip('-n', name, 'addr', 'add', `${address}/32`, 'dev', 'lo');
  } catch (error) {
    remove();
    throw error;
  }
  return {
    name,
    address,
    spawn(command, args, options = {}) {
      const child = spawn('ip', ['netns', 'exec', name, command, ...args], options);
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    run(command, args) {
      return execFileSync('ip', ['netns', 'exec', name, command, ...args], { encoding: 'utf8', timeout: 30_000 });
    },
    wrapper(executable) {
      const path = join(dir, `${executable.split('/').pop()}-in-${name}`);
      writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${name} ${executable} "$@"\n`);
      chmodSync(path, 0o755);
      return path;
    },
    remove: () => {
      process.off('exit', remove);
      remove();
    },
  };
}
