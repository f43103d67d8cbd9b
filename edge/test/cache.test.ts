import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestOrigin, type OriginServer } from '../../test-support/shoal-origin.js';
import { httpRequest } from '../../test-support/http.js';
import { EdgeCache, type EdgeCacheOptions } from '../src/cache/edge-cache.js';

/** The edge cache in front of a real Shoal origin (and, for failure modes, small misbehaving origins). */

const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { server, port, url: `http://127.0.0.1:${port}` };
}

/** A real origin publishing a VOD folder of 1 MB segments. */
async function realOrigin(): Promise<{ origin: OriginServer; files: Map<string, Buffer>; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-edge-cache-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'vod'));
  const files = new Map<string, Buffer>();
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-PLAYLIST-TYPE:VOD'];
  for (let i = 0; i < 4; i++) {
    const bytes = randomBytes(1_000_000);
    files.set(`seg${i}.ts`, bytes);
    await writeFile(join(dir, 'vod', `seg${i}.ts`), bytes);
    lines.push('#EXTINF:2.0,', `seg${i}.ts`);
  }
  await writeFile(join(dir, 'vod', 'index.m3u8'), lines.join('\n') + '\n#EXT-X-ENDLIST\n');
  const origin = await startTestOrigin({ storeDir: join(dir, 'store'), vod: [{ name: 'film', dir: join(dir, 'vod') }] });
  cleanups.push(() => origin.close());
  return { origin, files, dir };
}

async function edgeFor(originUrl: string, options: Partial<EdgeCacheOptions> = {}) {
  const registry = new Registry();
  const cache = new EdgeCache(
    { originUrl, cacheBytes: 64 * 1024 * 1024, maxObjectBytes: 8 * 1024 * 1024, originTimeoutMs: 2_000, staleIfErrorSeconds: 60, pathPrefixes: ['/live/', '/vod/'], corsOrigins: ['*'], ...options },
    registry,
    silent,
  );
  const edge = await listen((req, res) => {
    if (!cache.handleRequest(req, res)) res.writeHead(404).end();
  });
  cleanups.push(() => cache.close());
  const metric = async (name: string): Promise<number> => {
    const text = await registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line?.split(' ').pop() ?? NaN);
  };
  const result = async (kind: string): Promise<number> => {
    const text = await registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`shoal_edge_cache_requests_total{result="${kind}"}`));
    return Number(line?.split(' ').pop());
  };
  return { cache, port: edge.port, metric, result };
}

const get = (port: number, path: string, headers: Record<string, string> = {}, method = 'GET') => httpRequest(`http://127.0.0.1:${port}${path}`, headers, method);

