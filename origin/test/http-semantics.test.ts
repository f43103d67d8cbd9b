import HLS from 'hls-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestsOf, rawRequest, sha256Base64Url, startTestOrigin, tempDir, type TestOrigin } from './helpers.js';
import { writeVodFixture } from './vod-fixture.js';

let vodDir: Awaited<ReturnType<typeof tempDir>>;
let storeDir: Awaited<ReturnType<typeof tempDir>>;
let files: Record<string, Buffer>;
let open: TestOrigin;
let restricted: TestOrigin;

beforeAll(async () => {
  vodDir = await tempDir('vod');
  storeDir = await tempDir('store');
  files = await writeVodFixture(vodDir.path);
  open = await startTestOrigin({ storeDir: storeDir.path, vod: [{ name: 'movie', dir: vodDir.path }] });
  restricted = await startTestOrigin({
    storeDir: storeDir.path,
    vod: [{ name: 'movie', dir: vodDir.path }],
    corsOrigins: ['https://player.example'],
  });
});

afterAll(async () => {
  await open?.close();
  await restricted?.close();
  await vodDir?.remove();
  await storeDir?.remove();
});

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(open.port, 'GET', path, headers);

describe('VOD publishing', () => {
  it.each([
    ['MPEG-TS', 'ts/index.m3u8', 'ts'],
    ['fMP4 with EXT-X-MAP', 'video/stream.m3u8', 'video'],
    ['WebVTT', 'subs/en.m3u8', 'subs'],
  ])('%s: every segment carries the SHA-256 of the bytes served', async (_name, playlistPath, dir) => {
    const res = await get(`/vod/movie/${playlistPath}`);
    expect(res.status).toBe(200);
    const text = res.body.toString();
    const parsed = HLS.parse(text) as HLS.types.MediaPlaylist;
    expect(parsed.segments.length).toBeGreaterThan(0);
    const digests = digestsOf(text);
    expect(digests.size).toBe(parsed.segments.length);
    for (const segment of parsed.segments) {
      const served = await get(`/vod/movie/${dir}/${segment.uri}`);
      expect(served.status).toBe(200);
      expect(served.body.equals(files[`${dir}/${segment.uri}`]!)).toBe(true);
      expect(digests.get(segment.uri)).toBe(sha256Base64Url(served.body));
    }
  });

  it('digests byte-range segments over exactly their range', async () => {
    const text = (await get('/vod/movie/single/index.m3u8')).body.toString();
    const digestLines = text.split('\n').filter((line) => line.startsWith('#EXT-X-SHOAL-DIGEST'));
    expect(digestLines).toHaveLength(2);
    const ranges = [
      [1000, 2499],
      [2500, 4999],
    ] as const;
    for (const [i, [start, end]] of ranges.entries()) {
      const part = await get('/vod/movie/single/main.mp4', { Range: `bytes=${start}-${end}` });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes ${start}-${end}/5000`);
      expect(digestLines[i]).toBe(`#EXT-X-SHOAL-DIGEST:SHA-256=${sha256Base64Url(part.body)}`);
    }
  });

  it('publishes the master as written and leaves a malformed playlist unpublished', async () => {
    const master = await get('/vod/movie/master.m3u8');
    expect(master.status).toBe(200);
    expect(master.body.equals(files['master.m3u8']!)).toBe(true);
    expect((await get('/vod/movie/broken.m3u8')).status).toBe(404);
    const listing = JSON.parse((await get('/streams')).body.toString()) as { vod: { name: string; playlists: string[] }[] };
    expect(listing.vod[0]!.playlists.sort()).toEqual(['master.m3u8', 'single/index.m3u8', 'subs/en.m3u8', 'ts/index.m3u8', 'video/stream.m3u8']);
  });
});

