import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PublishedObject } from '@shoal/http-object';
import { formatDigestTag } from '@shoal/protocol';
import type { Logger } from 'pino';
import { playlistObject, VOD_PLAYLIST_CACHE_CONTROL } from '../http/published.js';
import { MAX_PATH_DEPTH, parseSafePath } from '../http/request-path.js';
import { annotateWithDigests, isMasterPlaylist, parseMediaPlaylist, validateMasterPlaylist } from '../playlist/media-playlist.js';
import { ObjectStore, rangeDigest } from '../store/object-store.js';

/** Relative paths of the playlists under `dir`, as far down as a request path can reach. */
async function findPlaylists(dir: string, prefix: string[] = []): Promise<string[][]> {
  if (prefix.length >= MAX_PATH_DEPTH - 1) return [];
  const found: string[][] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const parts = [...prefix, entry.name];
    try {
      parseSafePath(parts.join('/')); // a name no request could reach is not published
    } catch {
      continue;
    }
    if (entry.isDirectory()) found.push(...(await findPlaylists(join(dir, entry.name), parts)));
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.m3u8')) found.push(parts);
  }
  return found;
}

/**
 * One VOD folder as a packager (ffmpeg, Shaka Packager, …) wrote it. Its playlists are read and annotated
 * with segment digests once, at publish time; segments are served from the folder, read-only.
 */
export class VodTitle {
  readonly store: ObjectStore;
  private readonly playlists = new Map<string, PublishedObject>();

  constructor(
    readonly name: string,
    readonly dir: string,
    hotCacheBytes: number,
    maxHotObjectBytes: number,
    private readonly log: Logger,
  ) {
    this.store = new ObjectStore({ root: dir, hotCacheBytes, maxHotObjectBytes });
  }

  /** Reads and annotates every playlist; a malformed one is logged and left unpublished. */
  async publish(): Promise<void> {
    const lastModified = new Date();
    for (const parts of await findPlaylists(this.dir)) {
      const key = parts.join('/');
      try {
        const text = await readFile(this.store.pathOf(parts), 'utf8');
        const published = isMasterPlaylist(text) ? (validateMasterPlaylist(text), text) : await this.annotate(parts, text);
        this.playlists.set(key, playlistObject(published, VOD_PLAYLIST_CACHE_CONTROL, lastModified));
      } catch (error) {
        this.log.error({ title: this.name, playlist: key, err: error }, 'VOD playlist not published');
      }
    }
    this.log.info({ title: this.name, playlists: this.playlists.size }, 'published VOD title');
  }

  private async annotate(parts: readonly string[], text: string): Promise<string> {
    const playlist = parseMediaPlaylist(text);
    const dir = parts.slice(0, -1);
    const tags: (string | undefined)[] = [];
    for (const segment of playlist.segments) {
      let file: string[];
      try {
        file = [...dir, ...parseSafePath(segment.uri)];
      } catch {
        tags.push(undefined); // absolute or outside the folder: not our bytes to vouch for
        continue;
      }
      const sha256 = segment.byteRange
        ? await rangeDigest(this.store, file, segment.byteRange.offset, segment.byteRange.length)
        : (await this.store.meta(file))?.sha256;
      if (!sha256) this.log.warn({ title: this.name, segment: file.join('/') }, 'VOD segment missing');
      tags.push(sha256 ? formatDigestTag(sha256) : undefined);
    }
    return annotateWithDigests(text, tags);
  }

  playlist(parts: readonly string[]): PublishedObject | undefined {
    return this.playlists.get(parts.join('/'));
  }

  playlistPaths(): string[] {
    return [...this.playlists.keys()];
  }
}