async function originSegmentRequests(origin: OriginServer): Promise<number> {
  const text = await (await fetch(`${origin.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('shoal_origin_requests_total{kind="segment",status="200"}'));
  return Number(line?.split(' ').pop() ?? 0);
}

describe('edge cache', () => {
  it('answers 1,000 simultaneous misses for one segment with exactly one origin request', async () => {
    const { origin, files } = await realOrigin();
    const edge = await edgeFor(origin.url);
    const responses = await Promise.all(Array.from({ length: 1000 }, () => get(edge.port, '/vod/film/seg0.ts')));
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(res.body.equals(files.get('seg0.ts')!)).toBe(true);
    }
    expect(await originSegmentRequests(origin)).toBe(1);
    expect((await edge.result('miss')) + (await edge.result('coalesced')) + (await edge.result('hit'))).toBe(1000);
    expect(await edge.result('miss')).toBe(1);
    expect(await edge.metric('shoal_edge_origin_bytes_total')).toBe(1_000_000);
    expect(await edge.metric('shoal_edge_egress_bytes_total')).toBe(1_000_000_000);
  });

  it('streams a miss to the first client before the origin response ends', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'video/mp2t', 'Content-Length': 2000, 'Cache-Control': 'max-age=60' });
      res.write(Buffer.alloc(1000, 1));
      void released.then(() => res.end(Buffer.alloc(1000, 2)));
    });
    const edge = await edgeFor(slow.url);
    const firstBytes = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: edge.port, path: '/live/x/seg.ts', agent: false }, (res) => {
        res.once('data', (chunk: Buffer) => {
          resolve(chunk.length);
          res.resume();
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(firstBytes).toBeGreaterThan(0);
    release();
  });

  it('evicts by bytes', async () => {
    const { origin } = await realOrigin();
    const edge = await edgeFor(origin.url, { cacheBytes: 2_500_000 });
    for (const i of [0, 1, 2]) expect((await get(edge.port, `/vod/film/seg${i}.ts`)).status).toBe(200);
    expect(edge.cache.bytes).toBeLessThanOrEqual(2_500_000);
    expect(await edge.metric('shoal_edge_cache_bytes')).toBe(2_000_000);
    expect((await get(edge.port, '/vod/film/seg2.ts')).status).toBe(200);
    expect(await originSegmentRequests(origin)).toBe(3);
    expect((await get(edge.port, '/vod/film/seg0.ts')).status).toBe(200);
    expect(await originSegmentRequests(origin)).toBe(4);
  });

  it('serves Range, conditional and HEAD requests from the cache', async () => {
    const { origin, files } = await realOrigin();
    const edge = await edgeFor(origin.url);
    const first = await get(edge.port, '/vod/film/seg1.ts');
    const part = await get(edge.port, '/vod/film/seg1.ts', { Range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.body.equals(files.get('seg1.ts')!.subarray(100, 200))).toBe(true);
    expect((await get(edge.port, '/vod/film/seg1.ts', { Range: 'bytes=2000000-' })).status).toBe(416);
    const notModified = await get(edge.port, '/vod/film/seg1.ts', { 'If-None-Match': String(first.headers.etag) });
    expect(notModified.status).toBe(304);
    const head = await get(edge.port, '/vod/film/seg1.ts', {}, 'HEAD');
    expect(head.headers['content-length']).toBe('1000000');
    expect(head.body.length).toBe(0);
    expect(await originSegmentRequests(origin)).toBe(1);
    expect(await edge.result('hit')).toBe(4);
  });

  it('serves a stale copy while the origin is down, then 502; errors never enter the cache', async () => {
    let down = false;
    let version = 1;
    const flaky = await listen((req, res) => {
      if (down) {
        res.writeHead(503).end('down');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'public, max-age=1, stale-if-error=2', ETag: `"v${version}"` });
      res.end(`#EXTM3U\n# version ${version} ${req.url}\n`);
    });
    const edge = await edgeFor(flaky.url);
    expect((await get(edge.port, '/live/s/index.m3u8')).body.toString()).toContain('version 1');
    down = true;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const stale = await get(edge.port, '/live/s/index.m3u8');
    expect(stale.status).toBe(200);
    expect(stale.body.toString()).toContain('version 1');
    expect(await edge.result('stale')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const gone = await get(edge.port, '/live/s/index.m3u8');
    expect(gone.status).toBe(502);
    expect(JSON.parse(gone.body.toString()).error.code).toBe('SHOAL_ERR_BAD_GATEWAY');
    expect((await get(edge.port, '/live/s/never-cached.m3u8')).status).toBe(502);
    down = false;
    version = 2;
    const back = await get(edge.port, '/live/s/index.m3u8');
    expect(back.status).toBe(200);
    expect(back.body.toString()).toContain('version 2');
  });

  it('maps an unreachable origin to 502 and a silent one to 504', async () => {
    const unreachable = await edgeFor('http://127.0.0.1:9');
    const refused = await get(unreachable.port, '/live/a/seg.ts');
    expect(refused.status).toBe(502);
    const silent = await listen(() => undefined);
    const edge = await edgeFor(silent.url, { originTimeoutMs: 300 });
    const timeout = await get(edge.port, '/live/a/seg.ts');
    expect(timeout.status).toBe(504);
    expect(JSON.parse(timeout.body.toString()).error.code).toBe('SHOAL_ERR_ORIGIN_TIMEOUT');
    expect(edge.cache.bytes).toBe(0);
  });

  it('streams objects above the size bound through without caching them', async () => {
    const { origin, files } = await realOrigin();
    const edge = await edgeFor(origin.url, { maxObjectBytes: 500_000 });
    for (let i = 0; i < 2; i++) {
      const res = await get(edge.port, '/vod/film/seg3.ts');
      expect(res.body.equals(files.get('seg3.ts')!)).toBe(true);
    }
    expect(await originSegmentRequests(origin)).toBe(2);
    expect(edge.cache.bytes).toBe(0);
  });

  it('passes origin 404s through and refuses other methods', async () => {
    const { origin } = await realOrigin();
    const edge = await edgeFor(origin.url);
    expect((await get(edge.port, '/vod/film/nope.ts')).status).toBe(404);
    expect((await get(edge.port, '/vod/film/seg0.ts', {}, 'POST')).status).toBe(405);
  });

  it('answers CORS for player pages itself, preflights included', async () => {
    const { origin } = await realOrigin();
    const edge = await edgeFor(origin.url, { corsOrigins: ['https://player.example'] });
    const preflight = await get(edge.port, '/vod/film/seg0.ts', { Origin: 'https://player.example', 'Access-Control-Request-Method': 'GET' }, 'OPTIONS');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://player.example');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('Range');
    const allowed = await get(edge.port, '/vod/film/seg0.ts', { Origin: 'https://player.example' });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://player.example');
    // The cached copy must not carry CORS meant for another page.
    const other = await get(edge.port, '/vod/film/seg0.ts', { Origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
