import { rename, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PublishedObject } from '@shoal/http-object';
import { formatDigestTag } from '@shoal/protocol';
import type { Logger } from 'pino';
import { OriginError } from '../errors.js';
import { livePlaylistCacheControl, playlistObject, VOD_PLAYLIST_CACHE_CONTROL } from '../http/published.js';
import { parseSafePath } from '../http/request-path.js';
import type { OriginOptions } from '../options.js';
import type { PlaylistSegment } from '../playlist/media-playlist.js';
import { isMasterPlaylist, parseMediaPlaylist, validateMasterPlaylist } from '../playlist/media-playlist.js';
import type { ObjectStore } from '../store/object-store.js';
import { rangeDigest } from '../store/object-store.js';
import type { LiveWindowState, SegmentLookup } from './live-window.js';
import { LiveWindow } from './live-window.js';

interface PublishedMaster {
  readonly text: string;
  object: PublishedObject;
}

interface PublishedMedia {
  readonly window: LiveWindow;
  object: PublishedObject;
}

interface StreamState {
  readonly version: 1;
  readonly masters: Record<string, string>;
  readonly windows: Record<string, LiveWindowState>;
  readonly expired: readonly (readonly string[])[];
}

const STATE_DIR = '.shoal';
const STATE_FILE = 'state.json';

/**
 * One live stream as pushed by an encoder: its master playlist, a sliding window per media playlist, and
 * the segments that left the window but stay on disk a little longer. Every change is serialized (an
 * encoder may use several connections) and persisted, so a restarted origin resumes where it was.
 */
export class LiveStream {
  private readonly masters = new Map<string, PublishedMaster>();
  private readonly media = new Map<string, PublishedMedia>();
  private expired: (readonly string[])[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  lastUpdate = new Date(0);

  constructor(
    readonly name: string,
    private readonly store: ObjectStore,
    private readonly options: OriginOptions,
    private readonly log: Logger,
  ) {}

  /** Store path of a file of this stream. */
  filePath(file: readonly string[]): string[] {
    return ['live', this.name, ...file];
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Publishes a playlist the encoder uploaded. Throws SHOAL_ERR_BAD_PLAYLIST, leaving the previous one served. */
  ingestPlaylist(file: readonly string[], text: string): Promise<void> {
    return this.serialized(async () => {
      const key = file.join('/');
      if (isMasterPlaylist(text)) {
        validateMasterPlaylist(text);
        this.masters.set(key, { text, object: playlistObject(text, this.masterCacheControl()) });
      } else {
        const incoming = parseMediaPlaylist(text);
        const entry = this.media.get(key) ?? {
          window: new LiveWindow({ dvrSeconds: this.options.dvrSeconds, minSegments: 3 }),
          object: playlistObject('', ''),
        };
        const expired = await entry.window.apply(incoming, this.lookupFor(file.slice(0, -1)));
        entry.object = this.mediaObject(entry.window);
        this.media.set(key, entry);
        this.expired.push(...expired.map((segment) => segment.file));
        await this.deleteExpired();
      }
      this.lastUpdate = new Date();
      await this.persist();
    });
  }

  /** Removes a file the encoder deleted, and the segment from any window naming it. False when there was none. */
  deleteFile(file: readonly string[]): Promise<boolean> {
    return this.serialized(async () => {
      let changed = false;
      for (const entry of this.media.values()) {
        if (entry.window.removeFile(file)) {
          entry.object = this.mediaObject(entry.window);
          changed = true;
        }
      }
      const key = file.join('/');
      this.expired = this.expired.filter((expired) => expired.join('/') !== key);
      const removed = await this.store.remove(this.filePath(file));
      if (changed) await this.persist();
      return removed || changed;
    });
  }

  /** The published playlist at `file`, if any. */
  playlist(file: readonly string[]): PublishedObject | undefined {
    const key = file.join('/');
    return this.masters.get(key)?.object ?? this.media.get(key)?.object;
  }

  /** Paths of the published playlists, masters first. */
  playlists(): { masters: string[]; media: string[] } {
    return { masters: [...this.masters.keys()], media: [...this.media.keys()] };
  }

  private lookupFor(playlistDir: readonly string[]): SegmentLookup {
    return async (segment: PlaylistSegment) => {
      let uriParts: string[];
      try {
        uriParts = parseSafePath(segment.uri);
      } catch {
        throw new OriginError('SHOAL_ERR_BAD_PLAYLIST', `segment URI ${JSON.stringify(segment.uri.slice(0, 64))} must be a relative path inside the stream`);
      }
      const file = [...playlistDir, ...uriParts];
      const parts = this.filePath(file);
      const sha256 = segment.byteRange
        ? await rangeDigest(this.store, parts, segment.byteRange.offset, segment.byteRange.length)
        : (await this.store.meta(parts))?.sha256;
      return sha256 ? { file, digestTag: formatDigestTag(sha256) } : undefined;
    };
  }

  private mediaObject(window: LiveWindow): PublishedObject {
    const cacheControl = window.ended ? VOD_PLAYLIST_CACHE_CONTROL : livePlaylistCacheControl(window.target);
    return playlistObject(window.render(), cacheControl);
  }

  /** A master changes only when the encoder restarts; still, cache it no longer than the shortest media playlist. */
  private masterCacheControl(): string {
    const targets = [...this.media.values()].map((entry) => entry.window.target);
    return livePlaylistCacheControl(targets.length > 0 ? Math.min(...targets) : 2);
  }

  private async deleteExpired(): Promise<void> {
    const referenced = new Set<string>();
    for (const entry of this.media.values()) for (const file of entry.window.files()) referenced.add(file.join('/'));
    while (this.expired.length > this.options.expiredSegmentsKept) {
      const file = this.expired.shift()!;
      if (!referenced.has(file.join('/'))) await this.store.remove(this.filePath(file));
    }
  }

  private stateDir(): string {
    return join(this.store.pathOf(['live', this.name]), STATE_DIR);
  }

  private async persist(): Promise<void> {
    const state: StreamState = {
      version: 1,
      masters: Object.fromEntries([...this.masters].map(([key, master]) => [key, master.text])),
      windows: Object.fromEntries([...this.media].map(([key, entry]) => [key, entry.window.toState()])),
      expired: this.expired,
    };
    const dir = this.stateDir();
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `${STATE_FILE}.${process.pid}.tmp`);
    await writeFile(temp, JSON.stringify(state));
    await rename(temp, join(dir, STATE_FILE));
  }

  /** Loads the persisted state; false when there was none. */
  async restore(): Promise<boolean> {
    let state: StreamState;
    try {
      state = JSON.parse(await readFile(join(this.stateDir(), STATE_FILE), 'utf8')) as StreamState;
    } catch {
      return false;
    }
    if (state.version !== 1) {
      this.log.warn({ stream: this.name }, 'ignoring live stream state of an unknown version');
      return false;
    }
    for (const [key, windowState] of Object.entries(state.windows)) {
      const window = LiveWindow.fromState(windowState, { dvrSeconds: this.options.dvrSeconds, minSegments: 3 });
      this.media.set(key, { window, object: this.mediaObject(window) });
    }
    for (const [key, text] of Object.entries(state.masters)) {
      this.masters.set(key, { text, object: playlistObject(text, this.masterCacheControl()) });
    }
    this.expired = state.expired.map((file) => [...file]);
    this.lastUpdate = new Date();
    return true;
  }

  /** Waits for pending changes (for shutdown). */
  async idle(): Promise<void> {
    await this.queue;
  }
}
