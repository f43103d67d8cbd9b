import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, startEdgeProcess, type Child, type EdgeProcess } from '../../../edge/test/processes.js';
import { REPO_ROOT } from './k6.js';

export { startEdgeProcess, type EdgeProcess };

export interface OriginProcess {
  readonly child: Child;
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

/** `shoal-origin` as users run it (the compiled CLI) on a free loopback port, with live ingest on and a throwaway store. */
export async function startOriginProcess(): Promise<OriginProcess> {
  const store = await mkdtemp(join(tmpdir(), 'shoal-k6-origin-'));
  const token = `k6-ingest-${Date.now()}`;
  const child = startChild(process.execPath, [join(REPO_ROOT, 'origin/dist/cli.js'), '--port', '0', '--host', '127.0.0.1', '--store', store, '--ingest-token', token, '--dvr-seconds', '12']);
  try {
    const line = await child.line((l) => l.includes('"origin listening"'), 15_000);
    const { url } = JSON.parse(line) as { url: string };
    return {
      child,
      url,
      token,
      async close() {
        await child.stop();
        await rm(store, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await child.kill();
    await rm(store, { recursive: true, force: true });
    throw error;
  }
}