describe('HTTP semantics', () => {
  it('sends content types and cache headers by kind', async () => {
    const cases: [string, string, string][] = [
      ['/vod/movie/ts/index.m3u8', 'application/vnd.apple.mpegurl', 'public, max-age=86400'],
      ['/vod/movie/ts/seg_0.ts', 'video/mp2t', 'public, max-age=31536000, immutable'],
      ['/vod/movie/video/seg_1.m4s', 'video/iso.segment', 'public, max-age=31536000, immutable'],
      ['/vod/movie/video/init.mp4', 'video/mp4', 'public, max-age=31536000, immutable'],
      ['/vod/movie/subs/en_0.vtt', 'text/vtt; charset=utf-8', 'public, max-age=31536000, immutable'],
    ];
    for (const [path, type, cache] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toBe(type);
      expect(res.headers['cache-control'], path).toBe(cache);
      expect(res.headers.etag, path).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(res.headers['last-modified'], path).toBeDefined();
    }
  });

  it('answers 304 to If-None-Match and If-Modified-Since', async () => {
    for (const path of ['/vod/movie/ts/seg_1.ts', '/vod/movie/ts/index.m3u8']) {
      const first = await get(path);
      const byTag = await get(path, { 'If-None-Match': String(first.headers.etag) });
      expect(byTag.status).toBe(304);
      expect(byTag.body.length).toBe(0);
      expect(byTag.headers.etag).toBe(first.headers.etag);
      const byDate = await get(path, { 'If-Modified-Since': String(first.headers['last-modified']) });
      expect(byDate.status).toBe(304);
      const changed = await get(path, { 'If-None-Match': '"something-else"' });
      expect(changed.status).toBe(200);
    }
  });

  it('answers 206 to satisfiable ranges and 416 to unsatisfiable ones', async () => {
    const whole = files['ts/seg_2.ts']!;
    const part = await get('/vod/movie/ts/seg_2.ts', { Range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.body.equals(whole.subarray(100, 200))).toBe(true);
    expect(part.headers['content-length']).toBe('100');
    const tail = await get('/vod/movie/ts/seg_2.ts', { Range: 'bytes=-10' });
    expect(tail.body.equals(whole.subarray(whole.length - 10))).toBe(true);
    const beyond = await get('/vod/movie/ts/seg_2.ts', { Range: `bytes=${whole.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${whole.length}`);
    const stale = await get('/vod/movie/ts/seg_2.ts', { Range: 'bytes=0-9', 'If-Range': '"old"' });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(whole.length);
  });

  it('answers HEAD with headers only', async () => {
    const res = await rawRequest(open.port, 'HEAD', '/vod/movie/ts/seg_0.ts');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(files['ts/seg_0.ts']!.length));
    expect(res.body.length).toBe(0);
  });

  it('answers CORS preflights, for any origin by default and only listed ones when restricted', async () => {
    const preflight = { Origin: 'https://player.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' };
    const any = await rawRequest(open.port, 'OPTIONS', '/vod/movie/ts/seg_0.ts', preflight);
    expect(any.status).toBe(204);
    expect(any.headers['access-control-allow-origin']).toBe('*');
    expect(String(any.headers['access-control-allow-headers'])).toContain('Range');
    const listed = await rawRequest(restricted.port, 'OPTIONS', '/vod/movie/ts/seg_0.ts', preflight);
    expect(listed.status).toBe(204);
    expect(listed.headers['access-control-allow-origin']).toBe('https://player.example');
    const other = await rawRequest(restricted.port, 'OPTIONS', '/vod/movie/ts/seg_0.ts', { ...preflight, Origin: 'https://evil.example' });
    expect(other.status).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await rawRequest(restricted.port, 'GET', '/vod/movie/ts/seg_0.ts', { Origin: 'https://player.example' });
    expect(simple.headers['access-control-allow-origin']).toBe('https://player.example');
    expect(String(simple.headers['access-control-expose-headers'])).toContain('Content-Range');
    expect(String(simple.headers.vary)).toContain('Origin');
  });

  it('refuses other methods, unknown types and missing objects with coded errors', async () => {
    const post = await rawRequest(open.port, 'POST', '/vod/movie/ts/seg_0.ts', {}, 'x');
    expect(post.status).toBe(405);
    expect(JSON.parse(post.body.toString()).error.code).toBe('SHOAL_ERR_METHOD_NOT_ALLOWED');
    expect((await get('/vod/movie/ts/seg_9.ts')).status).toBe(404);
    expect((await get('/vod/movie/ts/notes.txt')).status).toBe(404);
    expect((await get('/vod/nosuch/index.m3u8')).status).toBe(404);
    const traversal = await get('/vod/movie/%2e%2e/%2e%2e/etc/passwd.ts');
    expect(traversal.status).toBe(400);
    expect(JSON.parse(traversal.body.toString()).error.code).toBe('SHOAL_ERR_BAD_PATH');
  });

  it('exports request and egress metrics and health', async () => {
    const metrics = (await get('/metrics')).body.toString();
    expect(metrics).toMatch(/shoal_origin_requests_total\{kind="segment",status="200"\} [1-9]/);
    expect(metrics).toMatch(/shoal_origin_requests_total\{kind="segment",status="206"\} [1-9]/);
    expect(metrics).toMatch(/shoal_origin_egress_bytes_total\{kind="segment"\} [1-9]/);
    expect(metrics).toMatch(/shoal_origin_streams 1/);
    expect(metrics).toContain('shoal_origin_ingest_bytes_total 0');
    expect(metrics).toContain('process_cpu_seconds_total');
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body.toString()).status).toBe('ok');
  });
});
