import type { MediaPlaylist, PlaylistSegment, RenderedSegment } from '../playlist/media-playlist.js';
import { renderMediaPlaylist } from '../playlist/media-playlist.js';

/** A segment the origin has published in a live playlist, numbered by the origin itself. */
export interface WindowSegment extends RenderedSegment {
  readonly sequence: number;
  /** Store path of the segment's bytes, relative to the stream. */
  readonly file: readonly string[];
}

export interface LiveWindowOptions {
  /** Seconds of the stream kept in the playlist (the DVR depth). */
  readonly dvrSeconds: number;
  /** Never fewer segments than this in the playlist, whatever the DVR depth. */
  readonly minSegments: number;
}

/** Persisted form of a window, so a restarted origin serves what it served before. */
export interface LiveWindowState {
  readonly version: 1;
  readonly nextSequence: number;
  readonly discontinuitySequence: number;
  readonly targetDuration: number;
  readonly headerTags: readonly string[];
  readonly endList: boolean;
  readonly lastIncomingSequence: number;
  readonly recentKeys: readonly string[];
  readonly segments: readonly WindowSegment[];
}

/** How the window looks a segment up: its store path and digest tag, or undefined while its bytes are missing. */
export type SegmentLookup = (segment: PlaylistSegment) => Promise<{ file: string[]; digestTag: string } | undefined>;

function identity(segment: PlaylistSegment): string {
  return segment.byteRange ? `${segment.uri}@${segment.byteRange.offset}+${segment.byteRange.length}` : segment.uri;
}

/**
 * The sliding window of one live media playlist. The encoder's playlists are merged into it: each segment
 * is added once, and only once its bytes are in the store, so the published playlist never names a segment
 * the origin lacks. The origin numbers segments itself, which keeps media sequence numbers monotonic across
 * encoder restarts (marked with EXT-X-DISCONTINUITY), and drops segments past the DVR depth.
 */
export class LiveWindow {
  private segments: WindowSegment[] = [];
  private nextSequence = 0;
  private discontinuitySequence = 0;
  private targetDuration = 1;
  private headerTags: readonly string[] = [];
  private endList = false;
  private lastIncomingSequence = -1;
  private recentKeys = new Set<string>();
  private started = false;

  constructor(private readonly options: LiveWindowOptions) {}

  /**
   * Merges an encoder playlist. Returns the segments that left the window, whose bytes the caller may
   * delete once players can no longer be fetching them.
   */
  async apply(incoming: MediaPlaylist, lookup: SegmentLookup): Promise<WindowSegment[]> {
    if (!this.started) {
      this.nextSequence = incoming.mediaSequence;
      this.discontinuitySequence = incoming.discontinuitySequence;
      this.started = true;
    }
    const restarted = incoming.mediaSequence < this.lastIncomingSequence;
    if (restarted) this.recentKeys.clear();
    this.lastIncomingSequence = incoming.mediaSequence;

    const inWindow = new Set(this.segments.map((segment) => identity(segment)));
    let markDiscontinuity = restarted && this.segments.length > 0;
    for (const segment of incoming.segments) {
      const key = identity(segment);
      if (inWindow.has(key) || this.recentKeys.has(key)) continue;
      const found = await lookup(segment);
      if (!found) break; // not uploaded yet: it and everything after it wait for the next playlist
      const tags =
        markDiscontinuity && !segment.tags.includes('#EXT-X-DISCONTINUITY')
          ? ['#EXT-X-DISCONTINUITY', ...segment.tags]
          : segment.tags;
      markDiscontinuity = false;
      this.segments.push({ ...segment, tags, sequence: this.nextSequence++, file: found.file, digestTag: found.digestTag });
      inWindow.add(key);
    }
    // Remember only segments that did enter the window: one still missing must be picked up later.
    const known = new Set([...inWindow, ...this.recentKeys]);
    this.recentKeys = new Set(incoming.segments.map((segment) => identity(segment)).filter((key) => known.has(key)));
    this.targetDuration = Math.max(this.targetDuration, incoming.targetDuration);
    this.headerTags = incoming.headerTags;
    this.endList = incoming.endList;
    return this.trim();
  }

  /** Drops a segment the encoder deleted; true when it was in the window. */
  removeFile(file: readonly string[]): boolean {
    const key = file.join('/');
    const before = this.segments.length;
    const kept: WindowSegment[] = [];
    for (const segment of this.segments) {
      if (segment.file.join('/') === key) {
        if (segment.tags.includes('#EXT-X-DISCONTINUITY')) this.discontinuitySequence++;
      } else kept.push(segment);
    }
    this.segments = kept;
    return kept.length !== before;
  }

  private trim(): WindowSegment[] {
    // EVENT and VOD playlists promise that segments are never removed.
    if (this.headerTags.some((tag) => tag.startsWith('#EXT-X-PLAYLIST-TYPE'))) return [];
    let duration = this.segments.reduce((sum, segment) => sum + segment.duration, 0);
    const expired: WindowSegment[] = [];
    while (this.segments.length > this.options.minSegments && duration - this.segments[0]!.duration >= this.options.dvrSeconds) {
      const first = this.segments.shift()!;
      duration -= first.duration;
      expired.push(first);
      // HLS requires the sequence to count every EXT-X-DISCONTINUITY removed from the playlist.
      if (first.tags.includes('#EXT-X-DISCONTINUITY')) this.discontinuitySequence++;
    }
    return expired;
  }

  get length(): number {
    return this.segments.length;
  }

  get target(): number {
    return this.targetDuration;
  }

  get ended(): boolean {
    return this.endList;
  }

  files(): readonly (readonly string[])[] {
    return this.segments.map((segment) => segment.file);
  }

  render(): string {
    return renderMediaPlaylist({
      headerTags: this.headerTags,
      targetDuration: this.targetDuration,
      mediaSequence: this.segments[0]?.sequence ?? this.nextSequence,
      discontinuitySequence: this.discontinuitySequence,
      endList: this.endList,
      segments: this.segments,
    });
  }

  toState(): LiveWindowState {
    return {
      version: 1,
      nextSequence: this.nextSequence,
      discontinuitySequence: this.discontinuitySequence,
      targetDuration: this.targetDuration,
      headerTags: this.headerTags,
      endList: this.endList,
      lastIncomingSequence: this.lastIncomingSequence,
      recentKeys: [...this.recentKeys],
      segments: this.segments,
    };
  }

  static fromState(state: LiveWindowState, options: LiveWindowOptions): LiveWindow {
    if (state.version !== 1) throw new Error(`unknown live window state version ${String(state.version)}`);
    const window = new LiveWindow(options);
    window.segments = [...state.segments];
    window.nextSequence = state.nextSequence;
    window.discontinuitySequence = state.discontinuitySequence;
    window.targetDuration = state.targetDuration;
    window.headerTags = state.headerTags;
    window.endList = state.endList;
    window.lastIncomingSequence = state.lastIncomingSequence;
    window.recentKeys = new Set(state.recentKeys);
    window.started = true;
    return window;
  }
}
