import pino from 'pino';
import { WebSocket } from 'ws';
import { createEdge, startEdgeServer, type Edge, type EdgeOptions, type EdgeServer } from '@shoal/edge';
import { randomTrackerId } from '@shoal/protocol';

export { httpGet } from '../../test-support/http.js';

export interface TestEdge {
  readonly edge: Edge;
  readonly server: EdgeServer;
  readonly url: string;
  readonly trackerUrl: string;
  close(): Promise<void>;
}

/** A real edge on a free loopback port, logging nothing. */
export async function startTestEdge(options: Partial<EdgeOptions> = {}): Promise<TestEdge> {
  const edge = await createEdge(options, { logger: pino({ level: 'silent' }) });
  const server = await startEdgeServer(edge, 0, '127.0.0.1');
  return { edge, server, url: server.url, trackerUrl: server.trackerUrl, close: () => server.close() };
}

export type Message = Record<string, unknown>;

/**
 * A bare WebSocket tracker client for tests: sends JSON, collects every frame, and waits for the one a test
 * expects. `headers` can carry `Origin` or `X-Forwarded-For`.
 */
export class RawClient {
  readonly received: Message[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: HTTP ${res.statusCode}`)));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Message;
      this.received.push(message);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(message)) return true;
        w.resolve(message);
        return false;
      });
    });
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<RawClient> {
    const client = new RawClient(url, headers);
    await client.opened;
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (already received or to come) that matches; fails after `timeoutMs`. */
  next(match: (m: Message) => boolean, timeoutMs = 5_000): Promise<Message> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.received).slice(0, 500)}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Sends and waits for the announce reply (the message with `interval`) for `infoHash`. */
  async announce(fields: Message): Promise<Message> {
    const before = this.received.length;
    this.send({ action: 'announce', ...fields });
    return this.next((m) => this.received.indexOf(m) >= before && m.info_hash === fields.info_hash && ('interval' in m || 'failure reason' in m));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

export const offer = (sdp = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n') => ({ offer_id: randomTrackerId(), offer: { type: 'offer', sdp } });

/** The value of one series from Prometheus text, e.g. `metricValue(text, 'shoal_tracker_rejected_total{reason="bad_json"}')`. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
