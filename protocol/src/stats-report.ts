/**
 * The report a Shoal player posts to the edge (`POST /stats`, JSON) every few seconds and on page hide.
 * Counters are deltas since the session's previous report, so the edge only ever adds what a report
 * says, and a report replayed with a sequence number already seen is ignored.
 *
 * | field | type | meaning |
 * | --- | --- | --- |
 * | `v` | 1 | format version |
 * | `session` | string, 8–64 of `[A-Za-z0-9_-]` | random id of one playback session |
 * | `seq` | integer ≥ 0 | report number within the session, +1 each report |
 * | `stream` | string ≤ 256 | the stream's playlist URL path (no query), as the edge publishes it |
 * | `intervalMs` | integer 0–600000 | time the deltas cover |
 * | `httpBytes` | integer ≥ 0 | segment bytes fetched over HTTP in the interval |
 * | `p2pBytes` | integer ≥ 0 | segment bytes received from peers (verified) in the interval, relayed ones included |
 * | `p2pRelayBytes` | integer 0–`p2pBytes`, optional | the part of `p2pBytes` that came over TURN-relayed connections (server egress, not offload); absent means 0 |
 * | `uploadBytes` | integer ≥ 0 | bytes sent to peers in the interval |
 * | `stalls` | integer ≥ 0 | playback stalls that began in the interval |
 * | `stallMs` | integer ≥ 0 | time spent stalled in the interval |
 * | `peers` | integer 0–1000 | peers connected at report time |
 * | `startupMs` | integer 0–600000, optional | time from load to first frame; sent once |
 * | `connectionsCreated` | integer 0–10000, optional | RTCPeerConnections made in the interval |
 * | `connectionsFailed` | integer 0–10000, optional | RTCPeerConnections closed in the interval without ever opening |
 * | `connectionsOpen` | integer 0–1000, optional | RTCPeerConnections open at report time |
 */
export const STATS_REPORT_VERSION = 1;
export const MAX_REPORT_INTERVAL_MS = 600_000;
/** 1 Gbit/s: a delta above this rate for its interval is absurd for one player. */
export const MAX_PLAYER_BYTES_PER_SECOND = 125_000_000;
export const MAX_STATS_REPORT_BYTES = 4096;

export interface StatsReport {
  readonly v: 1;
  readonly session: string;
  readonly seq: number;
  readonly stream: string;
  readonly intervalMs: number;
  readonly httpBytes: number;
  readonly p2pBytes: number;
  readonly p2pRelayBytes?: number;
  readonly uploadBytes: number;
  readonly stalls: number;
  readonly stallMs: number;
  readonly peers: number;
  readonly startupMs?: number;
  readonly connectionsCreated?: number;
  readonly connectionsFailed?: number;
  readonly connectionsOpen?: number;
}

export type StatsReportValidation = { readonly ok: true; readonly report: StatsReport } | { readonly ok: false; readonly error: string };

const SESSION = /^[A-Za-z0-9_-]{8,64}$/;
const FIELDS = new Set(['v', 'session', 'seq', 'stream', 'intervalMs', 'httpBytes', 'p2pBytes', 'uploadBytes', 'stalls', 'stallMs', 'peers', 'startupMs', 'p2pRelayBytes', 'connectionsCreated', 'connectionsFailed', 'connectionsOpen']);

function isCount(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max;
}

/** Strict validation of a parsed JSON value: unknown fields, wrong types and out-of-bounds values are refused. */
export function validateStatsReport(value: unknown): StatsReportValidation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'report must be a JSON object' };
  const report = value as Record<string, unknown>;
  for (const key of Object.keys(report)) if (!FIELDS.has(key)) return { ok: false, error: `unknown field ${key.slice(0, 32)}` };
  if (report.v !== STATS_REPORT_VERSION) return { ok: false, error: `v must be ${STATS_REPORT_VERSION}` };
  if (typeof report.session !== 'string' || !SESSION.test(report.session)) return { ok: false, error: 'session must be 8-64 of [A-Za-z0-9_-]' };
  if (!isCount(report.seq, Number.MAX_SAFE_INTEGER)) return { ok: false, error: 'seq must be a whole number' };
  if (typeof report.stream !== 'string' || report.stream.length === 0 || report.stream.length > 256) {
    return { ok: false, error: 'stream must be a string of 1-256 characters' };
  }
  if (!isCount(report.intervalMs, MAX_REPORT_INTERVAL_MS)) return { ok: false, error: `intervalMs must be 0-${MAX_REPORT_INTERVAL_MS}` };
  // Allow one second of slack so a short first interval can carry the startup burst.
  const maxBytes = Math.ceil(((report.intervalMs as number) / 1000 + 1) * MAX_PLAYER_BYTES_PER_SECOND);
  for (const field of ['httpBytes', 'p2pBytes', 'uploadBytes'] as const) {
    if (!isCount(report[field], maxBytes)) return { ok: false, error: `${field} must be 0-${maxBytes} for this interval` };
  }
  if (report.p2pRelayBytes !== undefined && !isCount(report.p2pRelayBytes, report.p2pBytes as number)) {
    return { ok: false, error: 'p2pRelayBytes must be 0-p2pBytes' };
  }
  if (!isCount(report.stalls, 10_000)) return { ok: false, error: 'stalls must be 0-10000' };
  if (!isCount(report.stallMs, (report.intervalMs as number) + 1000)) return { ok: false, error: 'stallMs cannot exceed the interval' };
  if (!isCount(report.peers, 1000)) return { ok: false, error: 'peers must be 0-1000' };
  if (report.startupMs !== undefined && !isCount(report.startupMs, MAX_REPORT_INTERVAL_MS)) {
    return { ok: false, error: `startupMs must be 0-${MAX_REPORT_INTERVAL_MS}` };
  }
  for (const [field, max] of [['connectionsCreated', 10_000], ['connectionsFailed', 10_000], ['connectionsOpen', 1000]] as const) {
    if (report[field] !== undefined && !isCount(report[field], max)) return { ok: false, error: `${field} must be 0-${max}` };
  }
  return { ok: true, report: report as unknown as StatsReport };
}
