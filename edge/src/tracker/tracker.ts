import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ClusterAdapter, ClusterSink, MemberRecord, RoutedSignal } from '../cluster/cluster.js';
import type { EdgeOptions } from '../options.js';
import type { TrackerConnection } from './connection.js';
import type { GeoLookup } from './geo.js';
import { TrackerStats } from './stats.js';
import { SwarmRegistry } from './swarm-registry.js';
import { TrackerCore } from './tracker-core.js';
import { WebSocketTransport } from './ws-transport.js';

export interface TrackerDeps {
  readonly log: Logger;
  /** GeoIP lookup for ASN/country matching; none means network and region only. */
  readonly geo?: GeoLookup | undefined;
  /** Shares swarms with other edge nodes; none means standalone. */
  readonly cluster?: ClusterAdapter | undefined;
  /** Clock in ms; tests move it. @default Date.now */
  readonly now?: () => number;
  /** Random draws for matching. @default Math.random */
  readonly random?: () => number;
}

/**
 * The WebSocket signaling tracker: WebTorrent-compatible announces, offers relayed to nearby peers of the same
 * swarm, answers routed back, scrapes; with per-connection limits and, optionally, swarms shared with other edge
 * nodes through a {@link ClusterAdapter}. It owns no HTTP server: hand it upgrade requests with
 * {@link Tracker.handleUpgrade}.
 *
 * Three parts, wired here: the WebSocket transport (`ws-transport.ts`), the protocol (`tracker-core.ts`) and
 * who is in which swarm (`swarm-registry.ts`).
 *
 * @example
 * const tracker = new Tracker(resolveEdgeOptions({ region: 'eu-west' }), { log: pino() });
 * server.on('upgrade', (req, socket, head) => tracker.handleUpgrade(req, socket, head) || socket.destroy());
 */
export class Tracker implements ClusterSink {
  readonly stats = new TrackerStats();
  private readonly registry: SwarmRegistry<TrackerConnection>;
  private readonly core: TrackerCore;
  private readonly transport: WebSocketTransport<TrackerConnection>;
  private destroying: Promise<void> | undefined;

  constructor(options: EdgeOptions, deps: TrackerDeps) {
    const now = deps.now ?? Date.now;
    this.registry = new SwarmRegistry(
      // Remote members are checked for expiry as often as connections are pinged.
      { maxPeersPerSwarm: options.maxPeersPerSwarm, memberTtlMs: options.memberTtlMs, expiryIntervalMs: options.pingIntervalMs },
      { cluster: deps.cluster, stats: this.stats, now },
    );
    this.core = new TrackerCore(options, {
      log: deps.log,
      geo: deps.geo,
      cluster: deps.cluster,
      registry: this.registry,
      stats: this.stats,
      now,
      random: deps.random ?? Math.random,
    });
    this.transport = new WebSocketTransport(options, this.core, { log: deps.log, now });
  }

  get connectionCount(): number {
    return this.transport.connectionCount;
  }

  get swarmCount(): number {
    return this.registry.swarmCount;
  }

  /** Peers connected to this node, over all swarms. */
  get localPeerCount(): number {
    return this.registry.localPeerCount;
  }

  /** Peers of other nodes known in this node's swarms. */
  get remotePeerCount(): number {
    return this.registry.remotePeerCount;
  }

  /** Swarm sizes, for tests and `/healthz`; undefined for a swarm this node has no local peer in. */
  swarmStats(infoHash: string): { complete: number; incomplete: number; local: number; remote: number } | undefined {
    const swarm = this.registry.swarm(infoHash);
    return swarm && { complete: swarm.complete, incomplete: swarm.incomplete, local: swarm.localSize, remote: swarm.remoteSize };
  }

  /**
   * Takes a WebSocket upgrade request if its path is one of `trackerPaths`; returns false (and leaves the
   * socket alone) otherwise. A refused handshake (Origin not allowed, connection limit) is answered over HTTP.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.transport.handleUpgrade(req, socket, head);
  }

  // ClusterSink: what other nodes tell us, for the protocol.

  remoteMember(infoHash: string, node: string, record: MemberRecord): void {
    this.core.remoteMember(infoHash, node, record);
  }

  remoteLeave(infoHash: string, node: string, peerId: string): void {
    this.core.remoteLeave(infoHash, node, peerId);
  }

  remoteNodeGone(node: string): void {
    this.core.remoteNodeGone(node);
  }

  remoteOffer(signal: RoutedSignal): void {
    this.core.remoteOffer(signal);
  }

  remoteAnswer(signal: RoutedSignal): void {
    this.core.remoteAnswer(signal);
  }

  /**
   * Closes every connection with 1001 (going away) and stops the timers. Idempotent; resolves once every socket
   * has closed or after a short grace period.
   */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      this.registry.close();
      await this.transport.destroy();
    })();
    return this.destroying;
  }
}
