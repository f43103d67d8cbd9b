import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { TRACKER_REJECT_REASONS } from './errors.js';
import { CLUSTER_MESSAGES, MESSAGES_IN, MESSAGES_OUT } from './tracker/stats.js';
import type { Tracker } from './tracker/tracker.js';

/** The edge's registry: one per process, with Node's default metrics. Other edge modules add theirs to it. */
export function createEdgeRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * A counter whose values live in plain numbers elsewhere (the tracker's hot path counts with `++`); at scrape
 * time it catches up by the difference, so it only ever goes up.
 */
function mirroredCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  series: ReadonlyArray<{ readonly labels: Record<L, string>; readonly read: () => number }>,
): Counter<L> {
  const seen = new Array<number>(series.length).fill(0);
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      series.forEach((s, i) => {
        const value = s.read();
        this.inc(s.labels as never, value - seen[i]!);
        seen[i] = value;
      });
    },
  });
}

/**
 * The tracker metrics of ARCHITECTURE.md — `shoal_tracker_connections`, `_swarms`, `_peers`,
 * `_messages_total{type,direction}`, `_rejected_total{reason}` — plus evictions, remote peers and cluster traffic.
 */
export function registerTrackerMetrics(registry: Registry, tracker: Tracker): void {
  const stats = tracker.stats;
  new Gauge({
    name: 'shoal_tracker_connections',
    help: 'Open tracker WebSocket connections on this node',
    registers: [registry],
    collect() {
      this.set(tracker.connectionCount);
    },
  });
  new Gauge({
    name: 'shoal_tracker_swarms',
    help: 'Swarms with at least one peer connected to this node',
    registers: [registry],
    collect() {
      this.set(tracker.swarmCount);
    },
  });
  new Gauge({
    name: 'shoal_tracker_peers',
    help: 'Swarm memberships of peers connected to this node',
    registers: [registry],
    collect() {
      this.set(tracker.localPeerCount);
    },
  });
  new Gauge({
    name: 'shoal_tracker_remote_peers',
    help: 'Peers of other edge nodes known in this node\'s swarms (through Redis)',
    registers: [registry],
    collect() {
      this.set(tracker.remotePeerCount);
    },
  });
  mirroredCounter(registry, 'shoal_tracker_messages_total', 'Tracker messages by type, received from (in) or sent to (out) clients', ['type', 'direction'], [
    ...MESSAGES_IN.map((type) => ({ labels: { type, direction: 'in' }, read: () => stats.in[type] })),
    ...MESSAGES_OUT.map((type) => ({ labels: { type, direction: 'out' }, read: () => stats.out[type] })),
  ]);
  mirroredCounter(
    registry,
    'shoal_tracker_rejected_total',
    'Client messages or connections refused, by reason (see TRACKER_REJECTIONS in edge/src/errors.ts)',
    ['reason'],
    TRACKER_REJECT_REASONS.map((reason) => ({ labels: { reason }, read: () => stats.rejected[reason] })),
  );
  mirroredCounter(registry, 'shoal_tracker_evictions_total', 'Peers evicted from a full swarm (least recently announced first)', [], [
    { labels: {}, read: () => stats.evictions },
  ]);
  mirroredCounter(registry, 'shoal_tracker_undeliverable_total', 'Answers whose offerer had left before they arrived', [], [
    { labels: {}, read: () => stats.undeliverable },
  ]);
  mirroredCounter(registry, 'shoal_tracker_cluster_messages_total', 'Messages exchanged with other edge nodes through Redis', ['type', 'direction'], [
    ...CLUSTER_MESSAGES.map((type) => ({ labels: { type, direction: 'in' }, read: () => stats.clusterIn[type] })),
    ...CLUSTER_MESSAGES.map((type) => ({ labels: { type, direction: 'out' }, read: () => stats.clusterOut[type] })),
  ]);
}
