import type { ServerResponse } from 'node:http';
import type { Inflight } from './inflight.js';

// Hop-by-hop headers, and CORS headers the origin computed for a request that was not the player's.
const NOT_PASSED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'access-control-allow-origin',
  'access-control-expose-headers',
  'vary',
]);

/** The origin's response headers an answer to the player may carry. */
export function passHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_PASSED.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/**
 * Streams an origin response with status 200 to a client as it arrives: the chunks received so far, then
 * each new one. The client's connection is cut if the origin's fails. Calls `countBytes` with every body
 * byte written.
 */
export function streamThrough(res: ServerResponse, flight: Inflight, countBytes: (bytes: number) => void): void {
  const write = (chunk: Buffer): void => {
    countBytes(chunk.length);
    res.write(chunk);
  };
  res.writeHead(200, passHeaders(flight.headers));
  for (const chunk of flight.chunks) write(chunk);
  if (flight.done) {
    if (flight.failure) res.destroy();
    else res.end();
    return;
  }
  const onEnd = (): void => {
    cleanup();
    res.end();
  };
  const onFailed = (): void => {
    cleanup();
    res.destroy();
  };
  const cleanup = (): void => {
    flight.off('chunk', write);
    flight.off('end', onEnd);
    flight.off('failed', onFailed);
  };
  flight.on('chunk', write);
  flight.on('end', onEnd);
  flight.on('failed', onFailed);
  res.on('close', cleanup);
}
