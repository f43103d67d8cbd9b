import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest, tempDir, waitFor } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

let running: ChildProcess | undefined;
afterEach(() => {
  running?.kill('SIGKILL');
  running = undefined;
});

describe('shoal-origin command line', () => {
  it('prints its help and exits 0', async () => {
    const cli = run(['--help']);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('Usage: shoal-origin');
    expect(cli.output()).toContain('--ingest-token');
    expect(cli.output()).toContain('SHOAL_DVR_SECONDS');
  });

  it.each([
    [['--bogus'], 'Unknown option'],
    [['--port', 'abc'], '--port takes a number'],
    [['--vod', 'nodir'], '--vod takes <name>=<dir>'],
    [['--log-level', 'loud'], '--log-level must be one of'],
  ])('refuses %j with exit 2 and a clear message', async (args, message) => {
    const cli = run(args);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain(message);
  });

  it('takes settings from SHOAL_* variables and shuts down gracefully on SIGTERM', async () => {
    const store = await tempDir('cli');
    try {
      const cli = run(['--port', '0', '--host', '127.0.0.1'], {
        SHOAL_STORE_DIR: store.path,
        SHOAL_INGEST_TOKEN: 'cli-token-123456',
        SHOAL_LOG_LEVEL: 'info',
      });
      running = cli.child;
      const url = await waitFor('the listening log line', async () => /"url":"(http:[^"]+)"/.exec(cli.output())?.[1], 15_000, 50);
      const port = Number(new URL(url).port);
      expect(cli.output()).toContain(`"store":"${store.path}"`);
      const put = await rawRequest(port, 'PUT', '/ingest/cam/a.ts', { Authorization: 'Bearer cli-token-123456' }, 'bytes');
      expect(put.status).toBe(201);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toContain('"msg":"stopped"');
    } finally {
      await store.remove();
    }
  });
});
