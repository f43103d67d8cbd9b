import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import HLS from 'hls-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestsOf, listFiles, rawRequest, sha256Base64Url, startTestOrigin, tempDir, TOKEN, type TestOrigin } from './helpers.js';

let store: Awaited<ReturnType<typeof tempDir>>;
let origin: TestOrigin;
const auth = { Authorization: `Bearer ${TOKEN}` };

beforeEach(async () => {
  store = await tempDir('ingest');
  origin = await startTestOrigin({ storeDir: store.path, ingestToken: TOKEN, maxSegmentBytes: 100_000, dvrSeconds: 6 });
});

afterEach(async () => {
  await origin.close();
  await store.remove();
});

const put = (path: string, body: Buffer | string, headers: Record<string, string | number> = auth) =>
  rawRequest(origin.port, 'PUT', `/ingest/${path}`, headers, body);

function playlist(first: number, count: number): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${first}`];
  for (let i = first; i < first + count; i++) lines.push(`#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:${String(2 * i).padStart(2, '0')}.000Z`, '#EXTINF:2.000,', `seg${i}.ts`);
  return lines.join('\n') + '\n';
}

/** Uploads segments first..first+count-1 and then the playlist naming them, as an encoder does. */
async function pushSegments(first: number, count: number): Promise<Map<string, Buffer>> {
  const bytes = new Map<string, Buffer>();
  for (let i = first; i < first + count; i++) {
    const body = randomBytes(4000 + i);
    bytes.set(`seg${i}.ts`, body);
    expect((await put(`news/seg${i}.ts`, body)).status).toBe(201);
  }
  expect((await put('news/index.m3u8', playlist(first, count))).status).toBe(201);
  return bytes;
}

const served = async (path: string) => rawRequest(origin.port, 'GET', `/live/${path}`);

