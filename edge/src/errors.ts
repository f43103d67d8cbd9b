import { CodedError } from '@shoal/http-object';
import { TRACKER_CLOSE_CODES, TRACKER_PARSE_ERRORS, type TrackerParseErrorReason } from '@shoal/protocol';

/** Every HTTP error the edge answers with, each with its status. Bodies are `{ error: { code, message } }`. */
export const EDGE_ERRORS = {
  SHOAL_ERR_NOT_FOUND: 404,
  SHOAL_ERR_METHOD_NOT_ALLOWED: 405,
  SHOAL_ERR_ORIGIN_NOT_ALLOWED: 403,
  SHOAL_ERR_SERVER_FULL: 503,
  SHOAL_ERR_INTERNAL: 500,
  /** A stats report over the size limit. */
  SHOAL_ERR_TOO_LARGE: 413,
  /** A stats report that is not JSON or not a valid report. */
  SHOAL_ERR_BAD_REPORT: 400,
  /** Stats reports above a session's or an address's rate. */
  SHOAL_ERR_RATE_LIMITED: 429,
  /** The cache's origin is unreachable or failing (or the cache failed). */
  SHOAL_ERR_BAD_GATEWAY: 502,
  /** The cache's origin did not answer in time. */
  SHOAL_ERR_ORIGIN_TIMEOUT: 504,
} as const;

export type EdgeErrorCode = keyof typeof EDGE_ERRORS;

export class EdgeError extends CodedError<EdgeErrorCode> {
  constructor(code: EdgeErrorCode, message: string) {
    super(code, EDGE_ERRORS[code], message);
    this.name = 'EdgeError';
  }
}

/** Every code the tracker answers a WebSocket violation with (a `failure reason`, a close, or a refused handshake). */
export const TRACKER_ERROR_CODES = [
  'SHOAL_ERR_BAD_MESSAGE',
  'SHOAL_ERR_TOO_MANY_OFFERS',
  'SHOAL_ERR_RATE_LIMITED',
  'SHOAL_ERR_TOO_MANY_SWARMS',
  'SHOAL_ERR_PEER_ID_TAKEN',
  'SHOAL_ERR_UNEXPECTED_ANSWER',
  'SHOAL_ERR_BINARY_FRAME',
  'SHOAL_ERR_FRAME_TOO_LARGE',
  'SHOAL_ERR_BAD_UTF8',
  'SHOAL_ERR_WEBSOCKET_PROTOCOL',
  'SHOAL_ERR_IDLE_TIMEOUT',
  'SHOAL_ERR_PONG_TIMEOUT',
  'SHOAL_ERR_SLOW_CONSUMER',
  'SHOAL_ERR_INTERNAL',
  'SHOAL_ERR_ORIGIN_NOT_ALLOWED',
  'SHOAL_ERR_SERVER_FULL',
  /** The close reason of every connection when the edge shuts down (close code GOING_AWAY). */
  'SHOAL_ERR_SHUTTING_DOWN',
] as const;

export type TrackerErrorCode = (typeof TRACKER_ERROR_CODES)[number];

/**
 * How the tracker answers each violation:
 * - `failure`: a `failure reason` reply (with `shoal_error: code`); the message is dropped, the connection stays.
 * - `close`: the WebSocket is closed with `closeCode` (see `TRACKER_CLOSE_CODES` in `@shoal/protocol`).
 * - `http`: the WebSocket handshake is refused with HTTP `status`.
 * Every one counts once in `shoal_tracker_rejected_total{reason}` and touches no other connection.
 */
export type TrackerRejection =
  | { readonly code: TrackerErrorCode; readonly response: 'failure'; readonly message: string }
  | { readonly code: TrackerErrorCode; readonly response: 'close'; readonly closeCode: number; readonly message: string }
  | { readonly code: TrackerErrorCode; readonly response: 'http'; readonly status: number; readonly message: string };

const parseRejections = Object.fromEntries(
  Object.entries(TRACKER_PARSE_ERRORS).map(([reason, message]) => [
    reason,
    { code: reason === 'too_many_offers' ? 'SHOAL_ERR_TOO_MANY_OFFERS' : 'SHOAL_ERR_BAD_MESSAGE', response: 'failure', message },
  ]),
) as Record<TrackerParseErrorReason, TrackerRejection>;

export const TRACKER_REJECTIONS = {
  ...parseRejections,
  rate_limited: { code: 'SHOAL_ERR_RATE_LIMITED', response: 'failure', message: 'too many messages per second; this one was dropped' },
  too_many_swarms: { code: 'SHOAL_ERR_TOO_MANY_SWARMS', response: 'failure', message: 'this connection is in too many swarms already' },
  peer_id_taken: { code: 'SHOAL_ERR_PEER_ID_TAKEN', response: 'failure', message: 'another connection holds this peer_id in this swarm' },
  unexpected_answer: { code: 'SHOAL_ERR_UNEXPECTED_ANSWER', response: 'failure', message: 'no pending offer with this offer_id from to_peer_id to peer_id' },
  binary_frame: { code: 'SHOAL_ERR_BINARY_FRAME', response: 'close', closeCode: TRACKER_CLOSE_CODES.UNSUPPORTED_DATA, message: 'binary frames are not part of the protocol' },
  frame_too_large: { code: 'SHOAL_ERR_FRAME_TOO_LARGE', response: 'close', closeCode: TRACKER_CLOSE_CODES.MESSAGE_TOO_BIG, message: 'frame larger than the maximum frame size' },
  bad_utf8: { code: 'SHOAL_ERR_BAD_UTF8', response: 'close', closeCode: TRACKER_CLOSE_CODES.INVALID_PAYLOAD, message: 'text frame is not valid UTF-8' },
  protocol_error: { code: 'SHOAL_ERR_WEBSOCKET_PROTOCOL', response: 'close', closeCode: 1002, message: 'WebSocket framing error' },
  rate_limit_abuse: { code: 'SHOAL_ERR_RATE_LIMITED', response: 'close', closeCode: TRACKER_CLOSE_CODES.RATE_LIMITED, message: 'kept sending far above the rate limit' },
  idle_timeout: { code: 'SHOAL_ERR_IDLE_TIMEOUT', response: 'close', closeCode: TRACKER_CLOSE_CODES.IDLE_TIMEOUT, message: 'no message within the idle timeout' },
  pong_timeout: { code: 'SHOAL_ERR_PONG_TIMEOUT', response: 'close', closeCode: 1006, message: 'no pong to a ping; the socket is dropped without a close frame' },
  slow_consumer: { code: 'SHOAL_ERR_SLOW_CONSUMER', response: 'close', closeCode: TRACKER_CLOSE_CODES.SLOW_CONSUMER, message: 'send buffer over the limit' },
  internal_error: { code: 'SHOAL_ERR_INTERNAL', response: 'close', closeCode: TRACKER_CLOSE_CODES.INTERNAL_ERROR, message: 'internal error' },
  origin_not_allowed: { code: 'SHOAL_ERR_ORIGIN_NOT_ALLOWED', response: 'http', status: 403, message: 'Origin not in the allowed list' },
  server_full: { code: 'SHOAL_ERR_SERVER_FULL', response: 'http', status: 503, message: 'connection limit reached' },
} as const satisfies Record<string, TrackerRejection>;

export type TrackerRejectReason = keyof typeof TRACKER_REJECTIONS;
export const TRACKER_REJECT_REASONS = Object.keys(TRACKER_REJECTIONS) as TrackerRejectReason[];
