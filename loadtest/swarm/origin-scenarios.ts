import { RTCPeerConnection } from 'node-datachannel/polyfill';
import WebSocket from 'ws';
import type { EngineOptions } from '@shoal/player-sdk';
import { RETRACT_WINDOW_MS } from '../../player-sdk/src/core/relay-judge.js';
import { analyse } from './analysis.js';
import { SimulatedViewer, type ViewerReport } from './simulated-viewer.js';
import type { SegmentLoad } from './worker.js';

/**
 * Two runs that say whether a live stream is shared safely through a Shoal edge, whatever origin is
 * behind it: honest viewers joining one by one (offload against its limit), and a swarm with a viewer
 * that serves corrupted segments (every one rejected, the sender banned). The same runs against Shoal's
 * origin and against a third-party one give side-by-side figures.
 */

export interface SwarmTarget {
  /** Media playlist URL through the edge. */
  readonly playlistUrl: string;
  readonly trackerUrl: string;
}

export interface OffloadFigures {
  readonly viewers: number;
  /** Segments counted: those published after every viewer had joined. */
  readonly segments: number;
  readonly offloadRatio: number;
  readonly offloadLimit: number;
  /** offloadRatio / offloadLimit. */
  readonly shareOfLimit: number;
  readonly httpCopiesMedian: number;
  readonly httpCopiesP95: number;
  readonly stalls: number;
  readonly missedDeadlines: number;
  readonly corruptSegments: number;
  readonly segmentsPlayedMin: number;
  /** Distinct segments any viewer loaded, warm-up included. */
  readonly segmentsLoaded: number;
}

