import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { formatDigestTag, parseDigestTag } from '@shoal/protocol';
import { EdgeCache, type EdgeCacheOptions } from '../src/cache/edge-cache.js';

/**
 * The edge in front of origins that write no digests (scripted here: every answer, delay and failure is
 * chosen by the test): which segments get tags, how many times the origin is asked for each, what
 * happens to segments the edge cannot fetch, and that nothing outside the allowed hosts is touched.
 */

const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tagOf = (bytes: Buffer): string => formatDigestTag(new Uint8Array(createHash('sha256').update(bytes).digest()));

interface Route {
  status?: number;
  body?: Buffer | string;
  type?: string;
  headers?: Record<string, string>;
  /** Answer after this long (never, with Infinity). */
  delayMs?: number;
}

/** A static origin whose answers the test writes, counting requests per path (query included). */
async function scriptedOrigin(routes: Map<string, Route>) {
  const requests = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const route = routes.get(path);
    const answer = (): void => {
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      const body = typeof route.body === 'string' ? Buffer.from(route.body) : (route.body ?? Buffer.alloc(0));
      const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ETag: etag }).end();
        return;
      }
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (range && (route.status ?? 200) === 200) {
        const slice = body.subarray(Number(range[1]), Number(range[2]) + 1);
        res.writeHead(206, { 'Content-Type': route.type ?? 'video/mp2t', 'Content-Range': `bytes ${range[1]}-${range[2]}/${body.length}` }).end(slice);
        return;
      }
      res.writeHead(route.status ?? 200, { 'Content-Type': route.type ?? 'video/mp2t', ETag: etag, ...route.headers }).end(body);
    };
    if (route?.delayMs === Infinity) return;
    if (route?.delayMs) setTimeout(answer, route.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, requests, count: (path: string) => requests.get(path) ?? 0, total: () => [...requests.values()].reduce((a, b) => a + b, 0) };
}

