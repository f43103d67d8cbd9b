import { describe, expect, it } from 'vitest';
import { OriginError } from '../errors.js';
import { annotateWithDigests, isMasterPlaylist, parseMediaPlaylist, renderMediaPlaylist, validateMasterPlaylist } from './media-playlist.js';

const LIVE = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:7
#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:14.000+0000
#EXTINF:2.000000,
seg_7.ts
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:16.000+0000
#EXTINF:1.960000,
seg_8.ts
`;

describe('parseMediaPlaylist', () => {
  it('keeps per-segment tags with their segment and playlist tags apart', () => {
    const playlist = parseMediaPlaylist(LIVE);
    expect(playlist.targetDuration).toBe(2);
    expect(playlist.mediaSequence).toBe(7);
    expect(playlist.endList).toBe(false);
    expect(playlist.headerTags).toEqual(['#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS']);
    expect(playlist.segments.map((s) => s.uri)).toEqual(['seg_7.ts', 'seg_8.ts']);
    expect(playlist.segments[1]!.duration).toBeCloseTo(1.96);
    expect(playlist.segments[1]!.tags).toEqual(['#EXT-X-DISCONTINUITY', '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:16.000+0000']);
  });

  it('resolves byte ranges, implicit offsets included, and carries EXT-X-MAP to every segment', () => {
    const playlist = parseMediaPlaylist(`#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="main.mp4",BYTERANGE="700@0"
#EXTINF:4.0,
#EXT-X-BYTERANGE:1000@700
main.mp4
#EXTINF:4.0,
#EXT-X-BYTERANGE:1200
main.mp4
#EXT-X-ENDLIST
`);
    expect(playlist.endList).toBe(true);
    expect(playlist.segments.map((s) => s.byteRange)).toEqual([
      { length: 1000, offset: 700 },
      { length: 1200, offset: 1700 },
    ]);
    expect(playlist.segments.every((s) => s.map === '#EXT-X-MAP:URI="main.mp4",BYTERANGE="700@0"')).toBe(true);
  });

  it.each([
    ['not a playlist', 'hello'],
    ['no target duration', '#EXTM3U\n#EXTINF:2,\na.ts\n'],
    ['URI without EXTINF', '#EXTM3U\n#EXT-X-TARGETDURATION:2\na.ts\n'],
    ['duration above target', '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:5,\na.ts\n'],
    ['non-numeric EXTINF', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:abc,\na.ts\n'],
    ['bad byte range', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-BYTERANGE:x@y\na.ts\n'],
    ['implicit offset on first range', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-BYTERANGE:10\na.ts\n'],
    ['NUL byte', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na\0.ts\n'],
    ['master given as media', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n'],
  ])('refuses %s with SHOAL_ERR_BAD_PLAYLIST', (_name, text) => {
    let caught: unknown;
    try {
      parseMediaPlaylist(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OriginError);
    expect((caught as OriginError).code).toBe('SHOAL_ERR_BAD_PLAYLIST');
  });
});

describe('renderMediaPlaylist', () => {
  it('renders digests before URIs and sticky tags once, where they change', () => {
    const playlist = parseMediaPlaylist(
      '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2,\na.m4s\n#EXTINF:2,\nb.m4s\n',
    );
    const text = renderMediaPlaylist({
      ...playlist,
      mediaSequence: 41,
      segments: playlist.segments.map((s, i) => ({ ...s, digestTag: `#EXT-X-SHOAL-DIGEST:SHA-256=${'A'.repeat(42)}${i}` })),
    });
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:41',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:2,',
        `#EXT-X-SHOAL-DIGEST:SHA-256=${'A'.repeat(42)}0`,
        'a.m4s',
        '#EXTINF:2,',
        `#EXT-X-SHOAL-DIGEST:SHA-256=${'A'.repeat(42)}1`,
        'b.m4s',
        '',
      ].join('\n'),
    );
    // What we render parses back to the same segments.
    expect(parseMediaPlaylist(text).segments.map((s) => s.uri)).toEqual(['a.m4s', 'b.m4s']);
  });
});

describe('annotateWithDigests', () => {
  it('inserts one digest per segment, keeps everything else, and never doubles digests', () => {
    const tags = ['#EXT-X-SHOAL-DIGEST:SHA-256=one', undefined];
    const once = annotateWithDigests(LIVE, tags);
    expect(once).toContain('#EXTINF:2.000000,\n#EXT-X-SHOAL-DIGEST:SHA-256=one\nseg_7.ts');
    expect(once).toContain('#EXTINF:1.960000,\nseg_8.ts');
    expect(annotateWithDigests(once, tags)).toBe(once);
    expect(once.replace('#EXT-X-SHOAL-DIGEST:SHA-256=one\n', '')).toBe(LIVE);
  });
});

describe('master playlists', () => {
  it('tells master from media and validates masters', () => {
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n0/index.m3u8\n';
    expect(isMasterPlaylist(master)).toBe(true);
    expect(isMasterPlaylist(LIVE)).toBe(false);
    expect(() => validateMasterPlaylist(master)).not.toThrow();
    expect(() => validateMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=1x1\n0.m3u8\n')).toThrow(OriginError);
  });
});
