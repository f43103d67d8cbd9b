/**
 * Identifiers on the WebTorrent tracker wire: `info_hash`, `peer_id`, `to_peer_id` and `offer_id` travel as
 * 20-character "binary strings" (one character per byte, code points 0–255), exactly as `bittorrent-tracker`
 * and WebTorrent send them inside JSON.
 */
export const TRACKER_ID_BYTES = 20;

/** True for a 20-character string whose characters all encode one byte. */
export function isTrackerId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== TRACKER_ID_BYTES) return false;
  for (let i = 0; i < TRACKER_ID_BYTES; i++) {
    if (value.charCodeAt(i) > 0xff) return false;
  }
  return true;
}

/** Bytes → binary string (one character per byte). */
export function trackerIdFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== TRACKER_ID_BYTES) throw new RangeError(`tracker ids are ${TRACKER_ID_BYTES} bytes, got ${bytes.length}`);
  return String.fromCharCode(...bytes);
}

/** Binary string → bytes; the caller checks it with {@link isTrackerId} first. */
export function trackerIdToBytes(id: string): Uint8Array {
  const out = new Uint8Array(id.length);
  for (let i = 0; i < id.length; i++) out[i] = id.charCodeAt(i) & 0xff;
  return out;
}

const HEX = '0123456789abcdef';

/** Binary string → lower-case hex (40 characters for a tracker id). */
export function trackerIdToHex(id: string): string {
  let out = '';
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    out += HEX[(c >> 4) & 15]! + HEX[c & 15]!;
  }
  return out;
}

/** Hex (either case) → binary string; undefined unless it is exactly 40 hex digits. */
export function trackerIdFromHex(hex: string): string | undefined {
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) return undefined;
  let out = '';
  for (let i = 0; i < hex.length; i += 2) out += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

/** A random tracker id from `crypto.getRandomValues` (browsers and Node ≥ 19 both have it). */
export function randomTrackerId(prefix = ''): string {
  const random = new Uint8Array(TRACKER_ID_BYTES);
  (globalThis as unknown as { crypto: { getRandomValues(array: Uint8Array): Uint8Array } }).crypto.getRandomValues(random);
  const bytes = random.map((byte, i) => (i < prefix.length ? prefix.charCodeAt(i) & 0xff : byte));
  return trackerIdFromBytes(bytes);
}
