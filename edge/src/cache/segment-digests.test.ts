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
