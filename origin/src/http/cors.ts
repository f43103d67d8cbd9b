import type { NextFunction, Request, Response } from 'express';

const ALLOWED_REQUEST_HEADERS = 'Range, If-None-Match, If-Modified-Since, If-Range';
const EXPOSED_HEADERS = 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, Cache-Control';

/**
 * CORS for players on other origins. `['*']` allows any origin without credentials; otherwise the
 * request's Origin is echoed only when listed. Preflights from other origins get 403.
 */
export function cors(allowedOrigins: readonly string[]) {
  const any = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins);
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    const permitted = origin !== undefined && (any || allowed.has(origin));
    if (!any) res.vary('Origin');
    if (permitted) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
    if (req.method !== 'OPTIONS') {
      next();
      return;
    }
    if (!permitted) {
      res.status(403).json({ error: { code: 'SHOAL_ERR_FORBIDDEN', message: 'origin not allowed by CORS' } });
      return;
    }
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_REQUEST_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}
