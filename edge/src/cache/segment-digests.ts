import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { annotateWithDigests, formatDigestTag, scanMediaPlaylist, type NamedSegment } from '@shoal/protocol';

/** Where the bytes of a segment a playlist names come from, as the edge sees it. */
export type SegmentSource =
  /** At the origin the edge caches: `key` is the edge path (with query), as players request it. */
  | { readonly kind: 'origin'; readonly key: string }
  /** On a host the operator allowed with `--allow-segment-host`: players fetch it there, not from the edge. */
  | { readonly kind: 'host'; readonly url: string }
  /** Anywhere else: never fetched, never tagged. */
  | { readonly kind: 'refused'; readonly reason: string };

/** How the edge gets a segment's bytes; undefined when it cannot (error status, failure, too large). */
export interface SegmentLoader {
  /** Through the edge cache, coalesced with players' requests for the same object. */
  fromOrigin(key: string): Promise<Buffer | undefined>;
  /** From an allowed host; `range` asks for those bytes only. */
  fromHost(url: string, range: NamedSegment['byteRange']): Promise<Buffer | undefined>;
}

export interface SegmentDigestsOptions {
  /** The origin's base URL (`--origin`): segment URLs on it map to edge paths. */
  readonly originUrl: string;
  /** Edge paths served through the cache; segments outside them are not fetched. */
  readonly pathPrefixes: readonly string[];
  /** Other hosts (`host` or `host:port`) whose segments the edge may fetch to hash. */
  readonly allowedHosts: readonly string[];
  /** How long a playlist response may wait for the digests of segments whose fetch started recently. */
  readonly waitMs: number;
  /** Segment fetches for hashing at once; the rest queue (newest live segments first). */
  readonly maxConcurrent: number;
  /** A segment that could not be fetched is tried again after this long, if a playlist still names it. */
  readonly retryMs: number;
  /** Digests remembered. */
  readonly maxEntries: number;
  readonly now: () => number;
}

export const DIGEST_RESULTS = ['hashed', 'failed'] as const;
export type DigestResult = (typeof DIGEST_RESULTS)[number];

interface Entry {
  readonly source: Exclude<SegmentSource, { kind: 'refused' }>;
  readonly byteRange: NamedSegment['byteRange'];
  state: 'queued' | 'fetching' | 'hashed' | 'failed';
  tag: string | undefined;
  /** When the fetch started (or failed), on the `now` clock. */
  since: number;
  /** Settles when the fetch ends, whatever the outcome. */
  settled: Promise<void>;
  settle: () => void;
}

/** What `annotate` answers: the playlist to serve, and whether every segment in it carries its digest. */
export interface AnnotatedPlaylist {
  /** Undefined when the playlist is served as the origin wrote it (tagged already, master, not a playlist). */
  readonly text: string | undefined;
  readonly complete: boolean;
  /** When the newest digest in it was computed (`now` clock), so the playlist's Last-Modified can move with it. */
  readonly taggedAt: number;
}

const entryKey = (source: Entry['source'], range: NamedSegment['byteRange']): string =>
  `${source.kind === 'origin' ? `o ${source.key}` : `h ${source.url}`}${range ? ` ${range.offset}+${range.length}` : ''}`;

/**
 * The digests the edge writes into media playlists of origins that carry none: each segment a playlist
 * names is fetched once (through the cache, so players asking for it at the same time share that one
 * origin request), hashed, and its tag written before its URI in every playlist served from then on.
 * A segment not hashed yet, or that cannot be fetched, stays untagged, and players load it over HTTP only.
 * Playlists that already carry digests are served as they are.
 */
export class SegmentDigests {
  private readonly entries: LRUCache<string, Entry>;
  /** Entry keys by origin key, so that a re-fetched object is hashed again. */
  private readonly byOriginKey = new Map<string, Set<string>>();
  private readonly queue: string[] = [];
  private active = 0;
  private readonly origin: URL;
  private closed = false;

  constructor(
    private readonly options: SegmentDigestsOptions,
    private readonly loader: SegmentLoader,
    private readonly onResult: (result: DigestResult) => void = () => undefined,
  ) {
    this.origin = new URL(options.originUrl);
    this.entries = new LRUCache<string, Entry>({
      max: Math.max(1, options.maxEntries),
      dispose: (entry, key) => {
        if (entry.source.kind !== 'origin') return;
        const keys = this.byOriginKey.get(entry.source.key);
        keys?.delete(key);
        if (keys?.size === 0) this.byOriginKey.delete(entry.source.key);
      },
    });
  }

