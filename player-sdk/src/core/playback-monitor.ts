import type { ShoalEngine } from './engine.js';

/**
 * Watches a media element for what the stats need: startup time (from `start()` to the first `playing`)
 * and stalls (`waiting` after playback began, until `playing` again). Also tells how much is buffered
 * ahead of the playhead, which sets segment deadlines.
 */
export class PlaybackMonitor {
  private media: HTMLMediaElement | undefined;
  private startedAt: number | undefined;
  private stallStartedAt: number | undefined;
  private playedOnce = false;
  private readonly onPlaying = (): void => {
    const now = this.engine.options.clock.now();
    if (!this.playedOnce) {
      this.playedOnce = true;
      if (this.startedAt !== undefined) this.engine.recordStartup(now - this.startedAt);
    }
    if (this.stallStartedAt !== undefined) {
      this.engine.recordStall(now - this.stallStartedAt);
      this.stallStartedAt = undefined;
    }
  };
  private readonly onWaiting = (): void => {
    if (this.playedOnce && this.stallStartedAt === undefined && !this.media?.seeking) this.stallStartedAt = this.engine.options.clock.now();
  };
  private readonly onSeeking = (): void => {
    // A seek's wait is the viewer's doing, not a stall.
    this.stallStartedAt = undefined;
  };

  constructor(private readonly engine: ShoalEngine) {}

  /** Playback was requested now (source loaded): startup is measured from here. */
  start(): void {
    this.startedAt = this.engine.options.clock.now();
    this.playedOnce = false;
  }

  attach(media: HTMLMediaElement): void {
    this.detach();
    this.media = media;
    media.addEventListener('playing', this.onPlaying);
    media.addEventListener('waiting', this.onWaiting);
    media.addEventListener('seeking', this.onSeeking);
  }

  detach(): void {
    if (!this.media) return;
    this.media.removeEventListener('playing', this.onPlaying);
    this.media.removeEventListener('waiting', this.onWaiting);
    this.media.removeEventListener('seeking', this.onSeeking);
    this.media = undefined;
  }

  /** Milliseconds of media buffered ahead of the playhead (0 before playback). */
  bufferedAheadMs(): number {
    const media = this.media;
    if (!media) return 0;
    const t = media.currentTime;
    for (let i = 0; i < media.buffered.length; i++) {
      if (media.buffered.start(i) <= t + 0.1 && media.buffered.end(i) > t) return (media.buffered.end(i) - t) * 1000;
    }
    return 0;
  }
}
