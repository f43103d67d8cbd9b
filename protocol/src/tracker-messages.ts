/**
 * The tracker protocol between the Shoal player SDK (or any WebTorrent client) and the Shoal edge: JSON text
 * frames over one WebSocket, compatible with the WebTorrent tracker protocol that `bittorrent-tracker` speaks.
 *
 * All ids (`info_hash`, `peer_id`, `to_peer_id`, `offer_id`) are 20-character binary strings, see
 * `tracker-ids.ts`. One WebSocket may carry several swarms, and even several peer ids (the `bittorrent-tracker`
 * client shares one socket between all its torrents and clients in a process).
 *
 * Client → tracker
 * - **announce**: `{ action: 'announce', info_hash, peer_id, event?, numwant?, left?, offers?, shoal? }` joins or
 *   refreshes membership of the swarm `info_hash`. Each of `offers[i] = { offer_id, offer: { type: 'offer', sdp } }`
 *   is relayed to one other peer of the swarm, nearest first; `numwant` caps how many are used.
 * - **answer**: `{ action: 'announce', info_hash, peer_id, to_peer_id, offer_id, answer: { type: 'answer', sdp } }`
 *   answers an offer this peer received; the tracker routes it to `to_peer_id`.
 * - **scrape**: `{ action: 'scrape', info_hash: id | id[] }` asks for swarm sizes.
 *
 * Tracker → client
 * - announce reply: `{ action: 'announce', info_hash, interval, complete, incomplete, shoal? }`. A Shoal edge adds
 *   `shoal: { iceServers: [{ urls, username?, credential? }] }` ({@link ShoalAnnounceReplyExtension}): the STUN
 *   and TURN servers this connection's peer connections should use, TURN credentials in coturn's shared-secret
 *   form. Plain WebTorrent clients ignore the field.
 * - relayed offer: `{ action: 'announce', info_hash, peer_id, offer_id, offer }` (peer_id = the offerer)
 * - relayed answer: `{ action: 'announce', info_hash, peer_id, offer_id, answer }` (peer_id = the answerer)
 * - scrape reply: `{ action: 'scrape', files: { [info_hash]: { complete, incomplete, downloaded } } }`
 * - failure: `{ action?, info_hash?, 'failure reason': text, shoal_error?: 'SHOAL_ERR_…' }`; the connection stays
 *   open and other messages keep working. Violations that cannot be answered close the socket with one of
 *   {@link TRACKER_CLOSE_CODES}.
 */

/** Announce events. A missing event, `''`, `'empty'` and `'paused'` all mean `'update'`, as in `bittorrent-tracker`. */
export const TRACKER_EVENTS = ['started', 'stopped', 'completed', 'update'] as const;
export type TrackerEvent = (typeof TRACKER_EVENTS)[number];

/** An SDP blob as RTCPeerConnection produces it; only `type` and `sdp` are relayed. */
export interface SessionDescription {
  readonly type: 'offer' | 'answer';
  readonly sdp: string;
}

export interface TrackerOffer {
  readonly offer_id: string;
  readonly offer: SessionDescription;
}

/**
 * The optional Shoal extension, sent as the `shoal` object of an announce. Plain WebTorrent clients leave it
 * out and are matched on their network address only. Unknown fields are ignored (newer clients may add some);
 * known fields of the wrong type make the tracker refuse the announce, so SDK bugs do not go unnoticed.
 */
