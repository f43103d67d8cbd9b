import { decodeBase64Url, encodeBase64Url } from './base64url.js';

/**
 * The digest tag the origin writes into every media playlist, on its own line just before each segment URI:
 *
 *     #EXT-X-SHOAL-DIGEST:SHA-256=<43 characters of unpadded base64url>
 *
 * It carries the SHA-256 of the segment's exact bytes (for `EXT-X-BYTERANGE` segments, of that byte range).
 * Players that do not know it ignore it, as the HLS spec requires of unknown tags; hls.js keeps it in
 * `frag.tagList` as `['EXT-X-SHOAL-DIGEST', 'SHA-256=…']`.
 */
export const DIGEST_TAG_NAME = 'EXT-X-SHOAL-DIGEST';
export const DIGEST_ALGORITHM = 'SHA-256';
export const SHA256_BYTES = 32;

const TAG_PREFIX = `#${DIGEST_TAG_NAME}:`;
const VALUE_PREFIX = `${DIGEST_ALGORITHM}=`;

/** Formats the value part of the tag (`SHA-256=…`) from a 32-byte digest. */
export function formatDigestValue(sha256: Uint8Array): string {
  if (sha256.length !== SHA256_BYTES) {
    throw new RangeError(`SHA-256 digest must be ${SHA256_BYTES} bytes, got ${sha256.length}`);
  }
  return VALUE_PREFIX + encodeBase64Url(sha256);
}

/** Formats the whole playlist line. */
export function formatDigestTag(sha256: Uint8Array): string {
  return TAG_PREFIX + formatDigestValue(sha256);
}

/** Parses the value part (`SHA-256=…`); undefined when it is not a well-formed SHA-256 digest. */
export function parseDigestValue(value: string): Uint8Array | undefined {
  if (!value.startsWith(VALUE_PREFIX)) return undefined;
  const bytes = decodeBase64Url(value.slice(VALUE_PREFIX.length).trim());
  return bytes?.length === SHA256_BYTES ? bytes : undefined;
}

/** Parses a whole playlist line; undefined when the line is not a well-formed digest tag. */
export function parseDigestTag(line: string): Uint8Array | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith(TAG_PREFIX)) return undefined;
  return parseDigestValue(trimmed.slice(TAG_PREFIX.length));
}

/** True for a line that is a digest tag, well-formed or not (so that a re-published playlist can drop old ones). */
export function isDigestTagLine(line: string): boolean {
  return line.trimStart().startsWith(TAG_PREFIX);
}
