import type { Duplex } from 'node:stream';
import { jsonErrorBody } from '@shoal/http-object';
import { TRACKER_REJECTIONS } from '../errors.js';

/*
 * The JSON error a refused WebSocket handshake gets. The Origin check itself is the edge's shared CORS
 * allow-list (`CorsAllowList` of @shoal/http-object), as for every other edge endpoint.
 */

/** Answers a refused handshake over HTTP with `{ error: { code, message } }` and its status, then closes the socket. */
export function refuseHandshake(socket: Duplex, reason: 'origin_not_allowed' | 'server_full'): void {
  const rejection = TRACKER_REJECTIONS[reason];
  const body = jsonErrorBody(rejection.code, rejection.message);
  const status = rejection.status === 403 ? '403 Forbidden' : '503 Service Unavailable';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
