import { createHash } from 'node:crypto';
import type { ObjectStore } from '../store/object-store.js';
import { fileTypeOf, type FileKind, type PublishedObject } from '@shoal/http-object';

/** Segments, init segments, subtitles and keys never change once published under their name. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** VOD playlists and ended live playlists. */
export const VOD_PLAYLIST_CACHE_CONTROL = 'public, max-age=86400';

/** Live playlists may be cached for at most half a target duration, so players never see one stale for long. */
export function livePlaylistCacheControl(targetDuration: number): string {
  return `public, max-age=${Math.max(0, Math.floor(targetDuration / 2))}`;
}

/** A strong entity tag from a content digest. */
export function etagOf(sha256: Buffer): string {
  return `"${sha256.toString('base64url').slice(0, 27)}"`;
}

/** A playlist rendered once, served from memory until the next update. */
export function playlistObject(text: string, cacheControl: string, lastModified = new Date()): PublishedObject {
  const body = Buffer.from(text, 'utf8');
  return {
    kind: 'playlist',
    size: body.length,
    etag: etagOf(createHash('sha256').update(body).digest()),
    lastModified,
    contentType: 'application/vnd.apple.mpegurl',
    cacheControl,
    body,
  };
}

/** A file in a store, published as immutable; undefined when the store does not have it. */
export async function storedObject(store: ObjectStore, parts: readonly string[]): Promise<PublishedObject | undefined> {
  const type = fileTypeOf(parts[parts.length - 1] ?? '');
  if (!type || type.kind === 'playlist') return undefined;
  const meta = await store.meta(parts);
  if (!meta) return undefined;
  return {
    kind: type.kind as FileKind,
    size: meta.size,
    etag: etagOf(meta.sha256),
    lastModified: meta.mtime,
    contentType: type.contentType,
    cacheControl: IMMUTABLE_CACHE_CONTROL,
    body: await store.body(parts, meta.size),
  };
}
