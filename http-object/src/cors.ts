import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request headers a player may send for a stored object (Range and conditional requests). */
export const OBJECT_REQUEST_HEADERS = 'Range, If-None-Match, If-Modified-Since, If-Range';
/** Response headers of a stored object a player's script may read. */
export const OBJECT_EXPOSED_HEADERS = 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, Cache-Control';
export const OBJECT_METHODS = 'GET, HEAD, OPTIONS';

/**
 * The page origins allowed to read a server's answers. `['*']` allows any origin (without credentials);
 * otherwise only the origins listed.
 */
export class CorsAllowList {
  readonly any: boolean;
  private readonly listed: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.includes('*');
    this.listed = new Set(origins);
  }

  /** Whether a request carrying this `Origin` header may be answered; one without passes only when any origin may. */
  allows(origin: string | undefined): boolean {
    return this.any || (origin !== undefined && this.listed.has(origin));
  }
}

/**
 * Writes the CORS headers of a response to `req`: `Vary: Origin` when the answer depends on the list, and
 * when the request's Origin is allowed, `Access-Control-Allow-Origin` (`*` or the Origin echoed) and the
 * exposed headers. Returns whether the Origin is allowed (false without an Origin header).
 */
export function writeCorsHeaders(req: IncomingMessage, res: ServerResponse, allowList: CorsAllowList, exposedHeaders?: string): boolean {
  const origin = req.headers.origin;
  if (!allowList.any) appendVary(res, 'Origin');
  if (origin === undefined || !allowList.allows(origin)) return false;
  res.setHeader('Access-Control-Allow-Origin', allowList.any ? '*' : origin);
  if (exposedHeaders !== undefined) res.setHeader('Access-Control-Expose-Headers', exposedHeaders);
  return true;
}

/** Answers a CORS preflight with 204; browsers cache the answer for ten minutes. */
export function answerPreflight(res: ServerResponse, methods: string, requestHeaders: string): void {
  res.writeHead(204, { 'Access-Control-Allow-Methods': methods, 'Access-Control-Allow-Headers': requestHeaders, 'Access-Control-Max-Age': '600' });
  res.end();
}

/** Adds a field to `Vary`, keeping the fields other code listed there. */
function appendVary(res: ServerResponse, field: string): void {
  const current = res.getHeader('Vary');
  const fields = current === undefined ? [] : String(current).split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (fields.some((name) => name === '*' || name.toLowerCase() === field.toLowerCase())) return;
  res.setHeader('Vary', [...fields, field].join(', '));
}
