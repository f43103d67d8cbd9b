import { execFile, spawn } from 'node:child_process';

/** Runs a command to completion; rejects with its stderr in the message when it fails. */
export function run(command: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, [...args], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Like `run`, but a failure is not an error (cleanup of things that may already be gone). */
export async function runQuietly(command: string, args: readonly string[]): Promise<boolean> {
  try {
    await run(command, args);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command inside a network namespace. */
export function runIn(namespace: string, command: string, args: readonly string[], input?: string): Promise<string> {
  return run('ip', ['netns', 'exec', namespace, command, ...args], input);
}

/** Names of the network namespaces on this machine. */
export async function listNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/** Process ids running inside a network namespace. */
export async function namespacePids(namespace: string): Promise<number[]> {
  try {
    const out = await run('ip', ['netns', 'pids', namespace]);
    return out
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills every process in a namespace (TERM, then KILL after `graceMs`) and deletes the namespace. */
export async function removeNamespace(namespace: string, graceMs = 1500): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = await namespacePids(namespace);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    const until = Date.now() + graceMs;
    while (Date.now() < until && (await namespacePids(namespace)).length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await runQuietly('ip', ['netns', 'del', namespace]);
}

export { spawn };
