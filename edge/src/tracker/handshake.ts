import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TRACKER_REJECTIONS } from '../errors.js';

/*
 * The WebSocket handshake's Origin check (CORS for the tracker) and the JSON error body a refused handshake
 * gets, kept together in this one spot: the edge's HTTP modules answer the same way.
 */

/** Whether a handshake's `Origin` is in `allowedOrigins` (`'*'` allows any). */
export class OriginCheck {
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(allowedOrigins: readonly string[]) {
    this.anyOrigin = allowedOrigins.includes('*');
    this.origins = new Set(allowedOrigins);
  }

  allows(req: IncomingMessage): boolean {
    return this.anyOrigin || this.origins.has(req.headers.origin ?? '');
  }
}

/** Answers a refused handshake over HTTP with `{ error: { code, message } }` and its status, then closes the socket. */
export function refuseHandshake(socket: Duplex, reason: 'origin_not_allowed' | 'server_full'): void {
  const rejection = TRACKER_REJECTIONS[reason];
  const body = JSON.stringify({ error: { code: rejection.code, message: rejection.message } });
  const status = rejection.status === 403 ? '403 Forbidden' : '503 Service Unavailable';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
