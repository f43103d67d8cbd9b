import type { IncomingMessage } from 'node:http';
import type { BlockList, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CorsAllowList } from '@shoal/http-object';
import { TRACKER_CLOSE_CODES } from '@shoal/protocol';
import { TRACKER_REJECTIONS } from '../errors.js';
import { clientAddress, trustedProxyList } from '../net/client-address.js';
import type { EdgeOptions } from '../options.js';
import type { Channel, ChannelHandler, TransportRejectReason } from './channel.js';
import { refuseHandshake } from './handshake.js';

export type WebSocketTransportOptions = Pick<
  EdgeOptions,
  'trackerPaths' | 'allowedOrigins' | 'trustedProxies' | 'maxConnections' | 'maxFrameBytes' | 'maxBufferedBytes' | 'pingIntervalMs' | 'idleTimeoutMs'
>;

export interface WebSocketTransportDeps {
  readonly log: Logger;
  /** Clock in ms, for idle timeouts. */
  readonly now: () => number;
}

/** Violations that end a connection the transport holds (the handshake ones are answered over HTTP). */
type DropReason = Extract<TransportRejectReason, 'binary_frame' | 'idle_timeout' | 'pong_timeout' | 'slow_consumer'>;

const WS_ERROR_REASONS: Record<string, TransportRejectReason> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'frame_too_large',
  WS_ERR_INVALID_UTF8: 'bad_utf8',
};

/** One client WebSocket: the tracker's {@link Channel} to it, and what the transport keeps about it. */
class WsChannel<S> implements Channel {
  /** The tracker's state for this connection, set as soon as the tracker has made it. */
  session!: S;
  lastMessageAt: number;
  /** Whether the socket answered the last ping. */
  alive = true;
  closed = false;
  /** Whether `socket` is corked until the end of this event-loop turn. */
  corked = false;

  constructor(
    readonly transport: WebSocketTransport<S>,
    readonly ws: WebSocket,
    /** The TCP socket under `ws`, corked while a turn's messages to it accumulate. */
    readonly socket: Socket,
    readonly address: string,
    now: number,
  ) {
    this.lastMessageAt = now;
  }

  send(text: string): boolean {
    return this.transport.send(this, text);
  }

  close(code: number, reason: string): void {
    this.transport.close(this, code, reason);
  }
}

const CHANNEL = Symbol('shoal.channel');
type TrackedSocket = WebSocket & { [CHANNEL]?: WsChannel<unknown> };

// Shared listeners (`this` is the socket), so a connection costs no closures.
function onSocketMessage(this: TrackedSocket, data: RawData, isBinary: boolean): void {
  const channel = this[CHANNEL];
  if (channel) channel.transport.received(channel, data, isBinary);
}
function onSocketPong(this: TrackedSocket): void {
  const channel = this[CHANNEL];
  if (channel) channel.alive = true;
}
function onSocketError(this: TrackedSocket, error: Error & { code?: string }): void {
  const channel = this[CHANNEL];
  if (channel) channel.transport.failed(channel, error);
}
function onSocketClose(this: TrackedSocket): void {
  const channel = this[CHANNEL];
  if (channel) channel.transport.drop(channel);
}

/**
 * The tracker's WebSocket side: takes upgrade requests on the tracker paths (Origin and connection limit
 * checked), frames messages, sends everything a socket gets in one event-loop turn in one write, pings every
 * connection and drops those that stop answering or go idle, and closes with the codes of `TRACKER_REJECTIONS`.
 * It knows nothing of the protocol: text goes to a {@link ChannelHandler}.
 */
export class WebSocketTransport<S> {
  private readonly wss: WebSocketServer;
  private readonly channels = new Set<WsChannel<S>>();
  private readonly paths: ReadonlySet<string>;
  private readonly originCheck: CorsAllowList;
  private readonly trusted: BlockList | undefined;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly pingTimer: NodeJS.Timeout;
  /** Channels whose socket is corked until the flush at the end of this event-loop turn. */
  private readonly corked: WsChannel<S>[] = [];
  private flushScheduled = false;
  private readonly flush = (): void => {
    this.flushScheduled = false;
    for (const channel of this.corked) {
      channel.corked = false;
      channel.socket.uncork();
    }
    this.corked.length = 0;
  };
  private destroying: Promise<void> | undefined;

