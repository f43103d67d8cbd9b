/** Options of one edge node. Every field has a `SHOAL_*` environment variable and a flag in `shoal-edge --help`. */
export interface EdgeOptions {
  /** Seconds until a client's next announce, sent as `interval` in every announce reply. @default 60 */
  announceIntervalSeconds: number;
  /** Largest WebSocket frame accepted; larger ones close the socket with 1009. @default 65536 */
  maxFrameBytes: number;
  /** Offers accepted in one announce; more is refused with `failure reason`. @default 20 */
  maxOffersPerAnnounce: number;
  /** Characters accepted in one SDP offer or answer. @default 16384 */
  maxSdpLength: number;
  /** Info hashes accepted in one scrape. @default 32 */
  maxScrapeHashes: number;
  /** Messages a connection may send per second, on average. @default 20 */
  messagesPerSecond: number;
  /** Messages a connection may send in a burst above the average. @default 60 */
  messageBurst: number;
  /** Swarm memberships (swarm × peer_id) one connection may hold. @default 16 */
  maxSwarmsPerConnection: number;
  /** Peers of one swarm connected to this node; a newcomer to a full swarm evicts the peer that announced least recently. @default 5000 */
  maxPeersPerSwarm: number;
  /** WebSocket connections this node accepts; past it the handshake gets HTTP 503. @default 100000 */
  maxConnections: number;
  /** A connection that sends no message for this long is closed with 4000. @default 180000 (3 announce intervals) */
  idleTimeoutMs: number;
  /** Every connection is pinged this often; one that has not answered the previous ping is dropped. @default 30000 */
  pingIntervalMs: number;
  /** A connection whose unsent data exceeds this is closed with 4002. @default 1048576 */
  maxBufferedBytes: number;
  /** Offers relayed to one connection and remembered, so that only real answers are routed back. @default 128 */
  maxPendingOffers: number;
  /** How long a relayed offer can be answered. @default 60000 (WebTorrent gives up after 50 s) */
  offerTimeoutMs: number;
  /** Allowed `Origin` header values for the WebSocket handshake; `['*']` allows any (and none). @default ['*'] */
  allowedOrigins: readonly string[];
  /** Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` is believed. @default [] */
  trustedProxies: readonly string[];
  /** This node's edge region, the third matching tier after network and ASN/country. @default 'default' */
  region: string;
  /** GeoLite2-format `.mmdb` files (ASN, Country or City) for ASN/country matching. @default [] */
  geoipDatabases: readonly string[];
  /** Request paths that accept the tracker WebSocket. @default ['/', '/announce'] */
  trackerPaths: readonly string[];
  /** Redis URL to share swarms with other edge nodes; standalone in memory without one. @default undefined */
  redisUrl: string | undefined;
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. @default 'shoal:' */
  redisKeyPrefix: string;
  /** A node that has not refreshed its Redis heartbeat for this long is gone, with all its peers. @default 10000 */
  nodeTtlMs: number;
  /** Swarm membership TTL in Redis and for remote peers in memory; refreshed by each announce. @default 150000 */
  memberTtlMs: number;
  /** The origin the caching proxy serves `/live/` and `/vod/` from, e.g. `http://origin:8080`; no proxy without one. @default undefined */
  originUrl: string | undefined;
  /** Bytes of objects the edge cache keeps in memory. @default 268435456 (256 MiB) */
  cacheBytes: number;
  /** Objects larger than this are streamed through the edge, never cached. @default 33554432 (32 MiB) */
  maxObjectBytes: number;
  /** An origin silent this long gets the client a 504. @default 10000 */
  originTimeoutMs: number;
  /** How long a stale copy may stand in for a failing origin, when the origin's Cache-Control does not say. @default 60 */
  staleIfErrorSeconds: number;
  /** Path prefixes served through the cache. @default ['/live/', '/vod/'] */
  cachePathPrefixes: readonly string[];
  /**
   * Write `#EXT-X-SHOAL-DIGEST` tags into media playlists of an origin that writes none: each segment a
   * playlist names is fetched once through the cache and hashed, so peers can verify what they share.
   * @default true
   */
  segmentDigests: boolean;
  /** Hosts other than the origin (`host` or `host:port`) whose segments, named by absolute URLs in playlists, the edge may fetch to hash. @default [] */
  allowSegmentHosts: readonly string[];
  /** How long a playlist answer may wait for the digests of segments whose fetch just started. @default 1000 */
  digestWaitMs: number;
  /** Freshness of a segment a playlist names when the origin sends no Cache-Control freshness. @default 60 */
  segmentMaxAgeSeconds: number;
  /** Path of the player stats ingest. @default '/stats' */
  statsPath: string;
  /** Stats reports accepted per second per player session, on average, and in a burst. @default 1, 10 */
  statsReportsPerSecond: number;
  statsReportsBurst: number;
  /**
   * Stats reports accepted per second from all sessions behind one client address together, on average, and
   * in a burst: a ceiling for addresses many viewers share (500/s is 2,500 players reporting every 5 s).
   * @default 500, 2500
   */
  statsAddressReportsPerSecond: number;
  statsAddressReportsBurst: number;
  /** Distinct stream labels on player metrics; more streams report as `other`. @default 100 */
  maxStreamLabels: number;
  /** STUN servers handed to every tracker connection (`stun:host:3478`), for viewers behind NATs. @default [] */
  stunUrls: readonly string[];
  /** TURN servers handed out with short-lived credentials (`turn:host:3478?transport=udp`); needs `turnSecret`. @default [] */
  turnUrls: readonly string[];
  /** coturn's `static-auth-secret`, to sign TURN credentials (TURN REST API). @default undefined */
  turnSecret: string | undefined;
  /** Lifetime of the TURN credentials handed out, in seconds. @default 3600 */
  turnTtlSeconds: number;
  /**
   * Match peers by reachability: no more offers between two peers that failed to connect, and hard-to-reach
   * peers (every attempt failed) paired with reachable ones first. Off: nearby matching only. @default true
   */
  natAwareMatching: boolean;
}

