import { describe, expect, it } from 'vitest';
import { playbackPositionOf } from './playback-position.js';

type Player = Parameters<typeof playbackPositionOf>[0];

/** An hls.js player as far as the position needs it: a media element and the current level's fragments. */
function player(options: { live: boolean; currentTime: number; paused?: boolean; playingDate?: Date }): Player {
  const fragments = [10, 11, 12].map((sn, i) => ({ sn, start: i * 4, duration: 4 }));
  return {
    media: { currentTime: options.currentTime, paused: options.paused ?? false, seeking: false },
    playingDate: options.playingDate ?? null,
    currentLevel: 0,
    levels: [{ details: { live: options.live, targetduration: 4, fragments } }],
  } as unknown as Player;
}

describe('playbackPositionOf', () => {
  it('is the media time for VOD', () => {
    expect(playbackPositionOf(player({ live: false, currentTime: 5.5, paused: true }))).toEqual({ position: 5.5, playing: false });
  });

  it('is the program date-time for live streams that have one', () => {
    const playingDate = new Date(Date.UTC(2026, 0, 1));
    expect(playbackPositionOf(player({ live: true, currentTime: 5, playingDate }))).toEqual({ position: playingDate.getTime() / 1000, playing: true });
  });

  it('is media sequence × target duration for live streams without one', () => {
    // 1.5 s into segment 11 (which starts at 4 s of the media timeline).
    expect(playbackPositionOf(player({ live: true, currentTime: 5.5 }))).toEqual({ position: 11 * 4 + 1.5, playing: true });
  });

  it('is unknown without media, level details or a fragment under the playhead', () => {
    expect(playbackPositionOf({ ...player({ live: false, currentTime: 0 }), media: null } as Player)).toBeUndefined();
    expect(playbackPositionOf({ ...player({ live: false, currentTime: 0 }), currentLevel: -1 } as Player)).toBeUndefined();
    expect(playbackPositionOf(player({ live: true, currentTime: 60 }))).toBeUndefined();
  });
});