  constructor(
    private readonly options: WebSocketTransportOptions,
    private readonly handler: ChannelHandler<S>,
    deps: WebSocketTransportDeps,
  ) {
    this.log = deps.log;
    this.now = deps.now;
    this.paths = new Set(options.trackerPaths);
    this.originCheck = new CorsAllowList(options.allowedOrigins);
    this.trusted = options.trustedProxies.length > 0 ? trustedProxyList(options.trustedProxies) : undefined;
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: options.maxFrameBytes,
    });
    this.pingTimer = setInterval(() => this.sweep(), options.pingIntervalMs);
    this.pingTimer.unref();
  }

  get connectionCount(): number {
    return this.channels.size;
  }

  /**
   * Takes a WebSocket upgrade request if its path is one of `trackerPaths`; returns false (and leaves the
   * socket alone) otherwise. A refused handshake (Origin not allowed, connection limit) is answered over HTTP.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    if (!this.paths.has(query >= 0 ? url.slice(0, query) : url)) return false;
    socket.on('error', noop);
    if (this.destroying) {
      socket.destroy();
      return true;
    }
    if (!this.originCheck.allows(req.headers.origin)) {
      this.handler.rejected('origin_not_allowed');
      refuseHandshake(socket, 'origin_not_allowed');
      return true;
    }
    if (this.channels.size >= this.options.maxConnections) {
      this.handler.rejected('server_full');
      refuseHandshake(socket, 'server_full');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
    return true;
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const address = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.trusted);
    const channel = new WsChannel<S>(this, ws, req.socket, address, this.now());
    channel.session = this.handler.opened(channel, address);
    (ws as TrackedSocket)[CHANNEL] = channel as WsChannel<unknown>;
    this.channels.add(channel);
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('error', onSocketError);
    ws.on('close', onSocketClose);
    if (this.destroying) ws.close(TRACKER_CLOSE_CODES.GOING_AWAY);
  }

  /** @internal called by the shared socket listener. */
  received(channel: WsChannel<S>, data: RawData, isBinary: boolean): void {
    if (channel.closed) return;
    channel.lastMessageAt = this.now();
    if (isBinary) {
      this.reject(channel, 'binary_frame');
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString() : Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data).toString();
    this.handler.message(channel.session, text);
  }

  /** @internal */
  failed(channel: WsChannel<S>, error: Error & { code?: string }): void {
    const code = error.code ?? '';
    if (code.startsWith('WS_ERR_')) {
      // `ws` closes the socket itself with the matching code (1009, 1007, 1002).
      this.handler.rejected(WS_ERROR_REASONS[code] ?? 'protocol_error');
    } else {
      this.log.debug({ err: error, address: channel.address }, 'tracker socket error');
    }
    this.drop(channel);
  }

  /** Sends unless the socket is gone; closes a connection whose unsent data outgrew the limit. */
  send(channel: WsChannel<S>, text: string): boolean {
    const ws = channel.ws;
    if (channel.closed || ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.reject(channel, 'slow_consumer');
      return false;
    }
    // Everything sent to one socket during this event-loop turn (replies, offers and answers caused by many
    // incoming messages) leaves in one write at the end of the turn: one syscall instead of one per message.
    if (!channel.corked) {
      channel.corked = true;
      channel.socket.cork();
      this.corked.push(channel);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    }
    ws.send(text);
    return true;
  }

  close(channel: WsChannel<S>, code: number, reason: string): void {
    if (channel.closed) return;
    // The handler lets go of it first: nothing more is relayed to or from a connection being closed.
    this.drop(channel);
    if (code === 1006) channel.ws.terminate();
    else channel.ws.close(code, reason);
  }

  /** Forgets a connection and tells the handler; safe to call more than once. @internal */
  drop(channel: WsChannel<S>): void {
    if (channel.closed) return;
    channel.closed = true;
    this.channels.delete(channel);
    this.handler.closed(channel.session);
  }

  /** Ends a connection for a violation the transport found: counted once, closed with the violation's code. */
  private reject(channel: WsChannel<S>, reason: DropReason): void {
    this.handler.rejected(reason);
    const rejection = TRACKER_REJECTIONS[reason];
    this.close(channel, rejection.closeCode, rejection.code);
  }

  /** Pings every connection; drops those that did not answer the last ping and closes those idle too long. */
  private sweep(): void {
    const now = this.now();
    for (const channel of this.channels) {
      if (!channel.alive) {
        this.reject(channel, 'pong_timeout');
      } else if (now - channel.lastMessageAt > this.options.idleTimeoutMs) {
        this.reject(channel, 'idle_timeout');
      } else if (channel.ws.readyState === channel.ws.OPEN) {
        channel.alive = false;
        channel.ws.ping();
      }
    }
  }

  /**
   * Closes every connection with 1001 (going away) and stops the timer. Idempotent; resolves once every socket
   * has closed or after a short grace period.
   */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      clearInterval(this.pingTimer);
      const closing = [...this.channels].map(
        (channel) =>
          new Promise<void>((resolve) => {
            const ws = channel.ws;
            if (ws.readyState === ws.CLOSED) return resolve();
            const timer = setTimeout(() => ws.terminate(), 2_000);
            timer.unref();
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close(TRACKER_CLOSE_CODES.GOING_AWAY, 'SHOAL_ERR_SHUTTING_DOWN');
          }),
      );
      for (const channel of [...this.channels]) this.drop(channel);
      await Promise.all(closing);
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    })();
    return this.destroying;
  }
}

function noop(): void {}