export const DEFAULT_EDGE_OPTIONS: Readonly<EdgeOptions> = {
  announceIntervalSeconds: 60,
  maxFrameBytes: 64 * 1024,
  maxOffersPerAnnounce: 20,
  maxSdpLength: 16 * 1024,
  maxScrapeHashes: 32,
  messagesPerSecond: 20,
  messageBurst: 60,
  maxSwarmsPerConnection: 16,
  maxPeersPerSwarm: 5_000,
  maxConnections: 100_000,
  idleTimeoutMs: 180_000,
  pingIntervalMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  maxPendingOffers: 128,
  offerTimeoutMs: 60_000,
  allowedOrigins: ['*'],
  trustedProxies: [],
  region: 'default',
  geoipDatabases: [],
  trackerPaths: ['/', '/announce'],
  redisUrl: undefined,
  redisKeyPrefix: 'shoal:',
  nodeTtlMs: 10_000,
  memberTtlMs: 150_000,
  originUrl: undefined,
  cacheBytes: 256 * 1024 * 1024,
  maxObjectBytes: 32 * 1024 * 1024,
  originTimeoutMs: 10_000,
  staleIfErrorSeconds: 60,
  cachePathPrefixes: ['/live/', '/vod/'],
  segmentDigests: true,
  allowSegmentHosts: [],
  digestWaitMs: 1000,
  segmentMaxAgeSeconds: 60,
  statsPath: '/stats',
  statsReportsPerSecond: 1,
  statsReportsBurst: 10,
  statsAddressReportsPerSecond: 500,
  statsAddressReportsBurst: 2500,
  maxStreamLabels: 100,
  stunUrls: [],
  turnUrls: [],
  turnSecret: undefined,
  turnTtlSeconds: 3600,
  natAwareMatching: true,
};

function positive(name: keyof EdgeOptions, value: number, integer = true): void {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}

