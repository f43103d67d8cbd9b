import { isDigestTagLine } from './digest-tag.js';

/**
 * Reading and annotating media playlists line by line, for whoever writes the digest tags (Shoal's origin
 * for its own bytes, the edge in front of any other origin). Only what a digest needs is read: which
 * segment URIs the playlist names, in order, with their byte ranges; every other line is kept as written.
 */

export interface NamedSegment {
  /** The URI line as written (relative or absolute). */
  readonly uri: string;
  /** For `EXT-X-BYTERANGE` segments, the range within `uri`. */
  readonly byteRange?: { readonly offset: number; readonly length: number };
}

export interface ScannedMediaPlaylist {
  /** Segments in playlist order (the order `annotateWithDigests` expects its tags in). */
  readonly segments: readonly NamedSegment[];
  /** Whether some segment already carries a digest tag. */
  readonly hasDigests: boolean;
  /** No `EXT-X-ENDLIST`: a live playlist that will name more segments. */
  readonly live: boolean;
}

/** The largest playlist scanned; a longer text is not treated as a playlist. */
export const MAX_SCANNED_PLAYLIST_CHARS = 4 * 1024 * 1024;

/**
 * Lists the segments a media playlist names; undefined for anything else (a master playlist, not a
 * playlist at all, or larger than `MAX_SCANNED_PLAYLIST_CHARS`). A byte range without an offset continues
 * the previous range of the same URI, and starts at 0 otherwise, as players read it.
 */
export function scanMediaPlaylist(text: string): ScannedMediaPlaylist | undefined {
  if (text.length > MAX_SCANNED_PLAYLIST_CHARS) return undefined;
  const lines = text.split(/\r?\n/);
  if (lines[0]?.replace(/^\uFEFF/, '').trim() !== '#EXTM3U') return undefined;
  const segments: NamedSegment[] = [];
  let sawExtinf = false;
  let hasDigests = false;
  let live = true;
  let range: { length: number; offset: number | undefined } | undefined;
  let previous: { uri: string; end: number } | undefined;
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (isDigestTagLine(line)) hasDigests = true;
      else if (line.startsWith('#EXTINF:')) sawExtinf = true;
      else if (line === '#EXT-X-ENDLIST') live = false;
      else if (line.startsWith('#EXT-X-STREAM-INF:')) return undefined;
      else if (line.startsWith('#EXT-X-BYTERANGE:')) {
        const match = /^(\d+)(?:@(\d+))?$/.exec(line.slice('#EXT-X-BYTERANGE:'.length).trim());
        range = match ? { length: Number(match[1]), offset: match[2] === undefined ? undefined : Number(match[2]) } : undefined;
      }
      continue;
    }
    let byteRange: NamedSegment['byteRange'];
    if (range) {
      const offset = range.offset ?? (previous?.uri === line ? previous.end : 0);
      byteRange = { offset, length: range.length };
      previous = { uri: line, end: offset + range.length };
    } else previous = undefined;
    segments.push(byteRange ? { uri: line, byteRange } : { uri: line });
    range = undefined;
  }
  // URI lines without EXTINF: not a media playlist.
  if (segments.length > 0 && !sawExtinf) return undefined;
  return { segments, hasDigests, live };
}

/**
 * Inserts a digest line before each segment URI of a media playlist, keeping every other line as the
 * packager wrote it. `digestTags[i]` belongs to the i-th segment; undefined leaves that segment without one.
 * Digest lines already present are dropped first, so re-publishing never doubles them.
 */
export function annotateWithDigests(text: string, digestTags: readonly (string | undefined)[]): string {
  const out: string[] = [];
  let index = 0;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (isDigestTagLine(trimmed)) continue;
    if (trimmed !== '' && !trimmed.startsWith('#')) {
      const tag = digestTags[index++];
      if (tag) out.push(tag);
    }
    out.push(line);
  }
  return out.join('\n');
}
