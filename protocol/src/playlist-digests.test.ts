import { describe, expect, it } from 'vitest';
import { annotateWithDigests, scanMediaPlaylist } from './playlist-digests.js';

const LIVE = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:7
#EXTINF:2.000000,
seg_7.ts
#EXT-X-DISCONTINUITY
#EXTINF:1.960000,
https://cdn.example/other/seg_8.ts?token=abc
`;

const FMP4_RANGES = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"
#EXTINF:2.0,
#EXT-X-BYTERANGE:1000@720
media.mp4
#EXTINF:2.0,
#EXT-X-BYTERANGE:1200
media.mp4
#EXTINF:2.0,
#EXT-X-BYTERANGE:500
other.mp4
#EXT-X-ENDLIST
`;

describe('scanMediaPlaylist', () => {
  it('lists segment URIs in order, absolute ones as written, and tells live from VOD', () => {
    const scanned = scanMediaPlaylist(LIVE)!;
    expect(scanned.segments).toEqual([{ uri: 'seg_7.ts' }, { uri: 'https://cdn.example/other/seg_8.ts?token=abc' }]);
    expect(scanned.live).toBe(true);
    expect(scanned.hasDigests).toBe(false);
  });

  it('reads byte ranges: explicit offsets, continuations of the same URI, and 0 for a new URI', () => {
    const scanned = scanMediaPlaylist(FMP4_RANGES)!;
    expect(scanned.segments).toEqual([
      { uri: 'media.mp4', byteRange: { offset: 720, length: 1000 } },
      { uri: 'media.mp4', byteRange: { offset: 1720, length: 1200 } },
      { uri: 'other.mp4', byteRange: { offset: 0, length: 500 } },
    ]);
    expect(scanned.live).toBe(false);
  });

  it('notices digest tags already present', () => {
    const tagged = annotateWithDigests(LIVE, ['#EXT-X-SHOAL-DIGEST:SHA-256=x', undefined]);
    expect(scanMediaPlaylist(tagged)!.hasDigests).toBe(true);
  });

  it('answers undefined for master playlists and for what is not a playlist', () => {
    expect(scanMediaPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n0/index.m3u8\n')).toBeUndefined();
    expect(scanMediaPlaylist('<html>not a playlist</html>')).toBeUndefined();
    expect(scanMediaPlaylist('#EXTM3U\nseg.ts\n')).toBeUndefined();
    expect(scanMediaPlaylist('#EXTM3U\n' + 'x'.repeat(5 * 1024 * 1024))).toBeUndefined();
  });

  it('accepts CRLF line ends and a byte-order mark', () => {
    expect(scanMediaPlaylist('\uFEFF#EXTM3U\r\n#EXT-X-TARGETDURATION:2\r\n#EXTINF:2,\r\na.ts\r\n')!.segments).toEqual([{ uri: 'a.ts' }]);
  });
});

describe('annotateWithDigests', () => {
  it('puts each tag just before its URI and keeps every other line', () => {
    const out = annotateWithDigests(FMP4_RANGES, ['#EXT-X-SHOAL-DIGEST:SHA-256=a', undefined, '#EXT-X-SHOAL-DIGEST:SHA-256=c']);
    expect(out).toContain('#EXT-X-BYTERANGE:1000@720\n#EXT-X-SHOAL-DIGEST:SHA-256=a\nmedia.mp4');
    expect(out).toContain('#EXT-X-BYTERANGE:1200\nmedia.mp4');
    expect(out).toContain('#EXT-X-BYTERANGE:500\n#EXT-X-SHOAL-DIGEST:SHA-256=c\nother.mp4');
    expect(out.replace(/#EXT-X-SHOAL-DIGEST:[^\n]*\n/g, '')).toBe(FMP4_RANGES);
  });
});
