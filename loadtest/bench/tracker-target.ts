// One tracker under test, alone in this process so its CPU time and memory can be measured: `shoal` (our
// edge tracker) or `bittorrent-tracker` (its npm server, WebSocket only). Talks to the parent over IPC:
// 'ready' with the URL, then 'cpu' → CPU seconds, or 'memory' → the same after a forced GC (run with --expose-gc).
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Server } from 'bittorrent-tracker';
import { createEdge, startEdgeServer } from '@shoal/edge';

const kind = process.argv[2];
const gc = (globalThis as { gc?: () => void }).gc;

export interface TargetMeasure {
  readonly type: 'measure';
  /** User + system CPU seconds since the process started. */
  readonly cpuSeconds: number;
  readonly rss: number;
  readonly heapUsed: number;
  /** Memory outside the JS heap that Node accounts for (Buffers). */
  readonly external: number;
}

async function start(): Promise<{ url: string; close: () => Promise<void> }> {
  if (kind === 'shoal') {
    // Limits raised so the load generator's deliberate flood is not refused; everything else as shipped.
    const edge = await createEdge(
      { messagesPerSecond: 1_000_000, messageBurst: 1_000_000 },
      { logger: pino({ level: 'silent' }) },
    );
    const server = await startEdgeServer(edge, 0, '127.0.0.1');
    return { url: server.trackerUrl, close: () => server.close() };
  }
  if (kind === 'bittorrent-tracker') {
    // Its swarms keep 1000 peers by default (an LRU that silently evicts); raised so every peer stays, as in ours.
    const server = new Server({ udp: false, http: false, ws: true, stats: false, peersCacheLength: 1_000_000 });
    server.on('warning', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.http!.address() as AddressInfo).port;
    return { url: `ws://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  throw new Error(`unknown tracker ${kind}`);
}

const target = await start();
process.on('message', (message: { type: string }) => {
  if (message.type === 'memory' || message.type === 'cpu') {
    if (message.type === 'memory') for (let i = 0; i < 3; i++) gc?.();
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const reply: TargetMeasure = { type: 'measure', cpuSeconds: (cpu.user + cpu.system) / 1e6, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external };
    process.send!(reply);
  } else if (message.type === 'stop') {
    void target.close().then(() => process.exit(0));
  }
});
process.send!({ type: 'ready', url: target.url });
