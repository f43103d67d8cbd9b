import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { HttpLoadResult } from './http-load.js';
import { freePort } from '../../test-support/free-port.js';
import { machineFacts } from './machine.js';

/**
 * `npm run bench:edge`: the Shoal edge cache and nginx (Debian's, started here on loopback, serving the
 * same 1 MB segment files) under the same load generator — 100 concurrent keep-alive connections — with
 * requests/s and MB/s side by side; then the coalescing check: 1,000 simultaneous misses for one segment
 * through the edge, counted at the origin.
 */

const root = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const SEGMENTS = 20;
const CONNECTIONS = 100;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await fetch(url).catch(() => undefined))?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

function start(command: string, args: string[]): ChildProcess {
  return spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

/** The load generator runs in its own process, so it does not share an event loop with what it measures. */
async function load(baseUrl: string, paths: string[]): Promise<HttpLoadResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', root('loadtest/bench/http-load.ts'), JSON.stringify({ baseUrl, paths, connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: 2 })], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as HttpLoadResult;
}

async function originSegmentRequests(originUrl: string): Promise<number> {
  const text = await (await fetch(`${originUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('shoal_origin_requests_total{kind="segment"'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

export interface EdgeBenchResult {
  readonly edge: HttpLoadResult;
  readonly nginx: HttpLoadResult;
  readonly nginxAuto: HttpLoadResult;
  readonly coalescing: { readonly clients: number; readonly originRequests: number; readonly allComplete: boolean };
}

/** Starts Debian's nginx on loopback serving `dir/vod` with sendfile, drives it, and stops it. */
async function runNginx(dir: string, port: number, workers: string, paths: string[]): Promise<HttpLoadResult> {
  const home = join(dir, `nginx-${workers}`);
  await mkdir(join(home, 'logs'), { recursive: true });
  await writeFile(
    join(home, 'nginx.conf'),
    `worker_processes ${workers};
daemon off;
pid ${join(home, 'nginx.pid')};
error_log ${join(home, 'logs', 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  types { video/mp2t ts; application/vnd.apple.mpegurl m3u8; }
  client_body_temp_path ${home};
  proxy_temp_path ${home};
  fastcgi_temp_path ${home};
  uwsgi_temp_path ${home};
  scgi_temp_path ${home};
  server {
    listen 127.0.0.1:${port};
    location /vod/ { alias ${join(dir, 'vod')}/; }
  }
}
`,
  );
  const nginx = start('/usr/sbin/nginx', ['-p', home, '-c', join(home, 'nginx.conf')]);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/vod/film/index.m3u8`);
    return await load(`http://127.0.0.1:${port}`, paths);
  } finally {
    await stop(nginx);
  }
}

export async function benchEdge(): Promise<EdgeBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-bench-edge-'));
  // nginx workers drop root and must be able to read the files.
  await chmod(dir, 0o755);
  const children: ChildProcess[] = [];
  try {
    const vod = join(dir, 'vod', 'film');
    await mkdir(vod, { recursive: true });
    const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:4', '#EXT-X-PLAYLIST-TYPE:VOD'];
    for (let i = 0; i < SEGMENTS; i++) {
      await writeFile(join(vod, `seg${i}.ts`), randomBytes(1_000_000));
      lines.push('#EXTINF:4.0,', `seg${i}.ts`);
    }
    await writeFile(join(vod, 'index.m3u8'), lines.join('\n') + '\n#EXT-X-ENDLIST\n');
    await writeFile(join(vod, 'coalesce.ts'), randomBytes(1_000_000));
    const paths = Array.from({ length: SEGMENTS }, (_, i) => `/vod/film/seg${i}.ts`);

    const [originPort, edgePort, nginxPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const originUrl = `http://127.0.0.1:${originPort}`;
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    children.push(start(process.execPath, [root('origin/dist/cli.js'), '--host', '127.0.0.1', '--port', String(originPort), '--store', join(dir, 'store'), '--vod', `film=${vod}`, '--log-level', 'warn']));
    await waitForHttp(`${originUrl}/healthz`);
    children.push(start(process.execPath, [root('edge/dist/cli.js'), '--host', '127.0.0.1', '--port', String(edgePort), '--origin', originUrl, '--log-level', 'warn']));
    await waitForHttp(`${edgeUrl}/healthz`);

    const edge = await load(edgeUrl, paths);
    // nginx with one worker (the single core the edge's event loop gets), then with one per core.
    const nginx = await runNginx(dir, nginxPort, '1', paths);
    const nginxAuto = await runNginx(dir, nginxPort, 'auto', paths);

    const before = await originSegmentRequests(originUrl);
    const responses = await Promise.all(
      Array.from({ length: 1000 }, () =>
        fetch(`${edgeUrl}/vod/film/coalesce.ts`).then(async (res) => res.status === 200 && (await res.arrayBuffer()).byteLength === 1_000_000),
      ),
    );
    const originRequests = (await originSegmentRequests(originUrl)) - before;
    return { edge, nginx, nginxAuto, coalescing: { clients: 1000, originRequests, allComplete: responses.every(Boolean) } };
  } finally {
    for (const child of children.reverse()) await stop(child);
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatEdgeBench(result: EdgeBenchResult): string {
  const row = (name: string, r: HttpLoadResult): string =>
    `  ${name.padEnd(26)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s ${r.megabytesPerSecond.toFixed(0).padStart(7)} MB/s   p50 ${r.p50Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  errors ${r.errors}`;
  return [
    `Edge cache vs nginx: 1 MB segments, ${CONNECTIONS} keep-alive connections, ${SECONDS} s (${machineFacts()})`,
    row('Shoal edge cache', result.edge),
    row('nginx (1 worker, sendfile)', result.nginx),
    row('nginx (auto workers)', result.nginxAuto),
    `  edge / nginx throughput: ${((result.edge.megabytesPerSecond / result.nginx.megabytesPerSecond) * 100).toFixed(0)} % of 1 worker, ${((result.edge.megabytesPerSecond / result.nginxAuto.megabytesPerSecond) * 100).toFixed(0)} % of auto  (target ≥ 80 %)`,
    `  coalescing: ${result.coalescing.clients} simultaneous misses → ${result.coalescing.originRequests} origin request(s); all complete: ${result.coalescing.allComplete}`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(formatEdgeBench(await benchEdge()));
}
