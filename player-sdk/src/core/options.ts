import { systemClock, type Clock } from '../util/clock.js';
import { ShoalError } from './errors.js';
import type { FetchLike } from './http-loader.js';
import type { RTCPeerConnectionConstructor } from './peer-connector.js';
import type { WebSocketConstructor } from '../signaling/tracker-client.js';
import type { Signaling } from '../signaling/signaling.js';
import type { SwarmIdOption } from './swarm-key.js';

export interface EngineOptions {
  /** WebSocket URL of the Shoal edge tracker (or any WebTorrent tracker). Without it the engine uses HTTP only. @default undefined */
  trackerUrl: string | undefined;
  /** URL the engine posts stats reports to (the edge's `/stats`). @default undefined */
  statsUrl: string | undefined;
  /**
   * Which swarm viewers of a rendition meet in (see `swarm-key.ts` for the rules). By default the playlist's
   * path without query, host, path parameters and `name=value` path segments, so tokens and per-viewer
   * hostnames do not split a swarm; a string is put before that path to keep several sites on one tracker
   * apart; a function maps the playlist URL to the key itself (signatures written as bare path segments).
   * @default undefined
   */
  swarmId: SwarmIdOption;
  /**
   * ICE servers for RTCPeerConnection. By default, the STUN (and, where the operator enabled it, TURN) servers
   * the Shoal edge hands out with its announce replies; with another tracker, none (host candidates only: same
   * network). Pass an array to use exactly those servers instead. @default undefined (from the edge)
   */
  iceServers: RTCIceServer[] | undefined;
  /** Most peers connected per swarm. @default 20 */
  maxPeers: number;
  /** Most peer connections in progress (offers out, answers sent, ICE running) per swarm. @default 8 */
  maxConnectingPeers: number;
  /** A connection whose data channel is not open this long after it was created (unanswered offer, ICE that never completes) is closed. @default 15000 */
  connectTimeoutMs: number;
  /** Most WebRTC offers sent with one announce (fewer when the swarm has fewer peers left to meet). @default 5 */
  offersPerAnnounce: number;
  /** Seconds between announces while the swarm has room for more peers. @default 15 */
  announceIntervalSeconds: number;
  /**
   * A rendition's swarm the player has not used (no playlist, no segment) for this long while it plays
   * another (ABR switched away) is left: its connections closed, its tracker membership ended. Its peers
   * then meet viewers that hold that rendition's new segments. Used again, it is joined anew. @default 30
   */
  leaveRenditionAfterSeconds: number;
  /** Inside this many ms of a segment's playback deadline only HTTP is used. @default 500 */
  urgentWindowMs: number;
  /** A peer that sends nothing for this long is given up on for the segment. @default 1000 */
  peerStallMs: number;
  /** Players per swarm that fetch each new live segment over HTTP. @default 1 */
  httpFetchersPerSegment: number;
  /**
   * When no peer has a new live segment yet, the players not elected to fetch it over HTTP may take turns:
   * each fetches it itself after its rank among its peers (by the same hash as the election) times this
   * many ms since it learnt of the segment. The elected player may learn of a segment a playlist reload
   * later than others; meanwhile no peer has a byte to send. Turns cost HTTP copies whenever a player's
   * 'loading' reaches its peers later than their turn (behind a full home uplink), so by default nobody
   * takes one: the others wait for the elected as long as the deadline allows. @default Infinity
   */
  httpTurnStepMs: number;
  /** HTTP throughput assumed before one is measured, in bytes per second. @default 1000000 */
  initialHttpThroughput: number;
  /**
   * Load a segment from peers only when its playlist carries its digest, so every peer byte is verified;
   * segments without one come over HTTP. Shoal's origin and Shoal's edge (in front of any origin) write
   * the digests. Turn it off only when the player's playlists cannot come through either, and then only
   * where every viewer is trusted (a managed network): any viewer could feed the swarm corrupted video.
   * @default true
   */
  requireIntegrity: boolean;
  /** Hard upload cap in bytes per second, on top of the bitrate multiple. @default Infinity */
  uploadRateLimit: number;
  /** Upload budget: at most this many times the bitrate of the stream played (2 Mbit/s assumed before the first segment). @default 4 */
  uploadBitrateMultiple: number;
  /** Most of the upload budget one peer may draw, as a fraction of it. @default 0.5 */
  peerUploadShare: number;
  /**
   * A request is taken only if the uploads in progress and it leave within this many ms at the upload budget's
   * rate; past that the peer is told 'busy' and asks elsewhere. @default 1500
   */
  uploadQueueMs: number;
  /**
   * Most peers uploaded to at once. Fewer while the upload budget carries fewer streams: as many as it carries
   * (budget ÷ the stream's bitrate), at least two, so that a slow uplink serves a few peers in time rather
   * than many too late. @default 10
   */
  maxUploadPeers: number;
  /** Memory for complete segments kept for peers, in bytes. @default 64 MiB */
  segmentMemoryBytes: number;
  /** Largest segment accepted from a peer, in bytes. @default 32 MiB */
  maxSegmentBytes: number;
  /** Upload when the browser asks to save data (`navigator.connection.saveData`). @default false */
  uploadOnSaveData: boolean;
  /** Upload on cellular connections (`navigator.connection.type === 'cellular'`). @default false */
  uploadOnCellular: boolean;
  /** Milliseconds between stats reports. @default 5000 */
  statsIntervalMs: number;
  /** RTCPeerConnection implementation. @default globalThis.RTCPeerConnection (node-datachannel/polyfill in Node) */
  RTCPeerConnection: RTCPeerConnectionConstructor | undefined;
  /** WebSocket implementation for the tracker. @default globalThis.WebSocket (`ws` in Node) */
  WebSocket: WebSocketConstructor | undefined;
  /** fetch implementation. @default globalThis.fetch */
  fetch: FetchLike | undefined;
  /** Signaling to use instead of a tracker connection (tests, custom signaling). @default undefined */
  signaling: Signaling | undefined;
  /** Time and timers of the engine and everything it runs (the swarm model passes a virtual clock). @default the system clock: performance.now, setTimeout */
  clock: Clock;
}

