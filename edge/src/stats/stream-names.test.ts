import { describe, expect, it } from 'vitest';
import { StreamNames } from './stream-names.js';

describe('StreamNames', () => {
  it('labels only streams whose playlists were served, up to a maximum', () => {
    const names = new StreamNames(2);
    expect(names.label('/live/demo/master.m3u8')).toBe('other');
    names.observe('/live/demo/0/index.m3u8');
    expect(names.label('/live/demo/master.m3u8')).toBe('live/demo');
    expect(names.label('/live/demo/master.m3u8?token=abc')).toBe('live/demo');
    names.observe('/vod/film/index.m3u8');
    names.observe('/live/third/index.m3u8');
    expect(names.label('/live/third/index.m3u8')).toBe('other');
    expect(names.label('/short.m3u8')).toBe('other');
    expect(StreamNames.nameOf('/x.m3u8')).toBeUndefined();
  });
});
