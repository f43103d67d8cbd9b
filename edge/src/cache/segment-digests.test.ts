import { describe, expect, it } from 'vitest';
import { SegmentDigests } from './segment-digests.js';

const digests = (originUrl: string, allowedHosts: string[] = []): SegmentDigests =>
  new SegmentDigests(
    { originUrl, pathPrefixes: ['/live/', '/vod/'], allowedHosts, waitMs: 0, maxConcurrent: 1, retryMs: 1000, maxEntries: 10, now: () => 0 },
    { fromOrigin: () => Promise.resolve(undefined), fromHost: () => Promise.resolve(undefined) },
  );

describe('where the edge fetches a segment a playlist names', () => {
  it('maps relative and same-host URIs to edge paths, under an origin base path too', () => {
    const plain = digests('http://origin.internal:8080');
    expect(plain.sourceOf('/live/s/index.m3u8?token=1', 'seg1.ts?k=2')).toEqual({ kind: 'origin', key: '/live/s/seg1.ts?k=2' });
    expect(plain.sourceOf('/live/s/index.m3u8', '../t/seg1.ts')).toEqual({ kind: 'origin', key: '/live/t/seg1.ts' });
    expect(plain.sourceOf('/live/s/index.m3u8', 'http://origin.internal:8080/vod/a/b.ts')).toEqual({ kind: 'origin', key: '/vod/a/b.ts' });
    const based = digests('http://origin.internal/hls');
    expect(based.sourceOf('/live/s/index.m3u8', 'seg1.ts')).toEqual({ kind: 'origin', key: '/live/s/seg1.ts' });
    expect(based.sourceOf('/live/s/index.m3u8', '/other/seg1.ts').kind).toBe('refused');
  });

  it('refuses paths outside the cached prefixes, other schemes, and hosts not allowed', () => {
    const edge = digests('http://origin.internal:8080', ['media.cdn.example', '127.0.0.1:9000']);
    expect(edge.sourceOf('/live/s/index.m3u8', '/private/seg.ts')).toMatchObject({ kind: 'refused' });
    expect(edge.sourceOf('/live/s/index.m3u8', 'ftp://origin.internal/live/seg.ts')).toMatchObject({ kind: 'refused' });
    expect(edge.sourceOf('/live/s/index.m3u8', 'data:video/mp2t;base64,AAAA')).toMatchObject({ kind: 'refused' });
    expect(edge.sourceOf('/live/s/index.m3u8', 'https://evil.example/seg.ts')).toMatchObject({ kind: 'refused', reason: 'host not allowed' });
    expect(edge.sourceOf('/live/s/index.m3u8', 'https://origin.internal:8080/live/s/seg.ts')).toMatchObject({ kind: 'refused' });
    expect(edge.sourceOf('/live/s/index.m3u8', 'https://media.cdn.example/a/seg.ts')).toEqual({ kind: 'host', url: 'https://media.cdn.example/a/seg.ts' });
    expect(edge.sourceOf('/live/s/index.m3u8', 'http://media.cdn.example:81/a/seg.ts')).toMatchObject({ kind: 'host' });
    expect(edge.sourceOf('/live/s/index.m3u8', 'http://127.0.0.1:9000/a/seg.ts')).toMatchObject({ kind: 'host' });
    expect(edge.sourceOf('/live/s/index.m3u8', 'http://127.0.0.1:9001/a/seg.ts')).toMatchObject({ kind: 'refused' });
  });
});

describe('the order and pace of segment fetches', () => {
  /** A loader whose answers the test releases one by one. */
  function controlledLoader() {
    const asked: string[] = [];
    const pending = new Map<string, (body: Buffer | undefined) => void>();
    return {
      asked,
      release(key: string, body: Buffer | undefined): void {
        pending.get(key)!(body);
        pending.delete(key);
      },
      loader: {
        fromOrigin: (key: string) =>
          new Promise<Buffer | undefined>((resolve) => {
            asked.push(key);
            pending.set(key, resolve);
          }),
        fromHost: () => Promise.resolve(undefined),
      },
    };
  }
  const live = (first: number, count: number): string =>
    '#EXTM3U\n#EXT-X-TARGETDURATION:2\n' + Array.from({ length: count }, (_, i) => `#EXTINF:2,\nseg${first + i}.ts\n`).join('');
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('fetches the newest live segments first, a few at a time, and each once', async () => {
    let now = 0;
    const control = controlledLoader();
    const digests = new SegmentDigests(
      { originUrl: 'http://o', pathPrefixes: ['/live/'], allowedHosts: [], waitMs: 0, maxConcurrent: 2, retryMs: 1000, maxEntries: 100, now: () => now },
      control.loader,
    );
    await digests.annotate('/live/s/index.m3u8', live(0, 5));
    expect(control.asked).toEqual(['/live/s/seg4.ts', '/live/s/seg3.ts']);
    control.release('/live/s/seg4.ts', Buffer.from('four'));
    await flush();
    expect(control.asked).toEqual(['/live/s/seg4.ts', '/live/s/seg3.ts', '/live/s/seg2.ts']);
    // A new playlist names seg5: it jumps the queue of older ones.
    await digests.annotate('/live/s/index.m3u8', live(1, 5));
    control.release('/live/s/seg3.ts', Buffer.from('three'));
    await flush();
    expect(control.asked.slice(3)).toEqual(['/live/s/seg5.ts']);
    for (const key of ['/live/s/seg2.ts', '/live/s/seg5.ts']) control.release(key, Buffer.from(key));
    await flush();
    for (const key of ['/live/s/seg1.ts']) control.release(key, undefined);
    await flush();
    // seg0 left the playlist but was still queued: it is fetched all the same, once.
    expect(control.asked.filter((k) => k === '/live/s/seg0.ts')).toHaveLength(1);
    control.release('/live/s/seg0.ts', Buffer.from('zero'));
    await flush();
    const text = (await digests.annotate('/live/s/index.m3u8', live(1, 5))).text!;
    expect(text.match(/#EXT-X-SHOAL-DIGEST/g)).toHaveLength(4);
    expect(text).toContain('#EXTINF:2,\nseg1.ts'); // failed: untagged...
    expect(control.asked.filter((k) => k === '/live/s/seg1.ts')).toHaveLength(1); // ...and not retried before retryMs
    now += 1000;
    await digests.annotate('/live/s/index.m3u8', live(1, 5));
    expect(control.asked.filter((k) => k === '/live/s/seg1.ts')).toHaveLength(2);
    for (const key of ['/live/s/seg2.ts', '/live/s/seg3.ts', '/live/s/seg4.ts', '/live/s/seg5.ts']) expect(control.asked.filter((k) => k === key)).toHaveLength(1);
    digests.close();
  });

  it('holds a playlist answer no longer than waitMs after a fetch started', async () => {
    const control = controlledLoader();
    const digests = new SegmentDigests(
      { originUrl: 'http://o', pathPrefixes: ['/live/'], allowedHosts: [], waitMs: 150, maxConcurrent: 4, retryMs: 1000, maxEntries: 100, now: () => Date.now() },
      control.loader,
    );
    const started = Date.now();
    const answer = await digests.annotate('/live/s/index.m3u8', live(0, 1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(answer).toMatchObject({ complete: false });
    // Released in time, the digest is in the answer.
    const second = digests.annotate('/live/s/index.m3u8', live(0, 2));
    setTimeout(() => control.release('/live/s/seg1.ts', Buffer.from('one')), 20);
    expect((await second).text).toContain('#EXT-X-SHOAL-DIGEST:SHA-256=');
    digests.close();
  });
});
