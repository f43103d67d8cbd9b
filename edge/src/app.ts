import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { sendError } from '@shoal/http-object';
import type { ClusterAdapter } from './cluster/cluster.js';
import { RedisCluster } from './cluster/redis-cluster.js';
import { EdgeError } from './errors.js';
import type { EdgeModule } from './http/module.js';
import { observabilityModule } from './http/observability.js';
import { createEdgeRegistry, registerTrackerMetrics } from './metrics.js';
import { resolveEdgeOptions, type EdgeOptions } from './options.js';
import { openGeoLookup } from './tracker/geo.js';
import { Tracker } from './tracker/tracker.js';
import { EdgeCache } from './cache/edge-cache.js';
import { StatsIngest } from './stats/stats-ingest.js';
import { trustedProxyList } from './net/client-address.js';

export interface Edge {
  readonly options: EdgeOptions;
  readonly tracker: Tracker;
  /** The process's metrics registry; later modules register theirs here. */
  readonly registry: Registry;
  /** Set when sharing swarms through Redis. */
  readonly cluster: ClusterAdapter | undefined;
  readonly log: Logger;
  /** A `node:http` request listener: `/metrics`, `/healthz`, `/stats`, the caching proxy (with `originUrl`), and 404 for the rest. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  /** A `node:http` 'upgrade' listener: the tracker WebSocket on `trackerPaths`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every WebSocket (1001), leaves Redis, stops timers. Idempotent. */
  close(): Promise<void>;
}

export interface CreateEdgeDeps {
  /** @default a pino logger at `info` */
  readonly logger?: Logger;
  /** Replaces the Redis adapter `redisUrl` would create (tests, other backends). */
  readonly cluster?: ClusterAdapter;
}

/**
 * Builds an edge node: the WebSocket tracker, `/metrics` and `/healthz`, and — with `redisUrl` — swarms shared
 * with other edge nodes. It owns no listening socket: see `startEdgeServer`, or plug `handleRequest` and
 * `handleUpgrade` into your own `http.Server`.
 *
 * @example
 * const edge = await createEdge({ region: 'eu-west', redisUrl: 'redis://127.0.0.1:6379' });
 * const server = http.createServer(edge.handleRequest).on('upgrade', edge.handleUpgrade).listen(8000);
 * // players announce to ws://host:8000/announce
 */
export async function createEdge(options: Partial<EdgeOptions> = {}, deps: CreateEdgeDeps = {}): Promise<Edge> {
  const resolved = resolveEdgeOptions(options);
  const log = deps.logger ?? pino({ name: 'shoal-edge' });
  const geo = await openGeoLookup(resolved.geoipDatabases);
  const cluster =
    deps.cluster ??
    (resolved.redisUrl === undefined
      ? undefined
      : new RedisCluster({
          url: resolved.redisUrl,
          keyPrefix: resolved.redisKeyPrefix,
          region: resolved.region,
          nodeTtlMs: resolved.nodeTtlMs,
          memberTtlMs: resolved.memberTtlMs,
          maxSdpLength: resolved.maxSdpLength,
          log,
        }));
  const tracker = new Tracker(resolved, { log, geo, cluster });
  if (cluster) {
    try {
      await cluster.start(tracker);
    } catch (error) {
      await tracker.destroy();
      await cluster.close();
      throw error;
    }
  }
  const registry = createEdgeRegistry();
  registerTrackerMetrics(registry, tracker);

  const trackerModule: EdgeModule = {
    name: 'tracker',
    handleUpgrade: (req, socket, head) => tracker.handleUpgrade(req, socket, head),
    close: () => tracker.destroy(),
  };
  const health = () => ({
    node: cluster?.nodeId,
    region: resolved.region,
    connections: tracker.connectionCount,
    swarms: tracker.swarmCount,
    peers: tracker.localPeerCount,
    remotePeers: tracker.remotePeerCount,
  });
  const stats = new StatsIngest(
    {
      path: resolved.statsPath,
      corsOrigins: resolved.allowedOrigins,
      reportsPerSecond: resolved.statsReportsPerSecond,
      reportsBurst: resolved.statsReportsBurst,
      addressReportsPerSecond: resolved.statsAddressReportsPerSecond,
      addressReportsBurst: resolved.statsAddressReportsBurst,
      sessionTtlMs: 60_000,
      maxStreams: resolved.maxStreamLabels,
      trustedProxies: resolved.trustedProxies.length > 0 ? trustedProxyList(resolved.trustedProxies) : undefined,
    },
    registry,
    log,
  );
  const modules: EdgeModule[] = [trackerModule, observabilityModule(registry, health, log), stats];
  if (resolved.originUrl !== undefined) {
    const cache = new EdgeCache(
      {
        originUrl: resolved.originUrl,
        cacheBytes: resolved.cacheBytes,
        maxObjectBytes: resolved.maxObjectBytes,
        originTimeoutMs: resolved.originTimeoutMs,
        staleIfErrorSeconds: resolved.staleIfErrorSeconds,
        pathPrefixes: resolved.cachePathPrefixes,
        corsOrigins: resolved.allowedOrigins,
        segmentDigests: resolved.segmentDigests,
        allowSegmentHosts: resolved.allowSegmentHosts,
        digestWaitMs: resolved.digestWaitMs,
        segmentMaxAgeSeconds: resolved.segmentMaxAgeSeconds,
      },
      registry,
      log,
      (path) => stats.streams.observe(path),
    );
    modules.push(cache);
  }

  let closing: Promise<void> | undefined;
  return {
    options: resolved,
    tracker,
    registry,
    cluster,
    log,
    handleRequest(req, res) {
      try {
        for (const module of modules) if (module.handleRequest?.(req, res)) return;
        sendError(res, new EdgeError('SHOAL_ERR_NOT_FOUND', 'no such route'));
      } catch (error) {
        log.error({ err: error, url: req.url }, 'request failed');
        sendError(res, new EdgeError('SHOAL_ERR_INTERNAL', 'internal error'));
      }
    },
    handleUpgrade(req, socket, head) {
      try {
        for (const module of modules) if (module.handleUpgrade?.(req, socket, head)) return;
      } catch (error) {
        log.error({ err: error, url: req.url }, 'upgrade failed');
      }
      socket.on('error', () => {});
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    },
    close() {
      closing ??= (async () => {
        for (const module of modules) await module.close?.();
        await cluster?.close();
      })();
      return closing;
    },
  };
}