export const DEFAULT_ENGINE_OPTIONS: Readonly<EngineOptions> = {
  trackerUrl: undefined,
  statsUrl: undefined,
  swarmId: undefined,
  iceServers: undefined,
  maxPeers: 20,
  maxConnectingPeers: 8,
  connectTimeoutMs: 15_000,
  offersPerAnnounce: 5,
  announceIntervalSeconds: 15,
  leaveRenditionAfterSeconds: 30,
  urgentWindowMs: 500,
  peerStallMs: 1000,
  httpFetchersPerSegment: 1,
  httpTurnStepMs: Infinity,
  initialHttpThroughput: 1_000_000,
  requireIntegrity: true,
  uploadRateLimit: Infinity,
  uploadBitrateMultiple: 4,
  peerUploadShare: 0.5,
  uploadQueueMs: 1500,
  maxUploadPeers: 10,
  segmentMemoryBytes: 64 * 1024 * 1024,
  maxSegmentBytes: 32 * 1024 * 1024,
  uploadOnSaveData: false,
  uploadOnCellular: false,
  statsIntervalMs: 5000,
  RTCPeerConnection: undefined,
  WebSocket: undefined,
  fetch: undefined,
  signaling: undefined,
  clock: systemClock,
};

/** Throws SHOAL_ERR_OPTIONS for the first option out of its range. */
export function validateOptions(options: EngineOptions): void {
  for (const name of ['maxPeers', 'maxConnectingPeers', 'connectTimeoutMs', 'offersPerAnnounce', 'leaveRenditionAfterSeconds', 'urgentWindowMs', 'peerStallMs', 'segmentMemoryBytes', 'maxSegmentBytes', 'statsIntervalMs'] as const) {
    const value = options[name];
    if (!Number.isFinite(value) || value < 0) throw new ShoalError('SHOAL_ERR_OPTIONS', `${name} out of range`);
  }
  for (const name of ['uploadRateLimit', 'uploadBitrateMultiple', 'peerUploadShare', 'uploadQueueMs', 'httpTurnStepMs'] as const) {
    if (!(options[name] > 0) || (name === 'peerUploadShare' && options[name] > 1)) throw new ShoalError('SHOAL_ERR_OPTIONS', `${name} out of range`);
  }
}