export interface AttackFigures {
  readonly honestViewers: number;
  /** Corrupted segments honest viewers received from a peer and rejected. */
  readonly rejected: number;
  /** Corrupted segments handed to a player (must be 0). */
  readonly corruptPlayed: number;
  /**
   * Honest viewers that received corrupted bytes from the attacker itself, and how many of them banned it.
   * (A viewer can also receive them relayed, cut-through, by an honest peer still loading them: that peer
   * retracts its copy when its own check fails, and is not banned.)
   */
  readonly receivedCorrupt: number;
  readonly bannedAttacker: number;
  /** Peers banned that were not the attacker (must be 0). */
  readonly wrongBans: number;
  readonly segmentsPlayedMin: number;
  readonly honestOffloadRatio: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Engine options of a Node viewer of `target`: its tracker, node-datachannel, host candidates only. */
export function engineOptions(target: SwarmTarget, extra: Partial<EngineOptions> = {}): Partial<EngineOptions> {
  return {
    trackerUrl: target.trackerUrl,
    RTCPeerConnection: RTCPeerConnection as unknown as EngineOptions['RTCPeerConnection'],
    WebSocket: WebSocket as unknown as EngineOptions['WebSocket'],
    iceServers: [],
    announceIntervalSeconds: 3,
    ...extra,
  };
}

/** Honest viewers joining `joinGapMs` apart, watching for `watchMs` after the last one joined. */
export async function measureOffload(target: SwarmTarget, options: { viewers: number; joinGapMs: number; watchMs: number }): Promise<OffloadFigures> {
  const viewers: SimulatedViewer[] = [];
  const loads: SegmentLoad[] = [];
  let newestSeen = -1;
  try {
    for (let i = 0; i < options.viewers; i++) {
      const viewer = new SimulatedViewer(`viewer-${i}`, { playlistUrl: target.playlistUrl, engine: engineOptions(target) });
      viewer.engine.on('segment-loaded', (info) => {
        newestSeen = Math.max(newestSeen, info.sequence);
        loads.push({ viewer: viewer.id, sequence: info.sequence, httpBytes: info.httpBytes, p2pBytes: info.p2pBytes });
      });
      viewer.start();
      viewers.push(viewer);
      if (i < options.viewers - 1) await sleep(options.joinGapMs);
    }
    // Segments newer than any loaded so far are fetched by the complete swarm (the last joiner starts a
    // few segments behind live, on segments its elders already hold).
    await sleep(2_000);
    const warm = newestSeen + 1;
    await sleep(Math.max(0, options.watchMs - 2_000));
    const reports: ViewerReport[] = viewers.map((v) => v.report());
    const counted = loads.filter((load) => load.sequence >= warm);
    const figures = analyse(reports, counted, options.viewers);
    const http = counted.reduce((sum, l) => sum + l.httpBytes, 0);
    const p2p = counted.reduce((sum, l) => sum + l.p2pBytes, 0);
    const offloadRatio = http + p2p === 0 ? 0 : p2p / (http + p2p);
    return {
      viewers: options.viewers,
      segments: figures.segments.length,
      offloadRatio,
      offloadLimit: figures.offloadLimit,
      shareOfLimit: figures.offloadLimit === 0 ? 0 : offloadRatio / figures.offloadLimit,
      httpCopiesMedian: figures.httpCopiesMedian,
      httpCopiesP95: figures.httpCopiesP95,
      stalls: reports.reduce((sum, r) => sum + r.stalls, 0),
      missedDeadlines: reports.reduce((sum, r) => sum + r.missedDeadlines, 0),
      corruptSegments: figures.corruptSegments,
      segmentsPlayedMin: Math.min(...reports.map((r) => r.segmentsPlayed)),
      segmentsLoaded: new Set(loads.map((l) => l.sequence)).size,
    };
  } finally {
    for (const viewer of viewers) viewer.stop();
  }
}

/**
 * An attacker that fetches every new segment over HTTP at once (it always considers itself elected) and
 * serves it corrupted, among `honest` viewers; all watch for `watchMs`.
 */
export async function measureAttack(target: SwarmTarget, options: { honest: number; joinGapMs: number; watchMs: number }): Promise<AttackFigures> {
  const corrupting: EngineOptions['fetch'] = async (url, init) => {
    const response = await fetch(url, init);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > 200) bytes[200] = bytes[200]! ^ 0xff;
    return new Response(bytes, { status: response.status, headers: response.headers });
  };
  // Every copy the attacker holds is corrupted, and it holds each new segment before anyone else: it polls
  // the playlist ten times as often as a player and fetches over HTTP at once (with an urgent window of an
  // hour every deadline is urgent). Copies taken from honest peers would be intact and would hide the attack.
  const attacker = new SimulatedViewer('attacker', {
    playlistUrl: target.playlistUrl,
    playlistPollMs: 100,
    engine: engineOptions(target, { fetch: corrupting, urgentWindowMs: 3_600_000 }),
  });
  const honest = Array.from({ length: options.honest }, (_, i) => new SimulatedViewer(`honest-${i}`, { playlistUrl: target.playlistUrl, engine: engineOptions(target) }));
  const bans = new Map<SimulatedViewer, Set<string>>();
  const reached = new Set<SimulatedViewer>();
  for (const viewer of honest) {
    bans.set(viewer, new Set());
    viewer.engine.on('peer-disconnected', (info) => info.reason === 'banned' && bans.get(viewer)!.add(info.peerId));
    viewer.engine.on('integrity-failure', (info) => info.peers.includes(attacker.engine.peerId) && reached.add(viewer));
  }
  try {
    attacker.start();
    for (const viewer of honest) {
      await sleep(options.joinGapMs);
      viewer.start();
    }
    await sleep(options.watchMs);
    const reports = honest.map((v) => v.report());
    const receivers = [...reached];
    // A copy relayed while the attacker was still loading it is judged only when the window for retracting
    // it has passed: the viewers play on meanwhile, and the bans are counted after it.
    await sleep(RETRACT_WINDOW_MS + 500);
    const http = reports.reduce((sum, r) => sum + r.httpBytes, 0);
    const p2p = reports.reduce((sum, r) => sum + r.p2pBytes, 0);
    return {
      honestViewers: options.honest,
      rejected: reports.reduce((sum, r) => sum + r.integrityFailures, 0),
      corruptPlayed: reports.reduce((sum, r) => sum + r.corruptSegments, 0),
      receivedCorrupt: receivers.length,
      // Asked of the engine: a ban of a peer whose connection already closed disconnects nothing, so no event says it.
      bannedAttacker: receivers.filter((v) => v.engine.isBanned(attacker.engine.peerId)).length,
      wrongBans: honest.reduce((sum, v) => sum + [...bans.get(v)!].filter((id) => id !== attacker.engine.peerId).length, 0),
      segmentsPlayedMin: Math.min(...reports.map((r) => r.segmentsPlayed)),
      honestOffloadRatio: http + p2p === 0 ? 0 : p2p / (http + p2p),
    };
  } finally {
    attacker.stop();
    for (const viewer of honest) viewer.stop();
  }
}

/** How many times the origin served each segment (request URI → count), from its own log. */
export function requestsPerSegment(requests: readonly { uri: string; status: number }[], isSegment: (uri: string) => boolean): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { uri } of requests) if (isSegment(uri)) counts.set(uri, (counts.get(uri) ?? 0) + 1);
  return counts;
}
