import {
  formatAnnounce,
  formatAnswer,
  formatScrape,
  parseTrackerReply,
  type SessionDescription,
  type ShoalAnnounceExtension,
  type TrackerOffer,
} from '@shoal/protocol';
import { TypedEmitter } from '../util/event-emitter.js';
import type { Signaling, SignalingHandlers, SignalingSession } from './signaling.js';

/** The part of the WebSocket API the client uses: the browser's `WebSocket` and `ws`'s both have it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;

export interface TrackerClientOptions {
  /** The tracker's `ws://` or `wss://` URL, e.g. `wss://edge.example/announce`. */
  readonly url: string;
  /**
   * WebSocket implementation. @default globalThis.WebSocket (browsers). In Node, pass `WebSocket` from `ws`.
   */
  readonly WebSocket: WebSocketConstructor | undefined;
  /** First reconnect delay; doubles per failed attempt, with jitter. @default 1000 */
  readonly minReconnectMs: number;
  /** Longest reconnect delay. @default 60000 */
  readonly maxReconnectMs: number;
}

export const DEFAULT_TRACKER_CLIENT_OPTIONS: Readonly<Omit<TrackerClientOptions, 'url'>> = {
  WebSocket: undefined,
  minReconnectMs: 1_000,
  maxReconnectMs: 60_000,
};

export interface TrackerClientEvents {
  connect: () => void;
  /** The socket closed; the client reconnects unless destroyed. */
  disconnect: (code: number, reason: string) => void;
  /** A `failure reason` from the tracker; `code` is `SHOAL_ERR_…` from a Shoal edge. */
  warning: (reason: string, code: string | undefined, infoHash: string | undefined) => void;
  /** Swarm size from an announce reply. */
  update: (infoHash: string, complete: number, incomplete: number) => void;
  scrape: (infoHash: string, complete: number, incomplete: number) => void;
}

interface Session {
  readonly infoHash: string;
  readonly peerId: string;
  readonly handlers: SignalingHandlers;
  started: boolean;
  extension: ShoalAnnounceExtension | undefined;
}

/**
 * The SDK's tracker connection: the WebTorrent tracker protocol over one WebSocket shared by every swarm the
 * player joins, with the Shoal extension in announces. Works with a Shoal edge and with any WebTorrent
 * tracker (`bittorrent-tracker`'s server included). It only signals: offers and answers come from and go to
 * the caller's peer connector.
 *
 * @example
 * const tracker = new TrackerClient({ url: 'wss://edge.example/announce' });
 * const session = tracker.join(infoHash, peerId, { onOffer, onAnswer });
 * session.announce(await connector.createOffers(5), { v: 1, position: video.currentTime });
 */
export class TrackerClient extends TypedEmitter<TrackerClientEvents> implements Signaling {
  private readonly options: TrackerClientOptions;
  private readonly sessions = new Map<string, Session>();
  private socket: WebSocketLike | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private destroyed = false;

