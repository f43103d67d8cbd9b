import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { trackerIdFromHex, trackerIdToHex } from '@shoal/protocol';
import type { ClusterAdapter, ClusterSink, MemberRecord, RoutedSignal } from './cluster.js';
import { decodeEvent, decodeRecord, decodeSignal, encodeEvent, encodeRecord, encodeSignal } from './cluster-codec.js';

export interface RedisClusterOptions {
  readonly url: string;
  /** Prefix of every key and channel. */
  readonly keyPrefix: string;
  readonly region: string;
  /** A node whose heartbeat key is older than this is gone. */
  readonly nodeTtlMs: number;
  /** TTL of this node's membership keys, refreshed while it has peers in the swarm. */
  readonly memberTtlMs: number;
  readonly maxSdpLength: number;
  /** @default random */
  readonly nodeId?: string;
  readonly log: Logger;
}

/**
 * Shares swarms between edge nodes through Redis.
 *
 * Keys (`<p>` is the prefix, ids in hex):
 * - `<p>node:<node>` — the node's heartbeat (its region), `PX nodeTtl`, refreshed every nodeTtl/3.
 * - `<p>swarm:<info_hash>:nodes` — set of nodes with peers in the swarm, `PX memberTtl`.
 * - `<p>swarm:<info_hash>:node:<node>` — hash peer_id → member record, `PX memberTtl`, refreshed on each
 *   announce and every memberTtl/3 while the node has peers there.
 * Channels:
 * - `<p>events` — membership changes (join or re-announce, leave), for every node.
 * - `<p>to:<node>` — offers and answers for peers connected to that node.
 *
 * A node loads a swarm's remote members when its first local peer joins it, then follows events. Every
 * nodeTtl/4 it checks the heartbeats of the nodes it knows peers of; a missing one means the node is gone,
 * and its peers are dropped at once.
 */
export class RedisCluster implements ClusterAdapter {
  readonly nodeId: string;
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly eventsChannel: string;
  private readonly inbox: string;
  private readonly watched = new Set<string>();
  private readonly knownNodes = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private sink: ClusterSink | undefined;
  private closing: Promise<void> | undefined;
  private lastErrorLog = 0;
  private subscribedOnce = false;

  constructor(private readonly options: RedisClusterOptions) {
    this.nodeId = options.nodeId ?? randomBytes(8).toString('hex');
    this.prefix = options.keyPrefix;
    this.eventsChannel = `${this.prefix}events`;
    this.inbox = `${this.prefix}to:${this.nodeId}`;
    const common = {
      lazyConnect: true,
      // Nothing waits for Redis: while it is away, commands fail fast instead of piling up in memory.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
    };
    // A slow Redis must not hold new swarms' first offers for long.
    this.commands = new Redis(options.url, { ...common, commandTimeout: 2_000, enableAutoPipelining: true, connectionName: `shoal-edge:${this.nodeId}` });
    this.subscriber = new Redis(options.url, { ...common, connectionName: `shoal-edge-sub:${this.nodeId}` });
    this.commands.on('error', (error: Error) => this.onError(error));
    this.subscriber.on('error', (error: Error) => this.onError(error));
  }

  private nodeKey(node: string): string {
    return `${this.prefix}node:${node}`;
  }

  private nodesKey(infoHash: string): string {
    return `${this.prefix}swarm:${trackerIdToHex(infoHash)}:nodes`;
  }

  private membersKey(infoHash: string, node: string): string {
    return `${this.prefix}swarm:${trackerIdToHex(infoHash)}:node:${node}`;
  }

  async start(sink: ClusterSink): Promise<void> {
    this.sink = sink;
    await Promise.all([this.commands.connect(), this.subscriber.connect()]);
    this.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    this.subscriber.on('ready', () => {
      // After a reconnect, events may have been missed: reload every swarm we follow.
      if (this.subscribedOnce) for (const infoHash of this.watched) void this.load(infoHash);
    });
    await this.subscriber.subscribe(this.eventsChannel, this.inbox);
    this.subscribedOnce = true;
    await this.heartbeat();
    this.every(this.options.nodeTtlMs / 3, () => void this.heartbeat());
    this.every(this.options.nodeTtlMs / 4, () => void this.checkNodes());
    this.every(this.options.memberTtlMs / 3, () => this.refreshMemberships());
    this.options.log.info({ node: this.nodeId }, 'sharing swarms through Redis');
  }

  private every(ms: number, task: () => void): void {
    const timer = setInterval(task, Math.max(50, Math.floor(ms)));
    timer.unref();
    this.timers.push(timer);
  }

  private onError(error: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = now;
    this.options.log.warn({ err: error }, 'Redis error; cross-node matching degraded until it recovers');
  }

  private run(promise: Promise<unknown>): void {
    promise.catch((error: Error) => this.onError(error));
  }

  private async heartbeat(): Promise<void> {
    if (this.closing) return;
    try {
      await this.commands.set(this.nodeKey(this.nodeId), this.options.region, 'PX', this.options.nodeTtlMs);
    } catch (error) {
      this.onError(error as Error);
    }
  }

