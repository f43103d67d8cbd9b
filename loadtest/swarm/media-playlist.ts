import { parseDigestTag } from '@shoal/protocol';
import HLS from 'hls-parser';
import type { SegmentRef } from '@shoal/player-sdk';

export interface FetchedPlaylist {
  readonly url: string;
  readonly live: boolean;
  readonly targetDuration: number;
  readonly segments: readonly SegmentRef[];
}

/** Fetches and parses a media playlist the way a player does, digest tags included. */
export async function fetchMediaPlaylist(url: string): Promise<FetchedPlaylist> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const text = await response.text();
  const parsed = HLS.parse(text);
  if (parsed.isMasterPlaylist) throw new Error(`${url} is a master playlist`);
  const media = parsed as HLS.types.MediaPlaylist;
  // hls-parser drops unknown tags: read the digest that precedes each URI from the text itself.
  const digests: (Uint8Array | undefined)[] = [];
  let pending: Uint8Array | undefined;
  for (const line of text.split('\n')) {
    const digest = parseDigestTag(line);
    if (digest) pending = digest;
    else if (line.trim() !== '' && !line.startsWith('#')) {
      digests.push(pending);
      pending = undefined;
    }
  }
  return {
    url,
    live: !media.endlist,
    targetDuration: media.targetDuration,
    segments: media.segments.map((segment, i) => ({
      sequence: segment.mediaSequenceNumber,
      url: new URL(segment.uri, url).href,
      duration: segment.duration,
      ...(segment.byterange ? { byteRange: { offset: segment.byterange.offset ?? 0, length: segment.byterange.length } } : {}),
      ...(digests[i] ? { digest: digests[i] } : {}),
    })),
  };
}

/** The first variant's media playlist URL of a master playlist (or the URL itself for a media playlist). */
export async function resolveMediaPlaylistUrl(url: string, variant = 0): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const parsed = HLS.parse(await response.text());
  if (!parsed.isMasterPlaylist) return url;
  const chosen = (parsed as HLS.types.MasterPlaylist).variants[variant];
  if (!chosen) throw new Error(`${url} has no variant ${variant}`);
  return new URL(chosen.uri, url).href;
}
