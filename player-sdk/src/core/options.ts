import type { FetchLike } from './http-loader.js';
import type { RTCPeerConnectionConstructor } from './peer-connector.js';
import type { WebSocketConstructor } from '../p2p/tracker-client.js';
import type { Signaling } from './signaling.js';

export interface EngineOptions {
  /** WebSocket URL of the Shoal edge tracker (or any WebTorrent tracker). Without it the engine uses HTTP only. @default undefined */
  trackerUrl: string | undefined;
  /** URL the engine posts stats reports to (the edge's `/stats`). @default undefined */
  statsUrl: string | undefined;
  /** Names the swarms explicitly (plus the rendition's playlist path); by default the playlist URL without query. @default undefined */
  swarmId: string | undefined;
  /**
   * ICE servers for RTCPeerConnection. By default, the STUN (and, where the operator enabled it, TURN) servers
   * the Shoal edge hands out with its announce replies; with another tracker, none (host candidates only: same
   * network). Pass an array to use exactly those servers instead. @default undefined (from the edge)
   */
  iceServers: RTCIceServer[] | undefined;
  /** Most peers connected per swarm. @default 20 */
  maxPeers: number;
  /** WebRTC offers sent with each announce. @default 5 */
  offersPerAnnounce: number;
  /** Seconds between announces while the swarm has room for more peers. @default 15 */
  announceIntervalSeconds: number;
  /** Inside this many ms of a segment's playback deadline only HTTP is used. @default 500 */
  urgentWindowMs: number;
  /** A peer that sends nothing for this long is given up on for the segment. @default 1000 */
  peerStallMs: number;
  /** Players per swarm that fetch each new live segment over HTTP. @default 1 */
  httpFetchersPerSegment: number;
  /** HTTP throughput assumed before one is measured, in bytes per second. @default 1000000 */
  initialHttpThroughput: number;
  /** Refuse P2P for streams whose playlists carry no digests. @default false */
  requireIntegrity: boolean;
  /** Upload cap in bytes per second. @default Infinity */
  uploadRateLimit: number;
  /** Most peers uploaded to at once. @default 10 */
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
  /** Monotonic clock in ms. @default performance.now */
  now: () => number;
}

export const DEFAULT_ENGINE_OPTIONS: Readonly<EngineOptions> = {
  trackerUrl: undefined,
  statsUrl: undefined,
  swarmId: undefined,
  iceServers: undefined,
  maxPeers: 20,
  offersPerAnnounce: 5,
  announceIntervalSeconds: 15,
  urgentWindowMs: 500,
  peerStallMs: 1000,
  httpFetchersPerSegment: 1,
  initialHttpThroughput: 1_000_000,
  requireIntegrity: false,
  uploadRateLimit: Infinity,
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
  now: () => performance.now(),
};