  constructor(options: Partial<TrackerClientOptions> & Pick<TrackerClientOptions, 'url'>) {
    super();
    this.options = { ...DEFAULT_TRACKER_CLIENT_OPTIONS, ...options };
    if (!/^wss?:\/\//.test(this.options.url)) throw new TypeError(`tracker URL must be ws:// or wss://, got ${this.options.url}`);
    if (this.options.minReconnectMs <= 0 || this.options.maxReconnectMs < this.options.minReconnectMs) {
      throw new RangeError('reconnect delays must be positive, min ≤ max');
    }
  }

  /** Whether the socket is open. */
  get connected(): boolean {
    return this.socket?.readyState === OPEN;
  }

  join(infoHash: string, peerId: string, handlers: SignalingHandlers): SignalingSession {
    if (this.destroyed) throw new Error('tracker client destroyed');
    const key = infoHash + peerId;
    const session: Session = { infoHash, peerId, handlers, started: false, extension: undefined };
    this.sessions.set(key, session);
    this.ensureSocket();
    return {
      announce: (offers, extension) => this.announce(session, offers, extension),
      answer: (toPeerId, offerId, answer) => this.answer(session, toPeerId, offerId, answer),
      leave: () => this.leave(key, session),
    };
  }

  /** Asks for the size of swarms; answered with 'scrape' events. */
  scrape(infoHashes: readonly string[]): void {
    if (infoHashes.length > 0) this.send(formatScrape(infoHashes));
  }

  /** Closes the socket and stops reconnecting. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const session of this.sessions.values()) if (session.started) this.sendAnnounce(session, 'stopped', []);
    this.sessions.clear();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      // Closing while still connecting reports an error (Node's `ws` throws it without a listener).
      socket.onerror = () => {};
      socket.close(1000);
    }
    this.removeAllListeners();
  }

  private announce(session: Session, offers: readonly TrackerOffer[], extension: ShoalAnnounceExtension | undefined): void {
    if (!this.sessions.has(session.infoHash + session.peerId)) return;
    session.extension = extension;
    // Offers can only be relayed while connected; announcing them later would hand out stale connections.
    if (!this.connected) return;
    this.sendAnnounce(session, session.started ? 'update' : 'started', offers);
    session.started = true;
  }

  private sendAnnounce(session: Session, event: 'started' | 'update' | 'stopped', offers: readonly TrackerOffer[]): void {
    this.send(
      formatAnnounce({
        infoHash: session.infoHash,
        peerId: session.peerId,
        event,
        numwant: offers.length,
        offers: event === 'stopped' ? undefined : offers,
        ...(session.extension !== undefined && event !== 'stopped' ? { extension: session.extension } : {}),
      }),
    );
  }

  private answer(session: Session, toPeerId: string, offerId: string, answer: SessionDescription): void {
    this.send(formatAnswer(session.infoHash, session.peerId, toPeerId, offerId, answer));
  }

  private leave(key: string, session: Session): void {
    if (this.sessions.get(key) !== session) return;
    this.sessions.delete(key);
    if (session.started) this.sendAnnounce(session, 'stopped', []);
  }

  private send(text: string): void {
    if (this.socket?.readyState === OPEN) this.socket.send(text);
  }

  private ensureSocket(): void {
    if (this.socket || this.reconnectTimer !== undefined || this.destroyed) return;
    const Ctor = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new Error('no WebSocket implementation: pass options.WebSocket');
    let socket: WebSocketLike;
    try {
      socket = new Ctor(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.emit('connect');
      // (Re)join every swarm. A caller that makes offers announces with fresh ones at once, so a player
      // whose first offers were made before the socket opened is introduced without waiting a whole interval.
      for (const session of this.sessions.values()) {
        session.started = false;
        if (session.handlers.onConnected) {
          session.handlers.onConnected();
          if (session.started) continue;
        }
        this.sendAnnounce(session, 'started', []);
        session.started = true;
      }
    };
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.onMessage(event.data);
    };
    socket.onerror = () => {
      // Followed by onclose, which reconnects.
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.emit('disconnect', event.code, event.reason);
      if (!this.destroyed && this.sessions.size > 0) this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    const { minReconnectMs, maxReconnectMs } = this.options;
    const delay = Math.min(maxReconnectMs, minReconnectMs * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts = Math.min(this.attempts + 1, 30);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.ensureSocket();
    }, delay);
    (this.reconnectTimer as { unref?: () => void }).unref?.();
  }

  private sessionFor(infoHash: string, notPeerId?: string): Session | undefined {
    for (const session of this.sessions.values()) {
      if (session.infoHash === infoHash && session.peerId !== notPeerId) return session;
    }
    return undefined;
  }

  private onMessage(text: string): void {
    const reply = parseTrackerReply(text);
    if (!reply) return;
    switch (reply.kind) {
      case 'announce-reply': {
        const session = this.sessionFor(reply.infoHash);
        if (!session) return;
        if (reply.complete + reply.incomplete > 0) session.handlers.onSwarmSize?.(reply.complete + reply.incomplete);
        session.handlers.onIceServers?.(reply.iceServers?.map((server) => ({ ...server, urls: typeof server.urls === 'string' ? server.urls : [...server.urls] })));
        this.emit('update', reply.infoHash, reply.complete, reply.incomplete);
        return;
      }
      case 'offer':
        this.sessionFor(reply.infoHash, reply.peerId)?.handlers.onOffer(reply.peerId, reply.offerId, reply.offer);
        return;
      case 'answer':
        this.sessionFor(reply.infoHash, reply.peerId)?.handlers.onAnswer(reply.peerId, reply.offerId, reply.answer);
        return;
      case 'scrape-reply':
        for (const [infoHash, stats] of reply.files) this.emit('scrape', infoHash, stats.complete, stats.incomplete);
        return;
      case 'failure':
        this.emit('warning', reply.reason, reply.code, reply.infoHash);
        return;
    }
  }
}