/** Spreads user options over the defaults and validates them; throws RangeError naming the offending option. */
export function resolveEdgeOptions(options: Partial<EdgeOptions> = {}): EdgeOptions {
  const merged: EdgeOptions = { ...DEFAULT_EDGE_OPTIONS, ...options };
  for (const name of [
    'announceIntervalSeconds',
    'maxFrameBytes',
    'maxOffersPerAnnounce',
    'maxSdpLength',
    'maxScrapeHashes',
    'messageBurst',
    'maxSwarmsPerConnection',
    'maxPeersPerSwarm',
    'maxConnections',
    'idleTimeoutMs',
    'pingIntervalMs',
    'maxBufferedBytes',
    'maxPendingOffers',
    'offerTimeoutMs',
    'nodeTtlMs',
    'memberTtlMs',
    'cacheBytes',
    'maxObjectBytes',
    'originTimeoutMs',
    'statsReportsBurst',
    'statsAddressReportsBurst',
    'maxStreamLabels',
    'turnTtlSeconds',
  ] as const) {
    positive(name, merged[name]);
  }
  positive('messagesPerSecond', merged.messagesPerSecond, false);
  positive('statsReportsPerSecond', merged.statsReportsPerSecond, false);
  positive('statsAddressReportsPerSecond', merged.statsAddressReportsPerSecond, false);
  if (!Number.isFinite(merged.staleIfErrorSeconds) || merged.staleIfErrorSeconds < 0) throw new RangeError('staleIfErrorSeconds must be 0 or more');
  if (!Number.isInteger(merged.digestWaitMs) || merged.digestWaitMs < 0) throw new RangeError(`digestWaitMs must be an integer of 0 or more, got ${merged.digestWaitMs}`);
  if (!Number.isFinite(merged.segmentMaxAgeSeconds) || merged.segmentMaxAgeSeconds < 0) throw new RangeError('segmentMaxAgeSeconds must be 0 or more');
  for (const host of merged.allowSegmentHosts) {
    if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) {
      throw new RangeError(`allowSegmentHosts takes host names or host:port, got ${JSON.stringify(host)}`);
    }
  }
  if (merged.originUrl !== undefined && !/^http:\/\//.test(merged.originUrl)) {
    throw new RangeError(`originUrl must start with http://, got ${merged.originUrl}`);
  }
  if (!merged.statsPath.startsWith('/') || merged.cachePathPrefixes.some((p) => !p.startsWith('/'))) {
    throw new RangeError('statsPath and cachePathPrefixes must be absolute paths');
  }
  if (merged.maxFrameBytes > 16 * 1024 * 1024) throw new RangeError('maxFrameBytes must be at most 16 MiB');
  if (merged.region.trim() === '') throw new RangeError('region must not be empty');
  if (merged.trackerPaths.length === 0 || merged.trackerPaths.some((p) => !p.startsWith('/'))) {
    throw new RangeError('trackerPaths must be absolute paths');
  }
  if (merged.memberTtlMs < merged.announceIntervalSeconds * 1000) {
    throw new RangeError('memberTtlMs must be at least one announce interval, or live peers would expire between announces');
  }
  if (merged.redisUrl !== undefined && !/^rediss?:\/\//.test(merged.redisUrl)) {
    throw new RangeError(`redisUrl must start with redis:// or rediss://, got ${merged.redisUrl}`);
  }
  for (const url of merged.stunUrls) if (!/^stuns?:[^\s]+$/.test(url)) throw new RangeError(`stunUrls must start with stun: or stuns:, got ${url}`);
  for (const url of merged.turnUrls) if (!/^turns?:[^\s]+$/.test(url)) throw new RangeError(`turnUrls must start with turn: or turns:, got ${url}`);
  if (merged.turnUrls.length > 0 && !merged.turnSecret) throw new RangeError('turnUrls need turnSecret (coturn static-auth-secret)');
  if (merged.stunUrls.length + merged.turnUrls.length > 8) throw new RangeError('at most 8 STUN and TURN URLs');
  return merged;
}