export interface ShoalAnnounceExtension {
  /** Extension version; 1 when present. */
  readonly v?: 1;
  /**
   * Playback position in seconds on the stream's own timeline, the same for every viewer of the swarm: for live,
   * seconds since the Unix epoch from `EXT-X-PROGRAM-DATE-TIME` (or media sequence × target duration where there
   * is none); for VOD, the media time. Peers close in position hold the same segments, so among equally near
   * peers the tracker prefers the closest position. Finite and ≥ 0.
   */
  readonly position?: number;
  /**
   * Whether playback is advancing. While it is, the tracker extrapolates `position` by the wall-clock time since the
   * announce, so positions announced at different times compare fairly. @default true
   */
  readonly playing?: boolean;
  /** Bitrate of the rendition being played, in bit/s (positive integer). Informational: each rendition is its own swarm. */
  readonly bitrate?: number;
  /**
   * This peer's connection outcomes in the swarm since it joined: peer connections whose data channel opened
   * (`ok`) and attempts that failed after an answer was exchanged (`failed`, ICE found no path). The tracker
   * uses them to tell easy-to-reach peers from hard-to-reach ones (e.g. behind symmetric NATs). Integers ≥ 0.
   */
  readonly reach?: { readonly ok: number; readonly failed: number };
  /**
   * Peers this peer recently failed to connect to (peer ids, at most {@link MAX_FAILED_PEERS}); the tracker stops
   * pairing the two.
   */
  readonly failedPeers?: readonly string[];
}

/** Most peer ids an announce may list in `shoal.failedPeers`. */
export const MAX_FAILED_PEERS = 32;

