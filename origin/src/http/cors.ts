import type { NextFunction, Request, Response } from 'express';
import { answerPreflight, CorsAllowList, OBJECT_EXPOSED_HEADERS, OBJECT_METHODS, OBJECT_REQUEST_HEADERS, sendError, writeCorsHeaders } from '@shoal/http-object';
import { OriginError } from '../errors.js';

/**
 * CORS for players on other origins. `['*']` allows any origin without credentials; otherwise the
 * request's Origin is echoed only when listed. Preflights from other origins get 403.
 */
export function cors(allowedOrigins: readonly string[]) {
  const allowList = new CorsAllowList(allowedOrigins);
  return (req: Request, res: Response, next: NextFunction): void => {
    const permitted = writeCorsHeaders(req, res, allowList, OBJECT_EXPOSED_HEADERS);
    if (req.method !== 'OPTIONS') {
      next();
      return;
    }
    if (!permitted) {
      sendError(res, new OriginError('SHOAL_ERR_FORBIDDEN', 'origin not allowed by CORS'));
      return;
    }
    answerPreflight(res, OBJECT_METHODS, OBJECT_REQUEST_HEADERS);
  };
}
