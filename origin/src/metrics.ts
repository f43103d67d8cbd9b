import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

export const REQUEST_KINDS = ['playlist', 'segment', 'init', 'subtitle', 'key', 'ingest', 'other'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface OriginMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'kind' | 'status'>;
  readonly egressBytes: Counter<'kind'>;
  readonly ingestBytes: Counter;
}

/** The origin's metrics in a registry of its own (names in ARCHITECTURE.md). */
export function createOriginMetrics(countStreams: () => number): OriginMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'shoal_origin_requests_total',
    help: 'HTTP requests answered by the origin, by kind of object and status code',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
  });
  const egressBytes = new Counter({
    name: 'shoal_origin_egress_bytes_total',
    help: 'Body bytes sent by the origin, by kind of object',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  for (const kind of REQUEST_KINDS) egressBytes.labels(kind).inc(0);
  const ingestBytes = new Counter({
    name: 'shoal_origin_ingest_bytes_total',
    help: 'Bytes received from encoders over ingest and published',
    registers: [registry],
  });
  new Gauge({
    name: 'shoal_origin_streams',
    help: 'Streams published (live and VOD)',
    registers: [registry],
    collect() {
      this.set(countStreams());
    },
  });
  return { registry, requests, egressBytes, ingestBytes };
}
