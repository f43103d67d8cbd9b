import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockList } from 'node:net';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { answerPreflight, CorsAllowList, sendError, sendJson, writeCorsHeaders } from '@shoal/http-object';
import { MAX_STATS_REPORT_BYTES, validateStatsReport, type StatsReport } from '@shoal/protocol';
import { EdgeError } from '../errors.js';
import type { EdgeModule } from '../http/module.js';
import { clientAddress } from '../net/client-address.js';
import { ReportLimiter } from './report-limiter.js';
import { StreamNames } from './stream-names.js';

export interface StatsIngestOptions {
  /** Path the reports are posted to. */
  readonly path: string;
  /** Origins allowed by CORS; `['*']` allows any. */
  readonly corsOrigins: readonly string[];
  /** Reports per second per player session (sustained), and the burst above it. */
  readonly reportsPerSecond: number;
  readonly reportsBurst: number;
  /** Reports per second from all sessions behind one client address together, and the burst above it. */
  readonly addressReportsPerSecond: number;
  readonly addressReportsBurst: number;
  /** A session that has not reported for this long stops counting in `shoal_player_peers`. */
  readonly sessionTtlMs: number;
  /** Most distinct stream labels. */
  readonly maxStreams: number;
  readonly trustedProxies: BlockList | undefined;
}

export const REPORT_RESULTS = ['counted', 'duplicate', 'invalid', 'rate_limited', 'too_large'] as const;
type ReportResult = (typeof REPORT_RESULTS)[number];

interface Session {
  lastSeq: number;
  stream: string;
  peers: number;
}

/**
 * `POST /stats`: the players' reports (format in @shoal/protocol), validated strictly, rate-limited per
 * session under a per-address ceiling (see ReportLimiter), counted into Prometheus by their deltas. A report whose sequence number its session
 * already used is acknowledged and not counted again.
 */
export class StatsIngest implements EdgeModule {
  readonly name = 'stats';
  readonly streams: StreamNames;
  private readonly sessions: LRUCache<string, Session>;
  private readonly limiter: ReportLimiter;
  private readonly cors: CorsAllowList;
  private readonly reports: Counter<'result'>;
  private readonly bytes: Counter<'source' | 'stream'>;
  private readonly uploads: Counter<'stream'>;
  private readonly connections: Counter<'result' | 'stream'>;
  private readonly stalls: Counter<'stream'>;
  private readonly stallSeconds: Counter<'stream'>;
  private readonly startup: Histogram<'stream'>;