  /** Where the edge would fetch a segment URI written in the playlist at edge path `playlistKey`. */
  sourceOf(playlistKey: string, uri: string): SegmentSource {
    let url: URL;
    try {
      // Relative URIs resolve against the playlist's URL at the origin, as a player resolves them at the edge.
      url = new URL(uri, new URL(this.origin.pathname.replace(/\/$/, '') + playlistKey, this.origin));
    } catch {
      return { kind: 'refused', reason: 'malformed URI' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { kind: 'refused', reason: `${url.protocol} URI` };
    if (url.host === this.origin.host && url.protocol === this.origin.protocol) {
      const base = this.origin.pathname.replace(/\/$/, '');
      if (!url.pathname.startsWith(base + '/')) return { kind: 'refused', reason: 'outside the origin path' };
      const key = url.pathname.slice(base.length) + url.search;
      if (!this.options.pathPrefixes.some((prefix) => key.startsWith(prefix))) return { kind: 'refused', reason: 'outside the cached paths' };
      return { kind: 'origin', key };
    }
    const allowed = this.options.allowedHosts.some((host) => (host.includes(':') && !host.startsWith('[') ? url.host === host : url.hostname === host || url.host === host));
    return allowed ? { kind: 'host', url: url.href } : { kind: 'refused', reason: 'host not allowed' };
  }

  /**
   * The playlist with a digest before every segment hashed so far. New segments are fetched at once; the
   * answer waits up to `waitMs` after their fetch started for those already under way, so that players
   * usually get the tag of a new live segment in the very playlist that first names it.
   */
  async annotate(playlistKey: string, text: string): Promise<AnnotatedPlaylist> {
    const scanned = scanMediaPlaylist(text);
    if (!scanned || scanned.hasDigests || scanned.segments.length === 0 || this.closed) return { text: undefined, complete: true, taggedAt: 0 };
    const keys: (string | undefined)[] = [];
    for (const segment of scanned.segments) {
      const source = this.sourceOf(playlistKey, segment.uri);
      // Live: each new segment goes to the front of the queue, so the newest, which players want next, is
      // fetched first; VOD: in playlist order, as players will want them.
      keys.push(source.kind === 'refused' ? undefined : this.track(source, segment.byteRange, scanned.live));
    }
    this.pump();
    // Those players want first: the newest of a live playlist, the first of a VOD one.
    const first = (scanned.live ? [...keys].reverse() : keys).filter((key) => key !== undefined && this.entries.peek(key)?.tag === undefined);
    await this.waitForRecent(first.slice(0, this.options.maxConcurrent));
    let taggedAt = 0;
    const tags = keys.map((key) => {
      const entry = key === undefined ? undefined : this.entries.get(key);
      if (entry?.tag !== undefined) taggedAt = Math.max(taggedAt, entry.since);
      return entry?.tag;
    });
    return { text: annotateWithDigests(text, tags), complete: tags.every((tag) => tag !== undefined), taggedAt };
  }

  /** Whether `key` is an origin object some media playlist names as a segment (and the edge hashes). */
  namesSegment(key: string): boolean {
    return this.byOriginKey.has(key);
  }

  /** The cache stored a new copy of an origin object: segments cut from it are hashed again from these bytes. */
  stored(key: string, body: Buffer): void {
    for (const entryKeyOf of this.byOriginKey.get(key) ?? []) {
      const entry = this.entries.peek(entryKeyOf);
      if (entry?.state !== 'hashed') continue;
      const tag = this.digest(body, entry.byteRange) ?? entry.tag;
      if (tag !== entry.tag) {
        entry.tag = tag;
        entry.since = this.options.now();
      }
    }
  }

  private track(source: Entry['source'], byteRange: NamedSegment['byteRange'], front: boolean): string {
    const key = entryKey(source, byteRange);
    const existing = this.entries.get(key);
    if (existing && !(existing.state === 'failed' && this.options.now() - existing.since >= this.options.retryMs)) return key;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const entry: Entry = { source, byteRange, state: 'queued', tag: undefined, since: this.options.now(), settled, settle };
    this.entries.set(key, entry);
    if (source.kind === 'origin') {
      let keys = this.byOriginKey.get(source.key);
      if (!keys) this.byOriginKey.set(source.key, (keys = new Set()));
      keys.add(key);
    }
    if (front) this.queue.unshift(key);
    else this.queue.push(key);
    return key;
  }

  private pump(): void {
    while (this.active < this.options.maxConcurrent && this.queue.length > 0 && !this.closed) {
      const key = this.queue.shift()!;
      const entry = this.entries.peek(key);
      if (!entry || entry.state !== 'queued') continue;
      entry.state = 'fetching';
      entry.since = this.options.now();
      this.active++;
      void this.fetch(entry).then((tag) => {
        this.active--;
        entry.tag = tag;
        entry.state = tag === undefined ? 'failed' : 'hashed';
        entry.since = this.options.now();
        this.onResult(tag === undefined ? 'failed' : 'hashed');
        entry.settle();
        this.pump();
      });
    }
  }

  private async fetch(entry: Entry): Promise<string | undefined> {
    try {
      const body =
        entry.source.kind === 'origin' ? await this.loader.fromOrigin(entry.source.key) : await this.loader.fromHost(entry.source.url, entry.byteRange);
      if (!body) return undefined;
      // A host asked for a range answers with those bytes; the cache holds whole objects.
      return this.digest(body, entry.source.kind === 'host' ? undefined : entry.byteRange);
    } catch {
      return undefined;
    }
  }

  private digest(body: Buffer, range: NamedSegment['byteRange']): string | undefined {
    if (range && range.offset + range.length > body.length) return undefined;
    const bytes = range ? body.subarray(range.offset, range.offset + range.length) : body;
    return formatDigestTag(new Uint8Array(createHash('sha256').update(bytes).digest()));
  }

  /** Waits for fetches queued or under way since less than `waitMs`, until that much time has passed. */
  private async waitForRecent(keys: readonly (string | undefined)[]): Promise<void> {
    const now = this.options.now();
    let until = now;
    const pending: Promise<void>[] = [];
    for (const key of keys) {
      const entry = key === undefined ? undefined : this.entries.peek(key);
      if (!entry || (entry.state !== 'fetching' && entry.state !== 'queued') || now - entry.since >= this.options.waitMs) continue;
      pending.push(entry.settled);
      until = Math.max(until, entry.since + this.options.waitMs);
    }
    if (pending.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(pending), new Promise<void>((resolve) => (timer = setTimeout(resolve, until - now)))]);
    clearTimeout(timer);
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    for (const entry of this.entries.values()) entry.settle();
  }
}
