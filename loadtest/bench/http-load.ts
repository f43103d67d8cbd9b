import { connect, type Socket } from 'node:net';

export interface HttpLoadResult {
  readonly requests: number;
  readonly bytes: number;
  readonly errors: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * A closed-loop HTTP/1.1 load generator: `connections` keep-alive sockets, each sending the next GET as
 * soon as the previous response's Content-Length bytes arrived, for `seconds` after a warm-up. It speaks
 * just enough HTTP over raw sockets to stay cheap: with Node's full HTTP client the generator itself was
 * the bottleneck at about 350 MB/s. The same generator drives every server compared, on loopback only.
 */
export async function runHttpLoad(options: {
  readonly baseUrl: string;
  readonly paths: readonly string[];
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
}): Promise<HttpLoadResult> {
  const base = new URL(options.baseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) throw new Error('load tests target loopback only');
  let measuring = false;
  let stopping = false;
  let requests = 0;
  let bytes = 0;
  let errors = 0;
  const latencies: number[] = [];
  const sockets: Socket[] = [];
  const workers = Array.from({ length: options.connections }, (_, index) =>
    new Promise<void>((resolve) => {
      const socket = connect(Number(base.port), base.hostname.replace(/^\[|\]$/g, ''));
      sockets.push(socket);
      let n = index;
      let head: Buffer = Buffer.alloc(0);
      let remaining = -1;
      let status = 0;
      let started = 0;
      const send = (): void => {
        started = performance.now();
        socket.write(`GET ${options.paths[n++ % options.paths.length]} HTTP/1.1\r\nHost: ${base.host}\r\n\r\n`);
      };
      const finish = (): void => {
        if (measuring) {
          requests++;
          latencies.push(performance.now() - started);
          if (status !== 200) errors++;
        }
        remaining = -1;
        if (stopping) socket.end();
        else send();
      };
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        let body = chunk;
        if (remaining < 0) {
          head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          const text = head.subarray(0, end).toString('latin1');
          status = Number(text.slice(9, 12));
          remaining = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
          body = head.subarray(end + 4);
          head = Buffer.alloc(0);
        }
        remaining -= body.length;
        if (measuring) bytes += body.length;
        if (remaining <= 0) finish();
      });
      socket.on('error', () => {
        if (measuring) errors++;
      });
      socket.on('close', () => resolve());
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000));
  measuring = true;
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  measuring = false;
  const seconds = (performance.now() - start) / 1000;
  stopping = true;
  // Sockets end after their response in flight; give them a moment, then cut the rest.
  const timer = setTimeout(() => sockets.forEach((socket) => socket.destroy()), 5_000);
  await Promise.all(workers);
  clearTimeout(timer);
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests,
    bytes,
    errors,
    seconds,
    requestsPerSecond: requests / seconds,
    megabytesPerSecond: bytes / seconds / 1e6,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

// Run as a child process: `tsx http-load.ts '<json options>'` prints the result as JSON.
if (process.argv[1]?.endsWith('http-load.ts') && process.argv[2]) {
  runHttpLoad(JSON.parse(process.argv[2]) as Parameters<typeof runHttpLoad>[0]).then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (error: unknown) => {
      process.stderr.write(String(error));
      process.exit(1);
    },
  );
}
