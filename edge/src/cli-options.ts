import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EdgeOptions } from './options.js';

export const EDGE_USAGE = `Usage: shoal-edge [options]

Runs a Shoal edge node: the WebSocket tracker that introduces nearby viewers of the same rendition
(ws://<host>:<port>/announce, WebTorrent-tracker compatible), a caching proxy in front of the origin
(/live/, /vod/) that writes segment digests into playlists of origins that write none, player stats ingest (POST /stats), /metrics and /healthz.

Options (environment variable in brackets):
  --port <n>                       port to listen on [SHOAL_PORT] (default 8000)
  --host <addr>                    address to listen on [SHOAL_HOST] (default 0.0.0.0)
  --region <name>                  this node's edge region, used for matching [SHOAL_REGION] (default default)
  --redis-url <url>                share swarms with other edge nodes through Redis [SHOAL_REDIS_URL]
                                   (standalone in memory without one)
  --redis-prefix <text>            prefix of Redis keys and channels [SHOAL_REDIS_PREFIX] (default shoal:)
  --node-ttl-ms <n>                a silent node's peers are dropped after this [SHOAL_NODE_TTL_MS] (default 10000)
  --member-ttl-ms <n>              swarm membership TTL [SHOAL_MEMBER_TTL_MS] (default 150000)
  --geoip <file.mmdb>              GeoLite2-format ASN/Country/City database for matching; repeatable
                                   [SHOAL_GEOIP, comma-separated]
  --trusted-proxies <list>         comma-separated addresses/CIDRs whose X-Forwarded-For is believed
                                   [SHOAL_TRUSTED_PROXIES]
  --allowed-origins <list>         comma-separated Origin values allowed to connect, or * [SHOAL_ALLOWED_ORIGINS]
                                   (default *)
  --announce-interval <s>          announce interval given to clients [SHOAL_ANNOUNCE_INTERVAL] (default 60)
  --max-frame-bytes <n>            largest WebSocket frame [SHOAL_MAX_FRAME_BYTES] (default 65536)
  --max-offers <n>                 offers per announce [SHOAL_MAX_OFFERS] (default 20)
  --messages-per-second <n>        per-connection message rate [SHOAL_MESSAGES_PER_SECOND] (default 20)
  --message-burst <n>              per-connection burst [SHOAL_MESSAGE_BURST] (default 60)
  --max-swarms-per-connection <n>  [SHOAL_MAX_SWARMS_PER_CONNECTION] (default 16)
  --max-peers-per-swarm <n>        [SHOAL_MAX_PEERS_PER_SWARM] (default 5000)
  --max-connections <n>            [SHOAL_MAX_CONNECTIONS] (default 100000)
  --idle-timeout-ms <n>            close connections silent this long [SHOAL_IDLE_TIMEOUT_MS] (default 180000)
  --ping-interval-ms <n>           ping every connection this often [SHOAL_PING_INTERVAL_MS] (default 30000)
  --origin <url>                   origin to cache, e.g. http://origin:8080 [SHOAL_ORIGIN_URL] (no proxy without)
  --cache-bytes <n>                memory for cached objects [SHOAL_CACHE_BYTES] (default 268435456)
  --max-object-bytes <n>           larger objects are streamed, not cached [SHOAL_MAX_OBJECT_BYTES] (default 33554432)
  --origin-timeout-ms <n>          504 when the origin is silent this long [SHOAL_ORIGIN_TIMEOUT_MS] (default 10000)
  --stale-if-error <s>             serve stale copies this long while the origin fails [SHOAL_STALE_IF_ERROR] (default 60)
  --allow-segment-host <host>      another host (or host:port) whose segments playlists name by absolute URL; the
                                   edge fetches them to hash them, nothing else; repeatable
                                   [SHOAL_ALLOW_SEGMENT_HOSTS, comma-separated]
  --digest-wait-ms <n>             a playlist answer waits this long for digests of segments just named
                                   [SHOAL_DIGEST_WAIT_MS] (default 1000)
  --segment-max-age <s>            freshness of segments when the origin sends none [SHOAL_SEGMENT_MAX_AGE] (default 60)
  --no-segment-digests             serve playlists without adding digests [SHOAL_SEGMENT_DIGESTS=off]
  --stats-reports-per-second <n>   stats reports per second per player session [SHOAL_STATS_REPORTS_PER_SECOND]
                                   (default 1)
  --stats-reports-burst <n>        per-session burst above that rate [SHOAL_STATS_REPORTS_BURST] (default 10)
  --stats-address-reports-per-second <n>
                                   stats reports per second from all sessions behind one client address
                                   [SHOAL_STATS_ADDRESS_REPORTS_PER_SECOND] (default 500)
  --stats-address-reports-burst <n>
                                   per-address burst [SHOAL_STATS_ADDRESS_REPORTS_BURST] (default 2500)
  --stun-url <url>                 STUN server handed to viewers, e.g. stun:edge.example:3478; repeatable
                                   [SHOAL_STUN_URLS, comma-separated]
  --turn-url <url>                 TURN server handed to viewers with short-lived credentials, e.g.
                                   turn:edge.example:3478?transport=udp; repeatable [SHOAL_TURN_URLS]
  --turn-secret <text>             coturn's static-auth-secret, signs the TURN credentials [SHOAL_TURN_SECRET]
  --turn-ttl <s>                   lifetime of TURN credentials [SHOAL_TURN_TTL] (default 3600)
  --nat-aware-matching <on|off>    stop pairing peers that failed to connect [SHOAL_NAT_AWARE_MATCHING] (default on)
  --log-level <level>              trace, debug, info, warn, error or silent [SHOAL_LOG_LEVEL] (default info)
  -h, --help                       show this help

Several nodes behind a load balancer share swarms when given the same --redis-url.
`;

