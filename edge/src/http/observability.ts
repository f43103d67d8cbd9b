import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { sendError, sendJson } from '@shoal/http-object';
import { EdgeError } from '../errors.js';
import type { EdgeModule } from './module.js';
import { pathOf } from './path-of.js';

/** `/metrics` (Prometheus text from the edge's registry) and `/healthz` (liveness plus a few gauges). */
export function observabilityModule(registry: Registry, health: () => Record<string, unknown>, log: Logger): EdgeModule {
  return {
    name: 'observability',
    handleRequest(req, res) {
      const path = pathOf(req.url);
      if (path !== '/metrics' && path !== '/healthz') return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        sendError(res, new EdgeError('SHOAL_ERR_METHOD_NOT_ALLOWED', `${req.method} not allowed here`));
        return true;
      }
      if (path === '/healthz') {
        sendJson(res, 200, { status: 'ok', ...health() });
        return true;
      }
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
          res.end(text);
        },
        (error: unknown) => {
          log.error({ err: error }, 'metrics collection failed');
          sendError(res, new EdgeError('SHOAL_ERR_INTERNAL', 'metrics collection failed'));
        },
      );
      return true;
    },
  };
}
