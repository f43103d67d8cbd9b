import type Hls from 'hls.js';
import type { PlaybackPosition } from '../core/engine-api.js';

/**
 * Where an hls.js player is on the stream's own timeline, the same for every viewer of the swarm (see the
 * tracker's `shoal.position`): for live, the program date-time of the frame shown (seconds since the epoch),
 * or media sequence × target duration without EXT-X-PROGRAM-DATE-TIME; for VOD, the media time. Undefined
 * before playback has a position.
 */
export function playbackPositionOf(hls: Pick<Hls, 'media' | 'playingDate' | 'levels' | 'currentLevel'>): PlaybackPosition | undefined {
  const media = hls.media;
  const details = hls.levels[hls.currentLevel]?.details;
  if (!media || !details) return undefined;
  const time = media.currentTime;
  let position: number | undefined;
  if (!details.live) position = time;
  else if (hls.playingDate) position = hls.playingDate.getTime() / 1000;
  else {
    const frag = details.fragments.find((f) => f.start <= time && time < f.start + f.duration);
    if (frag) position = frag.sn * details.targetduration + (time - frag.start);
  }
  if (position === undefined || !Number.isFinite(position) || position < 0) return undefined;
  return { position, playing: !media.paused && !media.seeking };
}
