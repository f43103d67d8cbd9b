import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  answerPreflight,
  CorsAllowList,
  OBJECT_EXPOSED_HEADERS,
  OBJECT_METHODS,
  OBJECT_REQUEST_HEADERS,
  sendError,
  serveObject,
  writeCorsHeaders,
  type PublishedObject,
} from '@shoal/http-object';
import { EdgeError } from '../errors.js';
import type { EdgeModule } from '../http/module.js';
import { hasFreshness, parseCacheControl, type CachePolicy } from './cache-control.js';
import { Inflight } from './inflight.js';
import { OriginClient, type OriginFailure } from './origin-client.js';
import { fetchFromHost } from './host-fetch.js';
import { passHeaders, streamThrough } from './pass-through.js';
import { DIGEST_RESULTS, SegmentDigests } from './segment-digests.js';

export interface EdgeCacheOptions {
  /** The origin, e.g. `http://origin.internal:8080`. */
  readonly originUrl: string;
  /** Bytes of objects kept in memory. */
  readonly cacheBytes: number;
  /** Larger objects are streamed through, never cached. */
  readonly maxObjectBytes: number;
  /** An origin silent this long gets a 504. */
  readonly originTimeoutMs: number;
  /** How long a stale copy may stand in for a failing origin when the origin's headers do not say (`stale-if-error`). */
  readonly staleIfErrorSeconds: number;
  /** Paths served through the cache. */
  readonly pathPrefixes: readonly string[];
  /** Origins of player pages allowed by CORS; `['*']` allows any. */
  readonly corsOrigins: readonly string[];
  /** Write `#EXT-X-SHOAL-DIGEST` tags into media playlists that carry none. @default true */
  readonly segmentDigests?: boolean;
  /** Hosts (`host` or `host:port`) besides the origin whose segments the edge may fetch to hash them. @default [] */
  readonly allowSegmentHosts?: readonly string[];
  /** How long a playlist response may wait for digests of segments being fetched. @default 1000 */
  readonly digestWaitMs?: number;
  /** Freshness of a segment a playlist names when the origin's Cache-Control gives none. @default 60 */
  readonly segmentMaxAgeSeconds?: number;
}

/** Segment fetches for hashing at once. */
const DIGEST_CONCURRENCY = 4;
/** A segment that could not be fetched is tried again after this long. */
const DIGEST_RETRY_MS = 2_000;
const DIGEST_ENTRIES = 100_000;
const PLAYLIST_TYPES = /mpegurl/i;

export const CACHE_RESULTS = ['hit', 'miss', 'coalesced', 'stale'] as const;
type CacheResult = (typeof CACHE_RESULTS)[number];

interface Entry {
  readonly body: Buffer;
  readonly contentType: string;
  readonly cacheControl: string;
  readonly etag: string;
  readonly lastModified: Date;
  storedAt: number;
  policy: CachePolicy;
}

const EXPOSED_HEADERS = `${OBJECT_EXPOSED_HEADERS}, Age`;

/** Stream names seen in playlists the edge served, for the stats' cardinality guard. */
export type PlaylistObserver = (path: string) => void;

/**
 * The edge's caching reverse proxy in front of the origin: objects in memory bounded by bytes, freshness
 * from the origin's Cache-Control, N simultaneous misses for one object → one origin request streamed to
 * all of them, Range/conditional/HEAD answered from the cache, stale copies served when the origin fails,
 * and origin failures mapped to 502/504 without caching them.
 */
export class EdgeCache implements EdgeModule {
  readonly name = 'cache';
  private readonly origin: OriginClient;
  private readonly entries: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Inflight>();
  private readonly requests: Counter<'result'>;
  private readonly originBytes: Counter;
  private readonly egressBytes: Counter;
  private readonly digests: SegmentDigests | undefined;
  private readonly hostFetches = new Set<AbortController>();
  private readonly cors: CorsAllowList;

