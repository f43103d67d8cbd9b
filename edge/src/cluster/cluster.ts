import type { PeerProfile } from '../tracker/ranking.js';

/** A swarm member as other nodes see it. */
export interface MemberRecord {
  readonly peerId: string;
  readonly profile: PeerProfile;
  readonly complete: boolean;
}

/** An offer or answer for a peer connected to another node. Ids are binary strings, as on the wire. */
export interface RoutedSignal {
  readonly infoHash: string;
  /** The peer that sent it (offerer for offers, answerer for answers). */
  readonly from: string;
  /** The peer it is for. */
  readonly to: string;
  readonly offerId: string;
  readonly sdp: string;
}

/** What a cluster adapter tells the tracker; the tracker implements it. */
export interface ClusterSink {
  /** A peer on another node joined or re-announced in a swarm this node watches. */
  remoteMember(infoHash: string, node: string, record: MemberRecord): void;
  remoteLeave(infoHash: string, node: string, peerId: string): void;
  /** Another node stopped refreshing its heartbeat: all its peers are gone. */
  remoteNodeGone(node: string): void;
  remoteOffer(signal: RoutedSignal): void;
  remoteAnswer(signal: RoutedSignal): void;
}

/**
 * How edge nodes share swarms. The tracker calls these on its own events and never waits for them; a
 * failing backend costs cross-node matches, never local service. Without one, the tracker runs standalone.
 */
export interface ClusterAdapter {
  readonly nodeId: string;
  start(sink: ClusterSink): Promise<void>;
  /**
   * This node has local peers in the swarm: follow it and load the members other nodes have. Resolves once
   * they are loaded, or once loading failed (never rejects), so first offers can reach them.
   */
  watch(infoHash: string): Promise<void>;
  /** This node has no local peer left in the swarm. */
  unwatch(infoHash: string): void;
  /** A local peer joined or re-announced. */
  publishMember(infoHash: string, record: MemberRecord): void;
  /** A local peer left. */
  publishLeave(infoHash: string, peerId: string): void;
  sendOffer(node: string, signal: RoutedSignal): void;
  sendAnswer(node: string, signal: RoutedSignal): void;
  /** Removes this node's memberships from the backend and disconnects. Idempotent. */
  close(): Promise<void>;
}
