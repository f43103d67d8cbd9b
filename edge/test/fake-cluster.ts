import type { ClusterAdapter, ClusterSink, MemberRecord, RoutedSignal } from '../src/cluster/cluster.js';

/**
 * An in-memory {@link ClusterAdapter} that records what the tracker tells other nodes. `watch` resolves when the
 * test says so (`loaded()`), or at once when `instant`.
 */
export class FakeCluster implements ClusterAdapter {
  readonly nodeId = 'node-here';
  readonly calls: Array<
    | { readonly kind: 'watch' | 'unwatch'; readonly infoHash: string }
    | { readonly kind: 'member'; readonly infoHash: string; readonly record: MemberRecord }
    | { readonly kind: 'leave'; readonly infoHash: string; readonly peerId: string }
    | { readonly kind: 'offer' | 'answer'; readonly node: string; readonly signal: RoutedSignal }
  > = [];
  private pending: Array<() => void> = [];

  constructor(private readonly instant = true) {}

  start(_sink: ClusterSink): Promise<void> {
    return Promise.resolve();
  }

  watch(infoHash: string): Promise<void> {
    this.calls.push({ kind: 'watch', infoHash });
    if (this.instant) return Promise.resolve();
    return new Promise((resolve) => this.pending.push(resolve));
  }

  /** Ends every load in progress, as a Redis answer would. */
  loaded(): void {
    for (const resolve of this.pending.splice(0)) resolve();
  }

  unwatch(infoHash: string): void {
    this.calls.push({ kind: 'unwatch', infoHash });
  }

  publishMember(infoHash: string, record: MemberRecord): void {
    this.calls.push({ kind: 'member', infoHash, record });
  }

  publishLeave(infoHash: string, peerId: string): void {
    this.calls.push({ kind: 'leave', infoHash, peerId });
  }

  sendOffer(node: string, signal: RoutedSignal): void {
    this.calls.push({ kind: 'offer', node, signal });
  }

  sendAnswer(node: string, signal: RoutedSignal): void {
    this.calls.push({ kind: 'answer', node, signal });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
