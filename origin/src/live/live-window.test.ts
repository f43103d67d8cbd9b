import { describe, expect, it } from 'vitest';
import { parseMediaPlaylist, type PlaylistSegment } from '../playlist/media-playlist.js';
import { LiveWindow, type SegmentLookup } from './live-window.js';

function encoderPlaylist(first: number, count: number, options: { duration?: number; target?: number } = {}): string {
  const duration = options.duration ?? 2;
  const lines = ['#EXTM3U', `#EXT-X-TARGETDURATION:${options.target ?? 2}`, `#EXT-X-MEDIA-SEQUENCE:${first}`];
  for (let i = first; i < first + count; i++) lines.push(`#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`, `#EXTINF:${duration},`, `s${i}.ts`);
  return lines.join('\n') + '\n';
}

/** A lookup over a set of uploaded files, as the store would answer. */
function storeWith(files: Set<string>): SegmentLookup {
  return async (segment: PlaylistSegment) =>
    files.has(segment.uri) ? { file: [segment.uri], digestTag: `#EXT-X-SHOAL-DIGEST:SHA-256=${segment.uri}` } : undefined;
}

describe('LiveWindow', () => {
  it('publishes only uploaded segments and picks the missing ones up once they arrive', async () => {
    const window = new LiveWindow({ dvrSeconds: 60, minSegments: 3 });
    const files = new Set(['s0.ts', 's1.ts']);
    await window.apply(parseMediaPlaylist(encoderPlaylist(0, 3)), storeWith(files));
    expect(parseMediaPlaylist(window.render()).segments.map((s) => s.uri)).toEqual(['s0.ts', 's1.ts']);
    files.add('s2.ts');
    files.add('s3.ts');
    await window.apply(parseMediaPlaylist(encoderPlaylist(1, 3)), storeWith(files));
    const rendered = parseMediaPlaylist(window.render());
    expect(rendered.segments.map((s) => s.uri)).toEqual(['s0.ts', 's1.ts', 's2.ts', 's3.ts']);
    expect(rendered.mediaSequence).toBe(0);
    expect(window.render()).toContain('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:03.000Z\n#EXTINF:2,\n#EXT-X-SHOAL-DIGEST:SHA-256=s3.ts\ns3.ts');
  });

  it('slides by the DVR depth, never below the minimum, and reports what expired', async () => {
    const window = new LiveWindow({ dvrSeconds: 6, minSegments: 2 });
    const files = new Set(Array.from({ length: 20 }, (_, i) => `s${i}.ts`));
    const expired: string[] = [];
    for (let first = 0; first < 10; first++) {
      const gone = await window.apply(parseMediaPlaylist(encoderPlaylist(first, 3)), storeWith(files));
      expired.push(...gone.map((s) => s.uri));
    }
    const rendered = parseMediaPlaylist(window.render());
    expect(rendered.segments.map((s) => s.uri)).toEqual(['s9.ts', 's10.ts', 's11.ts']);
    expect(rendered.mediaSequence).toBe(9);
    expect(expired).toEqual(['s0.ts', 's1.ts', 's2.ts', 's3.ts', 's4.ts', 's5.ts', 's6.ts', 's7.ts', 's8.ts']);

    const tiny = new LiveWindow({ dvrSeconds: 1, minSegments: 2 });
    await tiny.apply(parseMediaPlaylist(encoderPlaylist(0, 5)), storeWith(files));
    expect(tiny.length).toBe(2);
  });

  it('keeps numbering monotonic across an encoder restart and marks the discontinuity', async () => {
    const window = new LiveWindow({ dvrSeconds: 60, minSegments: 3 });
    const files = new Set(['s5.ts', 's6.ts', 's0.ts', 'r0.ts']);
    await window.apply(parseMediaPlaylist(encoderPlaylist(5, 2)), storeWith(files));
    const restarted = encoderPlaylist(0, 1).replace('s0.ts', 'r0.ts');
    await window.apply(parseMediaPlaylist(restarted), storeWith(files));
    const rendered = parseMediaPlaylist(window.render());
    expect(rendered.segments.map((s) => s.uri)).toEqual(['s5.ts', 's6.ts', 'r0.ts']);
    expect(rendered.mediaSequence).toBe(5);
    expect(rendered.segments[2]!.tags[0]).toBe('#EXT-X-DISCONTINUITY');
  });

  it('counts removed discontinuities in EXT-X-DISCONTINUITY-SEQUENCE', async () => {
    const window = new LiveWindow({ dvrSeconds: 4, minSegments: 1 });
    const files = new Set(['s0.ts', 's1.ts', 's2.ts', 's3.ts']);
    const withBreak = encoderPlaylist(0, 2).replace('#EXTINF:2,\ns1.ts', '#EXT-X-DISCONTINUITY\n#EXTINF:2,\ns1.ts');
    await window.apply(parseMediaPlaylist(withBreak), storeWith(files));
    expect(parseMediaPlaylist(window.render()).discontinuitySequence).toBe(0);
    await window.apply(parseMediaPlaylist(encoderPlaylist(2, 2)), storeWith(files));
    // s0 and s1 (with its discontinuity) left the window.
    expect(parseMediaPlaylist(window.render()).segments.map((s) => s.uri)).toEqual(['s2.ts', 's3.ts']);
    expect(parseMediaPlaylist(window.render()).discontinuitySequence).toBe(1);
  });

  it('drops a segment the encoder deleted and restores from its persisted state', async () => {
    const window = new LiveWindow({ dvrSeconds: 60, minSegments: 3 });
    const files = new Set(['s0.ts', 's1.ts', 's2.ts']);
    await window.apply(parseMediaPlaylist(encoderPlaylist(0, 3)), storeWith(files));
    expect(window.removeFile(['s0.ts'])).toBe(true);
    expect(window.removeFile(['s0.ts'])).toBe(false);
    const copy = LiveWindow.fromState(JSON.parse(JSON.stringify(window.toState())), { dvrSeconds: 60, minSegments: 3 });
    expect(copy.render()).toBe(window.render());
    // The encoder still lists s0, but it was deleted on purpose: it must not come back.
    await copy.apply(parseMediaPlaylist(encoderPlaylist(0, 3)), storeWith(files));
    expect(parseMediaPlaylist(copy.render()).segments.map((s) => s.uri)).toEqual(['s1.ts', 's2.ts']);
  });
});
