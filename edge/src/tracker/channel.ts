import type { TrackerRejectReason } from '../errors.js';

/*
 * The narrow contract between the tracker and what carries its messages. The tracker speaks the protocol
 * (announce, answer, scrape, relay) and sees each client only as a `Channel`; the transport owns sockets,
 * framing, corking, keepalive and close codes (`ws-transport.ts`; unit tests use an in-memory one).
 */

/** One client connection, as the tracker sees it. */
export interface Channel {
  /** Queues one text message; false when the connection is closed, or was just closed for not reading its messages. */
  send(text: string): boolean;
  /**
   * Closes the connection with `code` (1006: drop it without a close frame). The handler's `closed` runs before
   * this returns, so nothing more is relayed to or from it. Idempotent.
   */
  close(code: number, reason: string): void;
}

/** Violations a transport detects and acts on itself; each is a row of `TRACKER_REJECTIONS`. */
export type TransportRejectReason = Extract<
  TrackerRejectReason,
  'origin_not_allowed' | 'server_full' | 'binary_frame' | 'frame_too_large' | 'bad_utf8' | 'protocol_error' | 'idle_timeout' | 'pong_timeout' | 'slow_consumer'
>;

/** What a transport tells the tracker; `S` is the tracker's state for one connection. */
export interface ChannelHandler<S> {
  /** A client connected from `address` (the viewer's, past trusted proxies); returns the state its later events carry. */
  opened(channel: Channel, address: string): S;
  /** One text message from the client. */
  message(session: S, text: string): void;
  /** The connection is gone, whoever ended it. Called once per connection. */
  closed(session: S): void;
  /** The transport refused a handshake or dropped a connection for `reason` (it has acted already); for the metrics. */
  rejected(reason: TransportRejectReason): void;
}
