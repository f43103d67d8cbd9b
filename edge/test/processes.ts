import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { freePort } from '../../test-support/free-port.js';

export { freePort };

export const EDGE_CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface Child {
  readonly process: ChildProcess;
  readonly output: string[];
  /** Resolves with the first output line that matches. */
  line(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  kill(): Promise<void>;
}

export function startChild(command: string, args: readonly string[]): Child {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue;
      output.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    process: child,
    output,
    line(match, timeoutMs) {
      const seen = output.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching output within ${timeoutMs} ms:\n${output.join('\n')}`)), timeoutMs);
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`process exited before the expected output:\n${output.join('\n')}`));
        });
      });
    },
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A throwaway redis-server on a free loopback port, without persistence. */
export async function startRedis(): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = startChild('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no']);
  await child.line((line) => line.includes('Ready to accept connections'), 10_000);
  return { url: `redis://127.0.0.1:${port}`, child };
}

export interface EdgeProcess {
  readonly child: Child;
  readonly url: string;
  readonly trackerUrl: string;
}

/** `shoal-edge` as users run it (the compiled CLI), listening on a free port. */
export async function startEdgeProcess(args: readonly string[]): Promise<EdgeProcess> {
  const child = startChild(process.execPath, [EDGE_CLI, '--port', '0', '--host', '127.0.0.1', ...args]);
  const line = await child.line((l) => l.includes('"edge listening"'), 15_000);
  const { url, tracker } = JSON.parse(line) as { url: string; tracker: string };
  return { child, url, trackerUrl: tracker };
}