describe('live ingest over HTTP', () => {
  it('publishes uploaded segments with digests and short cache lifetimes', async () => {
    const bytes = await pushSegments(0, 3);
    const res = await served('news/index.m3u8');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=1');
    const text = res.body.toString();
    const parsed = HLS.parse(text) as HLS.types.MediaPlaylist;
    expect(parsed.segments.map((s) => s.uri)).toEqual(['seg0.ts', 'seg1.ts', 'seg2.ts']);
    expect(parsed.segments[1]!.programDateTime?.toISOString()).toBe('2026-01-01T00:00:02.000Z');
    const digests = digestsOf(text);
    for (const [name, body] of bytes) {
      const segment = await served(`news/${name}`);
      expect(segment.body.equals(body)).toBe(true);
      expect(digests.get(name)).toBe(sha256Base64Url(body));
    }
  });

  it('accepts the token in the path for encoders that cannot send headers', async () => {
    const res = await rawRequest(origin.port, 'PUT', `/ingest/_token/${TOKEN}/news/seg0.ts`, {}, randomBytes(100));
    expect(res.status).toBe(201);
    expect((await served('news/seg0.ts')).status).toBe(200);
  });

  it('slides the window and deletes segments that left it, after a grace of a few segments', async () => {
    await pushSegments(0, 3);
    for (let first = 1; first <= 10; first++) await pushSegments(first + 2, 1).then(() => put('news/index.m3u8', playlist(first, 3)));
    const parsed = HLS.parse((await served('news/index.m3u8')).body.toString()) as HLS.types.MediaPlaylist;
    // dvrSeconds 6 with 2 s segments keeps 3 segments.
    expect(parsed.segments.map((s) => s.uri)).toEqual(['seg10.ts', 'seg11.ts', 'seg12.ts']);
    expect(parsed.mediaSequenceBase).toBe(10);
    // Six expired segments stay for players on older playlists; older ones are gone.
    expect((await served('news/seg9.ts')).status).toBe(200);
    expect((await served('news/seg4.ts')).status).toBe(200);
    expect((await served('news/seg3.ts')).status).toBe(404);
    expect((await served('news/seg0.ts')).status).toBe(404);
  });

  it('removes a deleted segment from the playlist and answers 404 for it', async () => {
    await pushSegments(0, 3);
    const del = await rawRequest(origin.port, 'DELETE', '/ingest/news/seg0.ts', auth);
    expect(del.status).toBe(204);
    expect((await served('news/seg0.ts')).status).toBe(404);
    const parsed = HLS.parse((await served('news/index.m3u8')).body.toString()) as HLS.types.MediaPlaylist;
    expect(parsed.segments.map((s) => s.uri)).toEqual(['seg1.ts', 'seg2.ts']);
    expect((await rawRequest(origin.port, 'DELETE', '/ingest/news/seg0.ts', auth)).status).toBe(404);
  });

  it('never names a segment it does not have', async () => {
    expect((await put('news/seg0.ts', randomBytes(1000))).status).toBe(201);
    expect((await put('news/index.m3u8', playlist(0, 2))).status).toBe(201);
    let parsed = HLS.parse((await served('news/index.m3u8')).body.toString()) as HLS.types.MediaPlaylist;
    expect(parsed.segments.map((s) => s.uri)).toEqual(['seg0.ts']);
    expect((await put('news/seg1.ts', randomBytes(1000))).status).toBe(201);
    expect((await put('news/index.m3u8', playlist(0, 2))).status).toBe(201);
    parsed = HLS.parse((await served('news/index.m3u8')).body.toString()) as HLS.types.MediaPlaylist;
    expect(parsed.segments.map((s) => s.uri)).toEqual(['seg0.ts', 'seg1.ts']);
  });

  it('publishes a master playlist and lists the stream', async () => {
    await pushSegments(0, 1);
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=640x360\nindex.m3u8\n';
    expect((await put('news/master.m3u8', master)).status).toBe(201);
    const res = await served('news/master.m3u8');
    expect(res.body.toString()).toBe(master);
    expect(res.headers['cache-control']).toBe('public, max-age=1');
    const listing = JSON.parse((await rawRequest(origin.port, 'GET', '/streams')).body.toString());
    expect(listing.live).toEqual([{ name: 'news', masters: ['master.m3u8'], media: ['index.m3u8'] }]);
    const metrics = (await rawRequest(origin.port, 'GET', '/metrics')).body.toString();
    expect(metrics).toMatch(/shoal_origin_ingest_bytes_total [1-9]/);
    expect(metrics).toMatch(/shoal_origin_requests_total\{kind="ingest",status="201"\} 3/);
  });

  it('keeps its live streams across a restart', async () => {
    const bytes = await pushSegments(0, 3);
    const before = (await served('news/index.m3u8')).body.toString();
    await origin.close();
    origin = await startTestOrigin({ storeDir: store.path, ingestToken: TOKEN, maxSegmentBytes: 100_000, dvrSeconds: 6 });
    expect((await served('news/index.m3u8')).body.toString()).toBe(before);
    expect((await served('news/seg1.ts')).body.equals(bytes.get('seg1.ts')!)).toBe(true);
    await pushSegments(3, 1).then(() => put('news/index.m3u8', playlist(1, 3)));
    const parsed = HLS.parse((await served('news/index.m3u8')).body.toString()) as HLS.types.MediaPlaylist;
    expect(parsed.segments.map((s) => s.uri)).toEqual(['seg0.ts', 'seg1.ts', 'seg2.ts', 'seg3.ts'].slice(-3));
    expect(parsed.mediaSequenceBase).toBe(1);
  });
});