async function edgeFor(originUrl: string, options: Partial<EdgeCacheOptions> = {}) {
  const registry = new Registry();
  const cache = new EdgeCache(
    { originUrl, cacheBytes: 64 * 1024 * 1024, maxObjectBytes: 8 * 1024 * 1024, originTimeoutMs: 2_000, staleIfErrorSeconds: 0, pathPrefixes: ['/live/', '/vod/'], corsOrigins: ['*'], ...options },
    registry,
    silent,
  );
  const server = createServer((req, res) => {
    if (!cache.handleRequest(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await cache.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const digests = async (result: string): Promise<number> => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`shoal_edge_segment_digests_total{result="${result}"}`));
    return Number(line?.split(' ').pop());
  };
  return { cache, url, digests };
}

/** The digest written before each URI line of a playlist (undefined where none), by URI. */
function tagsByUri(text: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  let pending: string | undefined;
  for (const line of text.split('\n')) {
    if (parseDigestTag(line)) pending = line;
    else if (line !== '' && !line.startsWith('#')) {
      out.set(line, pending);
      pending = undefined;
    }
  }
  return out;
}

const withoutTags = (text: string): string => text.replace(/^#EXT-X-SHOAL-DIGEST:.*\n/gm, '');

describe('the edge writing digests for an origin that writes none', () => {
  it('tags every segment it can fetch, byte ranges included, and asks the origin once per object', async () => {
    const segments = [0, 1, 2].map(() => randomBytes(100_000));
    const media = randomBytes(50_000);
    const foreign = randomBytes(30_000);
    const routes = new Map<string, Route>();
    const other = await scriptedOrigin(new Map([['/cdn/far.ts', { body: foreign }]]));
    const refusedHost = await scriptedOrigin(new Map([['/x/never.ts', { body: randomBytes(10) }]]));
    const playlist = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MEDIA-SEQUENCE:10',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXTINF:2.0,',
      'seg0.ts',
      '#EXT-X-DISCONTINUITY',
      '#EXTINF:2.0,',
      'seg1.ts?token=abc',
      '#EXTINF:2.0,',
      '/live/s/seg2.ts',
      '#EXTINF:2.0,',
      '#EXT-X-BYTERANGE:20000@100',
      'media.mp4',
      '#EXTINF:2.0,',
      '#EXT-X-BYTERANGE:25000',
      'media.mp4',
      '#EXTINF:2.0,',
      `${other.url}/cdn/far.ts`,
      '#EXTINF:2.0,',
      `http://localhost:${refusedHost.port}/x/never.ts`,
      '#EXTINF:2.0,',
      'gone.ts',
      '#EXTINF:2.0,',
      '/elsewhere/seg.ts',
      '',
    ].join('\n');
    routes.set('/live/s/index.m3u8', { body: playlist, type: 'application/vnd.apple.mpegurl' });
    routes.set('/live/s/init.mp4', { body: randomBytes(700) });
    routes.set('/live/s/seg0.ts', { body: segments[0]! });
    routes.set('/live/s/seg1.ts?token=abc', { body: segments[1]! });
    routes.set('/live/s/seg2.ts', { body: segments[2]! });
    routes.set('/live/s/media.mp4', { body: media });
    routes.set('/elsewhere/seg.ts', { body: randomBytes(10) });
    const origin = await scriptedOrigin(routes);
    const edge = await edgeFor(origin.url, { allowSegmentHosts: [`127.0.0.1:${other.port}`] });

    const first = await fetch(`${edge.url}/live/s/index.m3u8`);
    expect(first.status).toBe(200);
    // The first answer waits for the newest segments, which players of a live stream want first...
    expect(tagsByUri(await first.text()).get(`${other.url}/cdn/far.ts`)).toBe(tagOf(foreign));
    expect(first.headers.get('cache-control')).toBe('no-cache');
    // ... and the older ones follow at once.
    await sleep(300);
    const text = await (await fetch(`${edge.url}/live/s/index.m3u8`)).text();
    // Every line the origin wrote is still there, in order; only digest lines were added.
    expect(withoutTags(text)).toBe(playlist);
    const tags = tagsByUri(text);
    expect(tags.get('seg0.ts')).toBe(tagOf(segments[0]!));
    expect(tags.get('seg1.ts?token=abc')).toBe(tagOf(segments[1]!));
    expect(tags.get('/live/s/seg2.ts')).toBe(tagOf(segments[2]!));
    expect([...text.matchAll(/^#EXT-X-SHOAL-DIGEST:.*\nmedia\.mp4$/gm)].map((m) => m[0].split('\n')[0])).toEqual([
      tagOf(media.subarray(100, 20_100)),
      tagOf(media.subarray(20_100, 45_100)),
    ]);
    expect(tags.get(`${other.url}/cdn/far.ts`)).toBe(tagOf(foreign));
    // Not allowed, missing at the origin, or outside the cached paths: untagged, and the first never asked.
    expect(tags.get(`http://localhost:${refusedHost.port}/x/never.ts`)).toBeUndefined();
    expect(refusedHost.total()).toBe(0);
    expect(tags.get('gone.ts')).toBeUndefined();
    expect(tags.get('/elsewhere/seg.ts')).toBeUndefined();
    expect(origin.count('/elsewhere/seg.ts')).toBe(0);
    // The init segment is for players to fetch; the edge does not hash it.
    expect(origin.count('/live/s/init.mp4')).toBe(0);

    // Players now fetch every segment, several times: the origin already served each object once.
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        ['seg0.ts', 'seg1.ts?token=abc', 'seg2.ts'].map(async (name, i) => {
          const res = await fetch(`${edge.url}/live/s/${name}`);
          expect(Buffer.from(await res.arrayBuffer()).equals(segments[i]!)).toBe(true);
        }),
      );
      const part = await fetch(`${edge.url}/live/s/media.mp4`, { headers: { Range: 'bytes=100-20099' } });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer()).equals(media.subarray(100, 20_100))).toBe(true);
    }
    for (const path of ['/live/s/seg0.ts', '/live/s/seg1.ts?token=abc', '/live/s/seg2.ts', '/live/s/media.mp4']) expect(origin.count(path)).toBe(1);
    expect(other.count('/cdn/far.ts')).toBe(1);
    expect(await edge.digests('hashed')).toBe(6);

    // The missing segment is retried only after a pause; still missing, still untagged.
    const again = await (await fetch(`${edge.url}/live/s/index.m3u8`)).text();
    expect(tagsByUri(again).get('gone.ts')).toBeUndefined();
    expect(origin.count('/live/s/gone.ts')).toBe(1);
    expect(await edge.digests('failed')).toBe(1);
    await sleep(2_100);
    await fetch(`${edge.url}/live/s/index.m3u8`);
    expect(origin.count('/live/s/gone.ts')).toBe(2);
  });

  it('tags a new live segment in the very playlist that first names it', async () => {
    const routes = new Map<string, Route>();
    const head = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n';
    const bodies = [0, 1, 2, 3].map(() => randomBytes(200_000));
    const publish = (count: number): void => {
      let text = head;
      for (let i = 0; i < count; i++) {
        routes.set(`/live/s/seg${i}.ts`, { body: bodies[i]!, delayMs: 50 });
        text += `#EXTINF:2.0,\nseg${i}.ts\n`;
      }
      routes.set('/live/s/index.m3u8', { body: text, type: 'application/vnd.apple.mpegurl' });
    };
    const origin = await scriptedOrigin(routes);
    const edge = await edgeFor(origin.url);
    publish(2);
    expect([...tagsByUri(await (await fetch(`${edge.url}/live/s/index.m3u8`)).text()).values()].every(Boolean)).toBe(true);
    for (const count of [3, 4]) {
      publish(count);
      // Players ask for the new playlist and, at once, the new segment: one origin request between them.
      const [playlist, segment] = await Promise.all([
        fetch(`${edge.url}/live/s/index.m3u8`).then((r) => r.text()),
        sleep(10).then(() => fetch(`${edge.url}/live/s/seg${count - 1}.ts`).then(async (r) => Buffer.from(await r.arrayBuffer()))),
      ]);
      expect(tagsByUri(playlist).get(`seg${count - 1}.ts`)).toBe(tagOf(bodies[count - 1]!));
      expect(segment.equals(bodies[count - 1]!)).toBe(true);
      expect(origin.count(`/live/s/seg${count - 1}.ts`)).toBe(1);
    }
  });

  it('leaves a segment the origin is too slow for untagged without holding the playlist back', async () => {
    const routes = new Map<string, Route>([
      ['/live/s/index.m3u8', { body: '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfast.ts\n#EXTINF:2,\nslow.ts\n#EXTINF:2,\nhung.ts\n', type: 'application/vnd.apple.mpegurl' }],
      ['/live/s/fast.ts', { body: randomBytes(1000) }],
      ['/live/s/slow.ts', { body: randomBytes(1000), delayMs: 1_100 }],
      ['/live/s/hung.ts', { delayMs: Infinity }],
    ]);
    const origin = await scriptedOrigin(routes);
    const edge = await edgeFor(origin.url, { digestWaitMs: 200, originTimeoutMs: 1_500 });
    const started = Date.now();
    const firstResponse = await fetch(`${edge.url}/live/s/index.m3u8`);
    const first = tagsByUri(await firstResponse.text());
    // Held at most digestWaitMs (plus a busy machine's slack), not until the slow one answers at 1.1 s.
    expect(Date.now() - started).toBeLessThan(900);
    expect(first.get('fast.ts')).toBeDefined();
    expect(first.get('slow.ts')).toBeUndefined();
    expect(first.get('hung.ts')).toBeUndefined();
    // The slow segment is hashed after 1.1 s, the silent one given up on after 1.5 s.
    for (let i = 0; i < 60 && (await edge.digests('failed')) < 1; i++) await sleep(100);
    // A player revalidating the untagged copy gets the new one: the validators moved with the tag.
    const laterResponse = await fetch(`${edge.url}/live/s/index.m3u8`, { headers: { 'If-None-Match': firstResponse.headers.get('etag')! } });
    expect(laterResponse.status).toBe(200);
    expect(Date.parse(laterResponse.headers.get('last-modified')!)).toBeGreaterThan(Date.parse(firstResponse.headers.get('last-modified')!));
    const later = tagsByUri(await laterResponse.text());
    expect(later.get('slow.ts')).toBe(tagOf(routes.get('/live/s/slow.ts')!.body as Buffer));
    expect(later.get('hung.ts')).toBeUndefined();
    expect(await edge.digests('failed')).toBe(1);
    // Players still get the slow segment over HTTP.
    expect((await fetch(`${edge.url}/live/s/slow.ts`)).status).toBe(200);
  });

  it('passes playlists that carry digests, and master playlists, through unchanged', async () => {
    const segment = randomBytes(1000);
    const tagged = `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${tagOf(segment)}\nseg.ts\n#EXTINF:2,\nnew.ts\n`;
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n0/index.m3u8\n';
    const origin = await scriptedOrigin(
      new Map<string, Route>([
        ['/vod/t/index.m3u8', { body: tagged, type: 'application/vnd.apple.mpegurl', headers: { 'Cache-Control': 'max-age=5' } }],
        ['/vod/t/master.m3u8', { body: master, type: 'application/vnd.apple.mpegurl' }],
        ['/vod/t/seg.ts', { body: segment }],
        ['/vod/t/new.ts', { body: segment }],
      ]),
    );
    const edge = await edgeFor(origin.url);
    const res = await fetch(`${edge.url}/vod/t/index.m3u8`);
    expect(await res.text()).toBe(tagged);
    expect(res.headers.get('cache-control')).toBe('max-age=5');
    expect(await (await fetch(`${edge.url}/vod/t/master.m3u8`)).text()).toBe(master);
    await sleep(100);
    expect(origin.count('/vod/t/seg.ts') + origin.count('/vod/t/new.ts') + origin.count('/vod/t/0/index.m3u8')).toBe(0);
  });

  it('gives an annotated playlist its own validator, and keeps it while nothing changes', async () => {
    const origin = await scriptedOrigin(
      new Map<string, Route>([
        ['/vod/t/index.m3u8', { body: '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n', type: 'application/vnd.apple.mpegurl', headers: { 'Cache-Control': 'max-age=30' } }],
        ['/vod/t/a.ts', { body: randomBytes(1000) }],
      ]),
    );
    const edge = await edgeFor(origin.url);
    const first = await fetch(`${edge.url}/vod/t/index.m3u8`);
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('max-age=30');
    expect(await first.text()).toContain('#EXT-X-SHOAL-DIGEST:SHA-256=');
    const revalidated = await fetch(`${edge.url}/vod/t/index.m3u8`, { headers: { 'If-None-Match': etag } });
    expect(revalidated.status).toBe(304);
    const head = await fetch(`${edge.url}/vod/t/index.m3u8`, { method: 'HEAD' });
    expect(Number(head.headers.get('content-length'))).toBe((await (await fetch(`${edge.url}/vod/t/index.m3u8`)).text()).length);
  });

  it('writes no digests when told not to', async () => {
    const playlist = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n';
    const origin = await scriptedOrigin(
      new Map<string, Route>([
        ['/live/t/index.m3u8', { body: playlist, type: 'application/vnd.apple.mpegurl' }],
        ['/live/t/a.ts', { body: randomBytes(1000) }],
      ]),
    );
    const edge = await edgeFor(origin.url, { segmentDigests: false });
    expect(await (await fetch(`${edge.url}/live/t/index.m3u8`)).text()).toBe(playlist);
    await sleep(100);
    expect(origin.count('/live/t/a.ts')).toBe(0);
  });
});