  constructor(
    private readonly options: StatsIngestOptions,
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.streams = new StreamNames(options.maxStreams);
    this.cors = new CorsAllowList(options.corsOrigins);
    this.limiter = new ReportLimiter({
      sessionPerSecond: options.reportsPerSecond,
      sessionBurst: options.reportsBurst,
      addressPerSecond: options.addressReportsPerSecond,
      addressBurst: options.addressReportsBurst,
    });
    this.sessions = new LRUCache<string, Session>({ max: 200_000, ttl: options.sessionTtlMs, ttlAutopurge: false });
    this.reports = new Counter({ name: 'shoal_player_reports_total', help: 'Player stats reports received, by result', labelNames: ['result'] as const, registers: [registry] });
    for (const result of REPORT_RESULTS) this.reports.labels(result).inc(0);
    this.bytes = new Counter({ name: 'shoal_player_bytes_total', help: 'Segment bytes players received, by source (http; p2p: directly from peers; p2p_relay: from peers through a TURN relay, server egress)', labelNames: ['source', 'stream'] as const, registers: [registry] });
    this.bytes.labels('http', 'other').inc(0);
    this.bytes.labels('p2p', 'other').inc(0);
    this.bytes.labels('p2p_relay', 'other').inc(0);
    this.uploads = new Counter({ name: 'shoal_player_upload_bytes_total', help: 'Bytes players sent to peers', labelNames: ['stream'] as const, registers: [registry] });
    this.connections = new Counter({
      name: 'shoal_player_peer_connections_total',
      help: 'RTCPeerConnections players made (created) and closed without ever opening (failed)',
      labelNames: ['result', 'stream'] as const,
      registers: [registry],
    });
    this.stalls = new Counter({ name: 'shoal_player_stalls_total', help: 'Playback stalls reported by players', labelNames: ['stream'] as const, registers: [registry] });
    this.stallSeconds = new Counter({ name: 'shoal_player_stall_seconds_total', help: 'Time players spent stalled', labelNames: ['stream'] as const, registers: [registry] });
    this.startup = new Histogram({
      name: 'shoal_player_startup_seconds',
      help: 'Time from load to first frame reported by players',
      labelNames: ['stream'] as const,
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 20],
      registers: [registry],
    });
    const sessions = this.sessions;
    new Gauge({
      name: 'shoal_player_sessions',
      help: 'Player sessions that reported recently (viewers)',
      labelNames: ['stream'] as const,
      registers: [registry],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const session of sessions.values()) counts.set(session.stream, (counts.get(session.stream) ?? 0) + 1);
        for (const [stream, count] of counts) this.labels(stream).set(count);
      },
    });
    new Gauge({
      name: 'shoal_player_peers',
      help: 'Peers connected, summed over player sessions that reported recently',
      labelNames: ['stream'] as const,
      registers: [registry],
      collect() {
        this.reset();
        const sums = new Map<string, number>();
        for (const session of sessions.values()) sums.set(session.stream, (sums.get(session.stream) ?? 0) + session.peers);
        for (const [stream, peers] of sums) this.labels(stream).set(peers);
      },
    });
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    if ((req.url ?? '').split('?', 1)[0] !== this.options.path) return false;
    writeCorsHeaders(req, res, this.cors);
    if (req.method === 'OPTIONS') {
      answerPreflight(res, 'POST, OPTIONS', 'Content-Type');
      return true;
    }
    if (req.method !== 'POST') {
      sendError(res, new EdgeError('SHOAL_ERR_METHOD_NOT_ALLOWED', 'POST a stats report'));
      return true;
    }
    const address = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.options.trustedProxies);
    if (!this.limiter.admitAddress(address, Date.now())) {
      req.resume();
      this.refuseRate(res, this.options.addressReportsPerSecond, 'too many reports from this address');
      return true;
    }
    this.readBody(req).then(
      (body) => {
        if (body === undefined) {
          this.result('too_large');
          sendError(res, new EdgeError('SHOAL_ERR_TOO_LARGE', `reports are at most ${MAX_STATS_REPORT_BYTES} bytes`), { Connection: 'close' });
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          this.result('invalid');
          sendError(res, new EdgeError('SHOAL_ERR_BAD_REPORT', 'report is not JSON'));
          return;
        }
        const validation = validateStatsReport(parsed);
        if (!validation.ok) {
          this.result('invalid');
          sendError(res, new EdgeError('SHOAL_ERR_BAD_REPORT', validation.error));
          return;
        }
        if (!this.limiter.admitSession(validation.report.session, Date.now())) {
          this.refuseRate(res, this.options.reportsPerSecond, 'too many reports from this session');
          return;
        }
        const counted = this.count(validation.report);
        this.result(counted ? 'counted' : 'duplicate');
        sendJson(res, 202, { counted });
      },
      () => res.destroy(),
    );
    return true;
  }

  /** 429 with the wait until one more report fits the rate, so a client knows when to try again. */
  private refuseRate(res: ServerResponse, perSecond: number, message: string): void {
    this.result('rate_limited');
    sendError(res, new EdgeError('SHOAL_ERR_RATE_LIMITED', message), { 'Retry-After': String(Math.max(1, Math.ceil(1 / perSecond))) });
  }

  private result(result: ReportResult): void {
    this.reports.labels(result).inc();
  }

  /** Counts a valid report once; false when its session already sent this sequence number or a later one. */
  private count(report: StatsReport): boolean {
    const session = this.sessions.get(report.session);
    if (session && report.seq <= session.lastSeq) return false;
    const stream = this.streams.label(report.stream);
    this.sessions.set(report.session, { lastSeq: report.seq, stream, peers: report.peers });
    this.bytes.labels('http', stream).inc(report.httpBytes);
    // Relayed peer bytes crossed the TURN server: counted apart, so the offload ratio (p2p over all) leaves them out.
    const relayed = report.p2pRelayBytes ?? 0;
    this.bytes.labels('p2p', stream).inc(report.p2pBytes - relayed);
    this.bytes.labels('p2p_relay', stream).inc(relayed);
    this.uploads.labels(stream).inc(report.uploadBytes);
    this.stalls.labels(stream).inc(report.stalls);
    this.connections.labels('created', stream).inc(report.connectionsCreated ?? 0);
    this.connections.labels('failed', stream).inc(report.connectionsFailed ?? 0);
    this.stallSeconds.labels(stream).inc(report.stallMs / 1000);
    if (report.startupMs !== undefined) this.startup.labels(stream).observe(report.startupMs / 1000);
    return true;
  }

  private readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > MAX_STATS_REPORT_BYTES) {
        req.resume();
        resolve(undefined);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_STATS_REPORT_BYTES) over = true;
        else chunks.push(chunk);
      });
      req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  async close(): Promise<void> {
    this.sessions.clear();
    this.limiter.clear();
    this.log.debug('stats ingest closed');
  }
}