/** One ICE server as `RTCIceServer` takes it. */
export interface IceServerEntry {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

/** Most ICE servers accepted in one announce reply. */
export const MAX_ICE_SERVERS = 8;

/** The `shoal` object a Shoal edge adds to its announce replies. */
export interface ShoalAnnounceReplyExtension {
  /** STUN/TURN servers for this tracker connection; TURN entries carry short-lived credentials. */
  readonly iceServers?: readonly IceServerEntry[];
}

/** What a client may send; validated by `parseTrackerRequest`. */
export interface AnnounceRequest {
  readonly kind: 'announce';
  readonly infoHash: string;
  readonly peerId: string;
  readonly event: TrackerEvent;
  /** How many offers to relay at most; undefined means all offers. */
  readonly numwant: number | undefined;
  /** Bytes left to download; 0 marks a seeder ("complete"). undefined when not sent. */
  readonly left: number | undefined;
  readonly offers: readonly TrackerOffer[];
  readonly extension: ShoalAnnounceExtension | undefined;
}

export interface AnswerRequest {
  readonly kind: 'answer';
  readonly infoHash: string;
  readonly peerId: string;
  readonly toPeerId: string;
  readonly offerId: string;
  readonly answer: SessionDescription;
}

export interface ScrapeRequest {
  readonly kind: 'scrape';
  readonly infoHashes: readonly string[];
}

export type TrackerRequest = AnnounceRequest | AnswerRequest | ScrapeRequest;

/** What the tracker sends; validated by `parseTrackerReply` on the client side. */
export interface AnnounceReply {
  readonly kind: 'announce-reply';
  readonly infoHash: string;
  /** Seconds until the next announce. */
  readonly interval: number | undefined;
  readonly complete: number;
  readonly incomplete: number;
  /** ICE servers the tracker handed out (Shoal extension); undefined when the reply carries none. */
  readonly iceServers: readonly IceServerEntry[] | undefined;
}

export interface RelayedOffer {
  readonly kind: 'offer';
  readonly infoHash: string;
  /** The offering peer. */
  readonly peerId: string;
  readonly offerId: string;
  readonly offer: SessionDescription;
}

export interface RelayedAnswer {
  readonly kind: 'answer';
  readonly infoHash: string;
  /** The answering peer. */
  readonly peerId: string;
  readonly offerId: string;
  readonly answer: SessionDescription;
}

export interface ScrapeReply {
  readonly kind: 'scrape-reply';
  readonly files: ReadonlyMap<string, { readonly complete: number; readonly incomplete: number; readonly downloaded: number }>;
}

export interface FailureReply {
  readonly kind: 'failure';
  readonly infoHash: string | undefined;
  readonly reason: string;
  /** `SHOAL_ERR_…` when the tracker is a Shoal edge. */
  readonly code: string | undefined;
}

export type TrackerReply = AnnounceReply | RelayedOffer | RelayedAnswer | ScrapeReply | FailureReply;

/**
 * WebSocket close codes the Shoal tracker uses. 1xxx are the standard ones `ws` sends by itself; 4xxx are ours.
 * A client should reconnect with backoff after any of them except {@link TRACKER_CLOSE_CODES.ORIGIN_NOT_ALLOWED},
 * which is an HTTP 403 at the handshake and will not change.
 */
export const TRACKER_CLOSE_CODES = {
  /** The tracker is shutting down. */
  GOING_AWAY: 1001,
  /** A binary frame: the protocol is JSON text only. */
  UNSUPPORTED_DATA: 1003,
  /** A text frame that is not valid UTF-8 (sent by `ws`). */
  INVALID_PAYLOAD: 1007,
  /** A frame larger than the tracker's maximum frame size (sent by `ws`). */
  MESSAGE_TOO_BIG: 1009,
  /** An unexpected error while handling this connection's message; other connections are unaffected. */
  INTERNAL_ERROR: 1011,
  /** No message for longer than the idle timeout (announce at the `interval` the tracker gives to stay connected). */
  IDLE_TIMEOUT: 4000,
  /** Kept sending far above the messages-per-second limit after being told. */
  RATE_LIMITED: 4001,
  /** The client did not read what the tracker sent and its send buffer outgrew the limit. */
  SLOW_CONSUMER: 4002,
  /** Not a close code but the HTTP status of a refused handshake (Origin not in the allowed list). */
  ORIGIN_NOT_ALLOWED: 403,
} as const;
export type TrackerCloseCode = (typeof TRACKER_CLOSE_CODES)[keyof typeof TRACKER_CLOSE_CODES];

/** Bounds the parser enforces. The edge sets them from its options; clients can use the defaults. */
export interface TrackerParseLimits {
  /** Offers accepted in one announce. @default 20 */
  readonly maxOffers: number;
  /** Characters accepted in one SDP. @default 16384 */
  readonly maxSdpLength: number;
  /** Info hashes accepted in one scrape. @default 32 */
  readonly maxScrapeHashes: number;
}

export const DEFAULT_TRACKER_PARSE_LIMITS: Readonly<TrackerParseLimits> = {
  maxOffers: 20,
  maxSdpLength: 16_384,
  maxScrapeHashes: 32,
};

/** Why the parser refused a message; also the `reason` label of `shoal_tracker_rejected_total`. */
export const TRACKER_PARSE_ERRORS = {
  bad_json: 'message is not a JSON object',
  bad_action: 'action must be "announce" or "scrape"',
  bad_info_hash: 'info_hash must be a 20-byte binary string',
  bad_peer_id: 'peer_id must be a 20-byte binary string',
  bad_event: 'event must be started, stopped, completed, update, paused or empty',
  bad_numwant: 'numwant must be a non-negative number',
  bad_left: 'left must be a non-negative number',
  bad_offers: 'offers must be an array of { offer_id, offer: { type: "offer", sdp } }',
  too_many_offers: 'too many offers in one announce',
  bad_answer: 'an answer needs to_peer_id, offer_id and answer: { type: "answer", sdp }',
  bad_extension: 'the shoal extension object is malformed',
  bad_scrape: 'scrape needs info_hash: one id or a bounded array of ids',
} as const;
export type TrackerParseErrorReason = keyof typeof TRACKER_PARSE_ERRORS;

export interface TrackerParseError {
  readonly reason: TrackerParseErrorReason;
  readonly message: string;
  /** The request's action when it was readable, so a failure reply can say what failed. */
  readonly action: 'announce' | 'scrape' | undefined;
  /** The request's info_hash when it was a valid id, so `bittorrent-tracker` clients accept the failure reply. */
  readonly infoHash: string | undefined;
}

export type TrackerParseResult = { readonly ok: true; readonly request: TrackerRequest } | { readonly ok: false; readonly error: TrackerParseError };