  constructor(
    private readonly options: EdgeCacheOptions,
    registry: Registry,
    private readonly log: Logger,
    private readonly onPlaylist: PlaylistObserver = () => undefined,
  ) {
    this.origin = new OriginClient(new URL(options.originUrl), options.originTimeoutMs);
    this.cors = new CorsAllowList(options.corsOrigins);
    this.entries = new LRUCache<string, Entry>({ maxSize: Math.max(1, options.cacheBytes), sizeCalculation: (entry) => Math.max(1, entry.body.length) });
    this.requests = new Counter({
      name: 'shoal_edge_cache_requests_total',
      help: 'Requests answered by the edge cache, by result (hit, miss, coalesced onto a miss in flight, stale copy served)',
      labelNames: ['result'] as const,
      registers: [registry],
    });
    for (const result of CACHE_RESULTS) this.requests.labels(result).inc(0);
    this.originBytes = new Counter({ name: 'shoal_edge_origin_bytes_total', help: 'Body bytes fetched from the origin', registers: [registry] });
    this.egressBytes = new Counter({ name: 'shoal_edge_egress_bytes_total', help: 'Body bytes sent to clients by the edge cache', registers: [registry] });
    if (options.segmentDigests ?? true) {
      const digestCount = new Counter({
        name: 'shoal_edge_segment_digests_total',
        help: 'Segments the edge fetched to write their digest into playlists of an origin that writes none, by result',
        labelNames: ['result'] as const,
        registers: [registry],
      });
      for (const result of DIGEST_RESULTS) digestCount.labels(result).inc(0);
      this.digests = new SegmentDigests(
        {
          originUrl: options.originUrl,
          pathPrefixes: options.pathPrefixes,
          allowedHosts: options.allowSegmentHosts ?? [],
          waitMs: options.digestWaitMs ?? 1000,
          maxConcurrent: DIGEST_CONCURRENCY,
          retryMs: DIGEST_RETRY_MS,
          maxEntries: DIGEST_ENTRIES,
          now: () => Date.now(),
        },
        { fromOrigin: (key) => this.load(key), fromHost: (url, range) => this.fromHost(url, range) },
        (result) => digestCount.labels(result).inc(),
      );
    }
    const entries = this.entries;
    new Gauge({
      name: 'shoal_edge_cache_bytes',
      help: 'Bytes of objects held in the edge cache',
      registers: [registry],
      collect() {
        this.set(entries.calculatedSize);
      },
    });
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    if (!this.options.pathPrefixes.some((prefix) => url.startsWith(prefix))) return false;
    // CORS for the player's page: the edge answers for itself, whatever the origin said to the edge.
    writeCorsHeaders(req, res, this.cors, EXPOSED_HEADERS);
    if (req.method === 'OPTIONS') {
      answerPreflight(res, OBJECT_METHODS, OBJECT_REQUEST_HEADERS);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendError(res, new EdgeError('SHOAL_ERR_METHOD_NOT_ALLOWED', 'the edge cache serves GET and HEAD'));
      return true;
    }
    this.serve(req, res, url).catch((error: unknown) => {
      this.log.error({ err: error, url }, 'edge cache request failed');
      sendError(res, new EdgeError('SHOAL_ERR_BAD_GATEWAY', 'edge cache failure'));
    });
    return true;
  }

  private count(result: CacheResult): void {
    this.requests.labels(result).inc();
  }

  private fresh(entry: Entry, now: number): boolean {
    return now - entry.storedAt < entry.policy.maxAgeMs;
  }

