import { TRACKER_REJECT_REASONS, type TrackerRejectReason } from '../errors.js';

export const MESSAGES_IN = ['announce', 'answer', 'scrape'] as const;
export const MESSAGES_OUT = ['announce', 'offer', 'answer', 'scrape', 'failure'] as const;
export const CLUSTER_MESSAGES = ['member', 'leave', 'offer', 'answer'] as const;

type Counts<K extends string> = Record<K, number>;

function zeros<K extends string>(keys: readonly K[]): Counts<K> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Counts<K>;
}

/**
 * Plain counters the tracker bumps on its hot path; `metrics.ts` reads them at scrape time, so counting a
 * message costs one property increment instead of a prom-client label lookup.
 */
export class TrackerStats {
  /** Messages received from clients, by type (`shoal_tracker_messages_total{direction="in"}`). */
  readonly in: Counts<(typeof MESSAGES_IN)[number]> = zeros(MESSAGES_IN);
  /** Messages sent to clients, by type (`announce` = announce replies). */
  readonly out: Counts<(typeof MESSAGES_OUT)[number]> = zeros(MESSAGES_OUT);
  readonly rejected: Counts<TrackerRejectReason> = zeros(TRACKER_REJECT_REASONS);
  /** Local peers evicted from full swarms. */
  evictions = 0;
  /** Answers whose offerer had left before they arrived. */
  undeliverable = 0;
  /** Messages published to and received from other edge nodes through Redis. */
  readonly clusterOut: Counts<(typeof CLUSTER_MESSAGES)[number]> = zeros(CLUSTER_MESSAGES);
  readonly clusterIn: Counts<(typeof CLUSTER_MESSAGES)[number]> = zeros(CLUSTER_MESSAGES);
}
