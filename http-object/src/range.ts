/** A satisfiable single byte range, inclusive at both ends as in `Content-Range`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Interprets a `Range` header against an object of `size` bytes (RFC 9110 §14).
 * - `undefined`: no usable range; serve the whole object with 200 (absent header, other units,
 *   several ranges, or syntax we do not honour — the RFC allows ignoring Range).
 * - `'unsatisfiable'`: answer 416 with `Content-Range: bytes *\/size`.
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // Suffix range: the last N bytes.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return 'unsatisfiable';
  if (last !== '' && Number(last) < start) return undefined; // invalid spec: ignore
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}