  private staleUsable(entry: Entry | undefined, now: number): entry is Entry {
    if (!entry) return false;
    const window = entry.policy.staleIfErrorMs ?? this.options.staleIfErrorSeconds * 1000;
    return entry.policy.immutable || now - entry.storedAt < entry.policy.maxAgeMs + window;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    const now = Date.now();
    const entry = this.entries.get(key, { allowStale: true });
    if (entry && this.fresh(entry, now)) {
      this.count('hit');
      await this.send(req, res, key, entry);
      return;
    }
    let flight = this.inflight.get(key);
    const joined = flight !== undefined && !flight.overflowed;
    if (!flight || flight.overflowed) flight = this.startFetch(key, entry);
    try {
      await flight.headersReady;
    } catch (error) {
      await this.originFailed(req, res, key, entry, error as OriginFailure);
      return;
    }
    if (flight.status >= 500) {
      await flight.finished;
      await this.originFailed(req, res, key, entry, { kind: 'unreachable', message: `origin answered ${flight.status}` } as OriginFailure);
      return;
    }
    this.count(joined ? 'coalesced' : 'miss');
    if (flight.status === 304 && entry) {
      // Revalidated: the copy we hold is current again.
      await flight.finished;
      await this.send(req, res, key, this.entries.get(key, { allowStale: true }) ?? entry);
      return;
    }
    const simple = req.method === 'GET' && !req.headers.range && !req.headers['if-none-match'] && !req.headers['if-modified-since'];
    // Playlists the edge annotates are read whole first; everything else streams through as it arrives.
    if (flight.status === 200 && simple && !this.annotates(key, flight.headers['content-type'])) {
      streamThrough(res, flight, (bytes) => this.egressBytes.inc(bytes));
      return;
    }
    await flight.finished;
    if (flight.failure) {
      await this.originFailed(req, res, key, entry, flight.failure);
      return;
    }
    const stored = this.entries.get(key, { allowStale: true });
    if (flight.status === 200 && stored) {
      await this.send(req, res, key, stored);
      return;
    }
    if (flight.status === 200 && !flight.overflowed && this.annotates(key, flight.headers['content-type'])) {
      // A playlist the origin forbids caching: annotated all the same.
      const cacheControl = String(flight.headers['cache-control'] ?? '');
      await this.send(req, res, key, this.entryOf(flight, parseCacheControl(cacheControl), cacheControl));
      return;
    }
    // Not cacheable, or not a 200: pass the origin's answer through.
    res.writeHead(flight.status, passHeaders(flight.headers));
    const body = flight.overflowed ? Buffer.alloc(0) : flight.body();
    this.egressBytes.inc(req.method === 'HEAD' ? 0 : body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private startFetch(key: string, entry: Entry | undefined): Inflight {
    const headers: Record<string, string> = {};
    if (entry) headers['If-None-Match'] = entry.etag;
    const flight = new Inflight(this.origin, key, headers, this.options.maxObjectBytes, (bytes) => this.originBytes.inc(bytes));
    this.inflight.set(key, flight);
    void flight.finished.then(() => {
      if (this.inflight.get(key) === flight) this.inflight.delete(key);
      if (flight.failure) return;
      if (flight.status === 304 && entry) {
        entry.storedAt = Date.now();
        entry.policy = this.policyFor(key, String(flight.headers['cache-control'] ?? entry.cacheControl));
        this.entries.set(key, entry);
      } else if (flight.status === 200) {
        this.store(key, flight);
      }
    });
    return flight;
  }

  /**
   * The origin's Cache-Control, except that a segment a media playlist names, which the origin gave no
   * freshness, stays fresh for `segmentMaxAgeSeconds`: segment URIs do not change content (HLS), and the
   * edge must not ask the origin again for every player (nginx serving an encoder's folder says nothing).
   */
  private policyFor(key: string, cacheControl: string): CachePolicy {
    const policy = parseCacheControl(cacheControl);
    if (policy.noStore || hasFreshness(cacheControl) || !this.digests?.namesSegment(key)) return policy;
    return { ...policy, maxAgeMs: (this.options.segmentMaxAgeSeconds ?? 60) * 1000 };
  }

  private entryOf(flight: Inflight, policy: CachePolicy, cacheControl: string): Entry {
    const body = flight.body();
    const etag = typeof flight.headers.etag === 'string' ? flight.headers.etag : `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const modified = Date.parse(String(flight.headers['last-modified'] ?? ''));
    return {
      body,
      contentType: String(flight.headers['content-type'] ?? 'application/octet-stream'),
      cacheControl,
      etag,
      lastModified: Number.isFinite(modified) ? new Date(modified) : new Date(),
      storedAt: Date.now(),
      policy,
    };
  }

  private store(key: string, flight: Inflight): void {
    const cacheControl = String(flight.headers['cache-control'] ?? '');
    const policy = this.policyFor(key, cacheControl);
    if (policy.noStore || flight.overflowed) return;
    const entry = this.entryOf(flight, policy, cacheControl);
    this.entries.set(key, entry);
    this.digests?.stored(key, entry.body);
    if (key.split('?', 1)[0]!.endsWith('.m3u8')) this.onPlaylist(key.split('?', 1)[0]!);
  }

  /** Whether the object at `key` is a playlist the edge writes digests into. */
  private annotates(key: string, contentType: unknown): boolean {
    if (!this.digests) return false;
    const path = key.split('?', 1)[0]!;
    return path.endsWith('.m3u8') || path.endsWith('.m3u') || (typeof contentType === 'string' && PLAYLIST_TYPES.test(contentType));
  }

  /**
   * An origin object's bytes for hashing, through the cache: a fresh copy, or the request already under
   * way for a player, or a new one that players arriving meanwhile join. Undefined unless a whole 200.
   */
  private async load(key: string): Promise<Buffer | undefined> {
    const entry = this.entries.get(key, { allowStale: true });
    if (entry && this.fresh(entry, Date.now())) return entry.body;
    let flight = this.inflight.get(key);
    if (!flight || flight.overflowed) flight = this.startFetch(key, entry);
    await flight.finished;
    if (flight.failure || flight.overflowed) return undefined;
    if (flight.status === 304) return (this.entries.get(key, { allowStale: true }) ?? entry)?.body;
    return flight.status === 200 ? flight.body() : undefined;
  }

  private async fromHost(url: string, range: { offset: number; length: number } | undefined): Promise<Buffer | undefined> {
    const controller = new AbortController();
    this.hostFetches.add(controller);
    try {
      const body = await fetchFromHost(url, range, { timeoutMs: this.options.originTimeoutMs, maxBytes: this.options.maxObjectBytes, signal: controller.signal });
      if (body) this.originBytes.inc(body.length);
      return body;
    } catch (error) {
      this.log.warn({ url, err: (error as Error).message }, 'segment on another host could not be fetched for its digest');
      return undefined;
    } finally {
      this.hostFetches.delete(controller);
    }
  }

  private async send(req: IncomingMessage, res: ServerResponse, key: string, entry: Entry): Promise<void> {
    let object: PublishedObject = {
      kind: 'segment',
      size: entry.body.length,
      etag: entry.etag,
      lastModified: entry.lastModified,
      contentType: entry.contentType,
      cacheControl: entry.cacheControl,
      body: entry.body,
    };
    if (this.digests && this.annotates(key, entry.contentType)) {
      const annotated = await this.digests.annotate(key, entry.body.toString('utf8'));
      if (annotated.text !== undefined) {
        const body = Buffer.from(annotated.text, 'utf8');
        object = {
          ...object,
          kind: 'playlist',
          size: body.length,
          body,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
          // Changed when a digest was added, for clients that revalidate by date alone.
          lastModified: new Date(Math.max(entry.lastModified.getTime(), annotated.taggedAt)),
          // Tags still missing will appear in a later copy: nobody may keep this one.
          cacheControl: annotated.complete ? entry.cacheControl : 'no-cache',
        };
      }
    }
    res.setHeader('Age', String(Math.max(0, Math.floor((Date.now() - entry.storedAt) / 1000))));
    serveObject(req, res, object, (bytes) => this.egressBytes.inc(bytes));
  }

  private async originFailed(req: IncomingMessage, res: ServerResponse, key: string, entry: Entry | undefined, failure: OriginFailure): Promise<void> {
    if (this.staleUsable(entry, Date.now())) {
      this.count('stale');
      res.setHeader('Warning', '111 - "Revalidation Failed"');
      await this.send(req, res, key, entry);
      return;
    }
    this.count('miss');
    this.log.warn({ url: key, failure: failure.message }, 'origin failed');
    if (failure.kind === 'timeout') sendError(res, new EdgeError('SHOAL_ERR_ORIGIN_TIMEOUT', 'origin did not answer in time'));
    else sendError(res, new EdgeError('SHOAL_ERR_BAD_GATEWAY', 'origin unreachable or failing'));
  }

  /** Bytes held. */
  get bytes(): number {
    return this.entries.calculatedSize;
  }

  async close(): Promise<void> {
    this.digests?.close();
    for (const controller of this.hostFetches) controller.abort();
    this.origin.close();
    this.entries.clear();
  }
}