describe('bad ingest input gets a clear 4xx and changes nothing', () => {
  async function expectRefused(
    status: number,
    code: string,
    send: () => Promise<{ status: number; body: Buffer }>,
  ): Promise<void> {
    const filesBefore = await listFiles(store.path);
    const playlistBefore = (await served('news/index.m3u8')).body.toString();
    const res = await send();
    expect(res.status).toBe(status);
    if (res.body.length > 0) expect(JSON.parse(res.body.toString()).error.code).toBe(code);
    expect(await listFiles(store.path)).toEqual(filesBefore);
    expect((await served('news/index.m3u8')).body.toString()).toBe(playlistBefore);
  }

  beforeEach(async () => {
    await pushSegments(0, 2);
  });

  it.each([
    '/ingest/news/../../../tmp/evil.ts',
    '/ingest/news/%2e%2e/%2e%2e/evil.ts',
    '/ingest/news/..%2f..%2fevil.ts',
    '/ingest/news/a%2fb.ts',
    '/ingest/news/..%5cevil.ts',
    '/ingest//etc/evil.ts',
    '/ingest/%2fetc/evil.ts',
    '/ingest/news/.hidden.ts',
    '/ingest/news/x%00.ts',
  ])('path traversal %s → 400', async (path) => {
    await expectRefused(400, 'SHOAL_ERR_BAD_PATH', () => rawRequest(origin.port, 'PUT', path, auth, randomBytes(100)));
  });

  it('unknown file type → 415', async () => {
    await expectRefused(415, 'SHOAL_ERR_UNSUPPORTED_TYPE', () => put('news/run.sh', 'echo hi'));
    await expectRefused(415, 'SHOAL_ERR_UNSUPPORTED_TYPE', () => put('news/noextension', 'x'));
  });

  it('missing token → 401 with a challenge; wrong token → 403', async () => {
    const filesBefore = await listFiles(store.path);
    const missing = await put('news/seg9.ts', randomBytes(100), {});
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toContain('Bearer');
    await expectRefused(403, 'SHOAL_ERR_FORBIDDEN', () => put('news/seg9.ts', randomBytes(100), { Authorization: 'Bearer wrong-token-xxxxxx' }));
    await expectRefused(403, 'SHOAL_ERR_FORBIDDEN', () => put('news/seg9.ts', randomBytes(100), { Authorization: 'Basic dXNlcjpwYXNz' }));
    await expectRefused(403, 'SHOAL_ERR_FORBIDDEN', () => rawRequest(origin.port, 'PUT', '/ingest/_token/wrong/news/seg9.ts', {}, 'x'));
    await expectRefused(401, 'SHOAL_ERR_UNAUTHORIZED', () => rawRequest(origin.port, 'DELETE', '/ingest/news/seg0.ts'));
    expect(await listFiles(store.path)).toEqual(filesBefore);
  });

  it('oversized bodies → 413, declared or chunked', async () => {
    await expectRefused(413, 'SHOAL_ERR_TOO_LARGE', () => put('news/big.ts', randomBytes(150_000)));
    await expectRefused(413, 'SHOAL_ERR_TOO_LARGE', () =>
      rawRequest(origin.port, 'PUT', '/ingest/news/big.ts', { ...auth, 'Transfer-Encoding': 'chunked' }, randomBytes(150_000)),
    );
    await expectRefused(413, 'SHOAL_ERR_TOO_LARGE', () => put('news/index.m3u8', '#EXTM3U\n' + '#'.repeat(1_100_000)));
  });

  it('malformed playlists → 400, the previous playlist stays', async () => {
    for (const body of ['not a playlist', '#EXTM3U\n#EXTINF:2,\nseg0.ts\n', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nhttp://elsewhere.example/seg.ts\n', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n../../seg.ts\n']) {
      await expectRefused(400, 'SHOAL_ERR_BAD_PLAYLIST', () => put('news/index.m3u8', body));
    }
  });

  it('wrong methods → 405', async () => {
    await expectRefused(405, 'SHOAL_ERR_METHOD_NOT_ALLOWED', () => rawRequest(origin.port, 'GET', '/ingest/news/seg0.ts', auth));
  });

  it('a PUT that stops half way publishes nothing and leaves no partial file', async () => {
    const filesBefore = await listFiles(store.path);
    const socket = connect(origin.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `PUT /ingest/news/seg7.ts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    socket.write('1000\r\n' + 'a'.repeat(0x1000) + '\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    // Give the server time to notice the reset and clean up.
    for (let i = 0; i < 50 && (await listFiles(store.path)).length !== filesBefore.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await listFiles(store.path)).toEqual(filesBefore);
    expect((await served('news/seg7.ts')).status).toBe(404);
    // A declared length that never arrives is the same.
    const second = connect(origin.port, '127.0.0.1');
    await new Promise<void>((resolve) => second.once('connect', () => resolve()));
    second.write(`PUT /ingest/news/seg8.ts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 5000\r\n\r\n` + 'b'.repeat(1000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    second.destroy();
    for (let i = 0; i < 50 && (await listFiles(store.path)).length !== filesBefore.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await listFiles(store.path)).toEqual(filesBefore);
    expect((await served('news/seg8.ts')).status).toBe(404);
  });

  it('ingest is refused altogether without a configured token', async () => {
    const other = await startTestOrigin({ storeDir: store.path });
    try {
      const filesBefore = await listFiles(store.path);
      const res = await rawRequest(other.port, 'PUT', '/ingest/news/seg5.ts', auth, 'x');
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body.toString()).error.code).toBe('SHOAL_ERR_INGEST_DISABLED');
      expect(await listFiles(store.path)).toEqual(filesBefore);
    } finally {
      await other.close();
    }
  });
});