  private refreshMemberships(): void {
    for (const infoHash of this.watched) {
      this.run(this.commands.pexpire(this.membersKey(infoHash, this.nodeId), this.options.memberTtlMs));
      this.run(this.commands.sadd(this.nodesKey(infoHash), this.nodeId));
      this.run(this.commands.pexpire(this.nodesKey(infoHash), this.options.memberTtlMs));
    }
  }

  private async checkNodes(): Promise<void> {
    if (this.closing || this.knownNodes.size === 0) return;
    const nodes = [...this.knownNodes];
    try {
      const alive = await Promise.all(nodes.map((node) => this.commands.exists(this.nodeKey(node))));
      nodes.forEach((node, i) => {
        if (alive[i] === 0 && this.knownNodes.delete(node)) this.sink?.remoteNodeGone(node);
      });
    } catch (error) {
      // Redis unreachable: keep what we know rather than drop every remote peer.
      this.onError(error as Error);
    }
  }

  watch(infoHash: string): Promise<void> {
    if (this.watched.has(infoHash)) return Promise.resolve();
    this.watched.add(infoHash);
    return this.load(infoHash);
  }

  unwatch(infoHash: string): void {
    this.watched.delete(infoHash);
  }

  /** Reads the members other nodes hold in a swarm. O(swarm), once per swarm this node starts following. */
  private load(infoHash: string): Promise<void> {
    const task = async (): Promise<void> => {
      const nodes = (await this.commands.smembers(this.nodesKey(infoHash))).filter((node) => node !== this.nodeId);
      const results = await Promise.all(
        nodes.map(async (node) => ({
          node,
          alive: (await this.commands.exists(this.nodeKey(node))) === 1,
          members: await this.commands.hgetall(this.membersKey(infoHash, node)),
        })),
      );
      for (const { node, alive, members } of results) {
        if (!alive) {
          this.run(this.commands.srem(this.nodesKey(infoHash), node));
          continue;
        }
        if (!this.watched.has(infoHash)) return;
        for (const [peerHex, text] of Object.entries(members)) {
          const record = decodeRecord(trackerIdFromHex(peerHex) ?? '', text);
          if (!record) continue;
          this.knownNodes.add(node);
          this.sink?.remoteMember(infoHash, node, record);
        }
      }
    };
    return task().catch((error: Error) => this.onError(error));
  }

  publishMember(infoHash: string, record: MemberRecord): void {
    if (this.closing) return;
    const key = this.membersKey(infoHash, this.nodeId);
    this.run(this.commands.hset(key, trackerIdToHex(record.peerId), encodeRecord(record)));
    this.run(this.commands.pexpire(key, this.options.memberTtlMs));
    this.run(this.commands.sadd(this.nodesKey(infoHash), this.nodeId));
    this.run(this.commands.pexpire(this.nodesKey(infoHash), this.options.memberTtlMs));
    this.run(this.commands.publish(this.eventsChannel, encodeEvent({ type: 'member', node: this.nodeId, infoHash, record })));
  }

  publishLeave(infoHash: string, peerId: string): void {
    if (this.closing) return;
    this.run(this.commands.hdel(this.membersKey(infoHash, this.nodeId), trackerIdToHex(peerId)));
    this.run(this.commands.publish(this.eventsChannel, encodeEvent({ type: 'leave', node: this.nodeId, infoHash, peerId })));
  }

  sendOffer(node: string, signal: RoutedSignal): void {
    if (!this.closing) this.run(this.commands.publish(`${this.prefix}to:${node}`, encodeSignal('offer', signal)));
  }

  sendAnswer(node: string, signal: RoutedSignal): void {
    if (!this.closing) this.run(this.commands.publish(`${this.prefix}to:${node}`, encodeSignal('answer', signal)));
  }

  private onMessage(channel: string, message: string): void {
    const sink = this.sink;
    if (!sink || this.closing) return;
    if (channel === this.inbox) {
      const decoded = decodeSignal(message, this.options.maxSdpLength);
      if (decoded?.type === 'offer') sink.remoteOffer(decoded.signal);
      else if (decoded?.type === 'answer') sink.remoteAnswer(decoded.signal);
      return;
    }
    const event = decodeEvent(message);
    if (!event || event.node === this.nodeId || !this.watched.has(event.infoHash)) return;
    if (event.type === 'member') {
      this.knownNodes.add(event.node);
      sink.remoteMember(event.infoHash, event.node, event.record);
    } else {
      sink.remoteLeave(event.infoHash, event.node, event.peerId);
    }
  }

  /** Deletes this node's heartbeat and memberships, so other nodes drop its peers at their next check. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      this.timers.length = 0;
      try {
        if (this.commands.status === 'ready') {
          const pipeline = this.commands.pipeline();
          pipeline.del(this.nodeKey(this.nodeId));
          for (const infoHash of this.watched) {
            pipeline.del(this.membersKey(infoHash, this.nodeId));
            pipeline.srem(this.nodesKey(infoHash), this.nodeId);
          }
          await pipeline.exec();
        }
      } catch (error) {
        this.onError(error as Error);
      }
      this.watched.clear();
      this.sink = undefined;
      await Promise.allSettled([this.subscriber.quit(), this.commands.quit()]);
      this.subscriber.disconnect();
      this.commands.disconnect();
    })();
    return this.closing;
  }
}
