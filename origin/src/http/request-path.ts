import { OriginError } from '../errors.js';

/** One path component: starts with a letter or digit, then letters, digits, `.`, `_`, `-`; never `..`. */
const SAFE_COMPONENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const MAX_PATH_DEPTH = 4;

/**
 * Splits a raw request path (as sent, still percent-encoded) into safe components. Rejects anything that
 * could leave the store: `..` in any spelling, encoded slashes or backslashes, NUL, empty or hidden
 * components, and more than MAX_PATH_DEPTH levels. Components are checked after decoding, so `%2e%2e`
 * is refused like `..`.
 */
export function parseSafePath(rawPath: string): string[] {
  const withoutQuery = rawPath.split('?', 1)[0] ?? '';
  const trimmed = withoutQuery.startsWith('/') ? withoutQuery.slice(1) : withoutQuery;
  if (trimmed === '') throw new OriginError('SHOAL_ERR_BAD_PATH', 'empty path');
  const parts = trimmed.split('/');
  if (parts.length > MAX_PATH_DEPTH) {
    throw new OriginError('SHOAL_ERR_BAD_PATH', `path deeper than ${MAX_PATH_DEPTH} levels`);
  }
  return parts.map((part) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      throw new OriginError('SHOAL_ERR_BAD_PATH', 'malformed percent-encoding in path');
    }
    if (!SAFE_COMPONENT.test(decoded) || decoded.includes('..')) {
      throw new OriginError('SHOAL_ERR_BAD_PATH', `unsafe path component ${JSON.stringify(decoded.slice(0, 64))}`);
    }
    return decoded;
  });
}

/** Validates a stream name (one safe component). */
export function parseStreamName(name: string): string {
  const parts = parseSafePath(name);
  if (parts.length !== 1) throw new OriginError('SHOAL_ERR_BAD_PATH', 'stream name must be a single path component');
  return parts[0]!;
}
