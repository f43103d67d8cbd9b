/** The engine's public face: what getStats() returns, the events it emits, the playback position it announces. */
import type { ConnectionOutcomes } from './connection-outcomes.js';
import type { PathType } from './ice-path.js';
import type { PeerConnector } from './peer-connector.js';
import type { Swarm } from './swarm.js';

export interface EngineStats {
  /** Segment bytes fetched over HTTP. */
  readonly httpBytes: number;
  /** Segment bytes received from peers and verified (relayed ones included). */
  readonly p2pBytes: number;
  /**
   * The part of `p2pBytes` that came over connections relayed by a TURN server: the server sent them, so they
   * are not offload.
   */
  readonly p2pRelayBytes: number;
  /** Bytes sent to peers. */
  readonly uploadBytes: number;
  /**
   * Bytes peers sent this player that it did not keep: chunks arriving after it gave up on the request,
   * copies that failed verification or that their sender withdrew, bytes of a load that failed. Peers' uplink
   * spent for nothing.
   */
  readonly p2pDiscardedBytes: number;
  /** Direct peer bytes / all segment bytes: (p2pBytes − p2pRelayBytes) / (httpBytes + p2pBytes); 0 before any byte. */
  readonly offloadRatio: number;
  /** Peer connections that connected, by the path of their selected ICE candidate pair (`unknown`: stats said nothing). */
  readonly connectionPaths: Readonly<Record<PathType | 'unknown', number>>;
  /** Connection attempts (offer and answer exchanged) that connected and that failed, all swarms together. */
  readonly connectionAttempts: { readonly ok: number; readonly failed: number };
  /** Peers connected, all swarms together. */
  readonly peers: number;
  readonly stalls: number;
  readonly stallMs: number;
  /** Time from attach to first frame, once known. */
  readonly startupMs: number | undefined;
  readonly integrityFailures: number;
  /** Exceptions caught inside Shoal (each one fell back to plain HTTP). */
  readonly faults: number;
  /** Upload budget now, bytes per second, all peers together (one peer may draw `peerUploadShare` of it). */
  readonly uploadBudget: number;
  /** What the uplink was measured to carry (bytes peers acknowledged per second while uploads kept bytes in flight); the budget stays below it. undefined until measured. */
  readonly uplinkRate: number | undefined;
  /** Segment requests of peers being served now (at most maxUploadPeers × 4). */
  readonly uploadsInProgress: number;
  /** Peer requests answered 'busy' since the start: the uplink was full (uploadQueueMs). */
  readonly uploadsRefusedBusy: number;
  /** Bytes of complete segments held for peers (at most segmentMemoryBytes). */
  readonly segmentMemoryBytes: number;
  /** RTCPeerConnections made since the start, all swarms together. */
  readonly connectionsCreated: number;
  /** RTCPeerConnections with an open data channel now. */
  readonly connectionsOpen: number;
  /** RTCPeerConnections closed without ever opening: unanswered offers, failed ICE, refused. */
  readonly connectionsFailed: number;
  /** RTCPeerConnections in progress now (at most maxConnectingPeers per swarm). */
  readonly connectionsConnecting: number;
}

export interface EngineEvents {
  /** A segment finished loading: bytes by source, and the peers (ids) that sent some of it. */
  'segment-loaded': (info: { readonly swarm: string; readonly sequence: number; readonly httpBytes: number; readonly p2pBytes: number; readonly peers: readonly string[] }) => void;
  'peer-connected': (info: { readonly swarm: string; readonly peerId: string }) => void;
  'peer-disconnected': (info: { readonly swarm: string; readonly peerId: string; readonly reason: string }) => void;
  'integrity-failure': (info: { readonly swarm: string; readonly sequence: number; readonly peers: readonly string[] }) => void;
  /**
   * A peer was banned for the rest of the session, and why: 'bad bytes', 'false size', 'silent claims'
   * (claims it never serves), 'false relays', 'kept a false relay', or the protocol rule it broke.
   */
  'peer-banned': (info: { readonly peerId: string; readonly reason: string }) => void;
  /** Something degraded (tracker unreachable, WebRTC missing); playback goes on over HTTP. */
  warning: (error: Error) => void;
}

/** Where the player is on the stream's timeline, as the tracker's `shoal` announce extension carries it. */
export interface PlaybackPosition {
  /** Seconds on the stream's own timeline (see `ShoalAnnounceExtension.position`): finite and ≥ 0. */
  readonly position: number;
  /** Whether playback is advancing (the tracker extrapolates the position while it is). */
  readonly playing: boolean;
}

/** One swarm as the stats see it: its peers' uploads, its connection attempts (none without P2P). */
export interface SwarmCounts {
  readonly swarm: Pick<Swarm, 'uploadsInProgress'>;
  readonly connector: Pick<PeerConnector, 'counts'> | undefined;
  readonly outcomes: Pick<ConnectionOutcomes, 'counts' | 'pathCounts'> | undefined;
}

/**
 * The counts of swarms that were left, kept so that getStats()'s counters never go back: `left` (closed,
 * so nothing open or in progress, no upload) added to what earlier swarms left.
 */
export function retiredCounts(earlier: SwarmCounts | undefined, left: SwarmCounts): SwarmCounts {
  const { connections, connectionPaths, connectionAttempts } = swarmTotals(earlier ? [earlier, left] : [left]);
  return {
    swarm: { uploadsInProgress: () => 0 },
    connector: { counts: { ...connections, open: 0, connecting: 0 } },
    outcomes: { counts: connectionAttempts, pathCounts: connectionPaths },
  };
}

/** The connection and upload counts of getStats(), all swarms together. */
export function swarmTotals(entries: Iterable<SwarmCounts>): {
  connections: { created: number; open: number; failed: number; connecting: number };
  connectionPaths: Record<PathType | 'unknown', number>;
  connectionAttempts: { ok: number; failed: number };
  uploads: number;
} {
  const connections = { created: 0, open: 0, failed: 0, connecting: 0 };
  const connectionPaths = { host: 0, srflx: 0, prflx: 0, relay: 0, unknown: 0 };
  const connectionAttempts = { ok: 0, failed: 0 };
  let uploads = 0;
  for (const entry of entries) {
    uploads += entry.swarm.uploadsInProgress();
    const counts = entry.connector?.counts;
    if (counts) for (const key of ['created', 'open', 'failed', 'connecting'] as const) connections[key] += counts[key];
    if (!entry.outcomes) continue;
    for (const key of Object.keys(connectionPaths) as (keyof typeof connectionPaths)[]) connectionPaths[key] += entry.outcomes.pathCounts[key];
    connectionAttempts.ok += entry.outcomes.counts.ok;
    connectionAttempts.failed += entry.outcomes.counts.failed;
  }
  return { connections, connectionPaths, connectionAttempts, uploads };
}
