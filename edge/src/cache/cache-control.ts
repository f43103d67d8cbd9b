/** The parts of a `Cache-Control` response header the edge cache obeys. */
export interface CachePolicy {
  /** Not to be stored at all (`no-store`, `private`). */
  readonly noStore: boolean;
  /** Freshness lifetime in ms (`s-maxage` over `max-age`); 0 when none was given. */
  readonly maxAgeMs: number;
  /** `immutable`: fresh for its whole max-age, never revalidated early. */
  readonly immutable: boolean;
  /** How long a stale copy may be served when the origin fails (`stale-if-error`), in ms; undefined when not said. */
  readonly staleIfErrorMs: number | undefined;
}

/** Parses `Cache-Control` (RFC 9111 §5.2); unknown directives are ignored. */
export function parseCacheControl(header: string | undefined): CachePolicy {
  const directives = new Map<string, string>();
  for (const part of (header ?? '').split(',')) {
    const [rawName, ...rest] = part.split('=');
    const name = rawName?.trim().toLowerCase();
    if (name) directives.set(name, rest.join('=').trim().replace(/^"|"$/g, ''));
  }
  const seconds = (name: string): number | undefined => {
    const value = directives.get(name);
    if (value === undefined || !/^\d+$/.test(value)) return undefined;
    return Number(value) * 1000;
  };
  return {
    noStore: directives.has('no-store') || directives.has('private'),
    maxAgeMs: seconds('s-maxage') ?? seconds('max-age') ?? 0,
    immutable: directives.has('immutable'),
    staleIfErrorMs: seconds('stale-if-error'),
  };
}

/** Whether the origin said how long a response stays fresh, or that it must be revalidated every time. */
export function hasFreshness(header: string | undefined): boolean {
  return /(?:^|,)\s*(?:max-age|s-maxage|no-cache|no-store|private|must-revalidate)\b/i.test(header ?? '');
}
