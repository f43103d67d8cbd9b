import { sha256 } from './integrity.js';

/**
 * Which swarm a rendition's viewers meet in. Viewers of one rendition must compute the same key from the
 * playlist URLs their players load, although CDNs give every viewer a different URL: tokens in the query,
 * per-viewer or per-node hostnames, signatures in the path. The rules, in order:
 *
 * 1. `swarmId` is a function: its answer for the playlist URL is the key, as it is.
 * 2. Otherwise the rendition is named by the playlist's path, with what varies per viewer removed:
 *    - the query string and fragment (`?token=…&expires=…`, session ids, cache busters);
 *    - the host and scheme (per-viewer hostnames such as `v123.cdn.example`, several edge nodes behind
 *      DNS): a swarm belongs to its tracker, which serves one deployment;
 *    - path parameters after `;` in any path segment (`;jsessionid=…`, `;hdntl=…`);
 *    - whole path segments that carry a `=` (path tokens such as `bcdn_token=…&expires=…` or
 *      `hdnts=exp=…~acl=…~hmac=…`, which never name a stream).
 * 3. A `swarmId` string is put before that path (`<swarmId>|<path>`), to keep apart streams of several
 *    sites that share one tracker and use the same paths.
 *
 * Signatures that are a bare path segment (`/s/9f86d081…/1700000000/live/…`) cannot be told from stream
 * names: give `swarmId` as a function that removes them.
 */
export type SwarmIdOption = string | ((playlistUrl: string) => string) | undefined;

/** The playlist's path without what varies per viewer (rule 2). */
export function swarmPathOf(playlistUrl: string): string {
  const { pathname } = new URL(playlistUrl);
  const segments = pathname
    .split('/')
    .map((segment) => segment.split(';', 1)[0]!)
    .filter((segment) => !segment.includes('=') && !decodeSafely(segment).includes('='));
  return segments.join('/') || '/';
}

function decodeSafely(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The swarm key of the rendition whose media playlist is at `playlistUrl`. */
export function swarmKeyOf(playlistUrl: string, swarmId: SwarmIdOption): string {
  if (typeof swarmId === 'function') return swarmId(playlistUrl);
  const path = swarmPathOf(playlistUrl);
  return swarmId !== undefined ? `${swarmId}|${path}` : path;
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The 20-byte info hash of a swarm key: the first 20 bytes of its SHA-256, as a binary string (WebTorrent's form). */
export async function infoHashOf(key: string): Promise<{ binary: string; hex: string }> {
  const digest = (await sha256(new TextEncoder().encode(key))).subarray(0, 20);
  return { binary: String.fromCharCode(...digest), hex: hex(digest) };
}