export interface EdgeCliSettings {
  readonly help: boolean;
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  readonly edge: Partial<EdgeOptions>;
}

const NUMBER_FLAGS = {
  'node-ttl-ms': ['SHOAL_NODE_TTL_MS', 'nodeTtlMs'],
  'member-ttl-ms': ['SHOAL_MEMBER_TTL_MS', 'memberTtlMs'],
  'announce-interval': ['SHOAL_ANNOUNCE_INTERVAL', 'announceIntervalSeconds'],
  'max-frame-bytes': ['SHOAL_MAX_FRAME_BYTES', 'maxFrameBytes'],
  'max-offers': ['SHOAL_MAX_OFFERS', 'maxOffersPerAnnounce'],
  'messages-per-second': ['SHOAL_MESSAGES_PER_SECOND', 'messagesPerSecond'],
  'message-burst': ['SHOAL_MESSAGE_BURST', 'messageBurst'],
  'max-swarms-per-connection': ['SHOAL_MAX_SWARMS_PER_CONNECTION', 'maxSwarmsPerConnection'],
  'max-peers-per-swarm': ['SHOAL_MAX_PEERS_PER_SWARM', 'maxPeersPerSwarm'],
  'max-connections': ['SHOAL_MAX_CONNECTIONS', 'maxConnections'],
  'idle-timeout-ms': ['SHOAL_IDLE_TIMEOUT_MS', 'idleTimeoutMs'],
  'ping-interval-ms': ['SHOAL_PING_INTERVAL_MS', 'pingIntervalMs'],
  'cache-bytes': ['SHOAL_CACHE_BYTES', 'cacheBytes'],
  'max-object-bytes': ['SHOAL_MAX_OBJECT_BYTES', 'maxObjectBytes'],
  'origin-timeout-ms': ['SHOAL_ORIGIN_TIMEOUT_MS', 'originTimeoutMs'],
  'stale-if-error': ['SHOAL_STALE_IF_ERROR', 'staleIfErrorSeconds'],
  'digest-wait-ms': ['SHOAL_DIGEST_WAIT_MS', 'digestWaitMs'],
  'segment-max-age': ['SHOAL_SEGMENT_MAX_AGE', 'segmentMaxAgeSeconds'],
  'stats-reports-per-second': ['SHOAL_STATS_REPORTS_PER_SECOND', 'statsReportsPerSecond'],
  'stats-reports-burst': ['SHOAL_STATS_REPORTS_BURST', 'statsReportsBurst'],
  'stats-address-reports-per-second': ['SHOAL_STATS_ADDRESS_REPORTS_PER_SECOND', 'statsAddressReportsPerSecond'],
  'stats-address-reports-burst': ['SHOAL_STATS_ADDRESS_REPORTS_BURST', 'statsAddressReportsBurst'],
  'turn-ttl': ['SHOAL_TURN_TTL', 'turnTtlSeconds'],
} as const satisfies Record<string, readonly [string, keyof EdgeOptions]>;

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

function parseNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`--${flag} takes a number, got ${JSON.stringify(text)}`);
  return value;
}

const list = (text: string | undefined): string[] | undefined =>
  text === undefined || text === '' ? undefined : text.split(',').map((s) => s.trim()).filter(Boolean);

/** Reads flags, then SHOAL_* environment variables for what the flags leave out. Throws with a readable message. */
export function parseEdgeCli(argv: readonly string[], env: NodeJS.ProcessEnv): EdgeCliSettings {
  const numberOptions = Object.fromEntries(Object.keys(NUMBER_FLAGS).map((flag) => [flag, { type: 'string' as const }]));
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      region: { type: 'string' },
      'redis-url': { type: 'string' },
      origin: { type: 'string' },
      'redis-prefix': { type: 'string' },
      geoip: { type: 'string', multiple: true },
      'allow-segment-host': { type: 'string', multiple: true },
      'no-segment-digests': { type: 'boolean' },
      'trusted-proxies': { type: 'string' },
      'allowed-origins': { type: 'string' },
      'log-level': { type: 'string' },
      'stun-url': { type: 'string', multiple: true },
      'turn-url': { type: 'string', multiple: true },
      'turn-secret': { type: 'string' },
      'nat-aware-matching': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...numberOptions,
    },
    strict: true,
    allowPositionals: false,
  });
  const strings = values as Record<string, string | undefined>;
  const port = parseNumber('port', values.port ?? env.SHOAL_PORT) ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got ${port}`);
  const logLevel = values['log-level'] ?? env.SHOAL_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.has(logLevel)) throw new Error(`--log-level must be one of ${[...LOG_LEVELS].join(', ')}`);

  const edge: Partial<Record<keyof EdgeOptions, unknown>> = {};
  for (const [flag, [variable, option]] of Object.entries(NUMBER_FLAGS)) {
    const value = parseNumber(flag, strings[flag] ?? env[variable]);
    if (value !== undefined) edge[option] = value;
  }
  const region = values.region ?? env.SHOAL_REGION;
  if (region) edge.region = region;
  const originUrl = values.origin ?? env.SHOAL_ORIGIN_URL;
  if (originUrl) edge.originUrl = originUrl.replace(/\/$/, '');
  const redisUrl = values['redis-url'] ?? env.SHOAL_REDIS_URL;
  if (redisUrl) edge.redisUrl = redisUrl;
  const prefix = values['redis-prefix'] ?? env.SHOAL_REDIS_PREFIX;
  if (prefix) edge.redisKeyPrefix = prefix;
  const geoip = values.geoip ?? list(env.SHOAL_GEOIP);
  if (geoip && geoip.length > 0) edge.geoipDatabases = geoip.map((path) => resolve(path));
  const segmentHosts = values['allow-segment-host'] ?? list(env.SHOAL_ALLOW_SEGMENT_HOSTS);
  if (segmentHosts && segmentHosts.length > 0) edge.allowSegmentHosts = segmentHosts;
  const digestsEnv = env.SHOAL_SEGMENT_DIGESTS;
  if (digestsEnv !== undefined && digestsEnv !== '' && !['on', 'off'].includes(digestsEnv)) throw new Error(`SHOAL_SEGMENT_DIGESTS must be on or off, got ${JSON.stringify(digestsEnv)}`);
  if (values['no-segment-digests'] || digestsEnv === 'off') edge.segmentDigests = false;
  const proxies = list(values['trusted-proxies'] ?? env.SHOAL_TRUSTED_PROXIES);
  if (proxies) edge.trustedProxies = proxies;
  const origins = list(values['allowed-origins'] ?? env.SHOAL_ALLOWED_ORIGINS);
  if (origins) edge.allowedOrigins = origins;
  const stun = values['stun-url'] ?? list(env.SHOAL_STUN_URLS);
  if (stun && stun.length > 0) edge.stunUrls = stun;
  const turn = values['turn-url'] ?? list(env.SHOAL_TURN_URLS);
  if (turn && turn.length > 0) edge.turnUrls = turn;
  const secret = values['turn-secret'] ?? env.SHOAL_TURN_SECRET;
  if (secret) edge.turnSecret = secret;
  const natAware = values['nat-aware-matching'] ?? env.SHOAL_NAT_AWARE_MATCHING;
  if (natAware !== undefined && natAware !== '') {
    if (natAware !== 'on' && natAware !== 'off') throw new Error(`--nat-aware-matching takes on or off, got ${JSON.stringify(natAware)}`);
    edge.natAwareMatching = natAware === 'on';
  }
  return {
    help: values.help ?? false,
    port,
    host: values.host ?? env.SHOAL_HOST ?? '0.0.0.0',
    logLevel,
    edge: edge as Partial<EdgeOptions>,
  };
}
