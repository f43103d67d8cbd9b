import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SegmentRef } from '../src/core/segment.js';

/** A plain HTTP server of random segments that counts the requests for each, like an origin would. */
export class SegmentServer {
  readonly requests = new Map<string, number>();
  readonly bytes = new Map<string, Buffer>();
  /** Range headers received, in order, as `path range`. */
  readonly ranges: string[] = [];
  private server: Server | undefined;
  url = '';

  constructor(count: number, size = 200_000) {
    for (let i = 0; i < count; i++) this.bytes.set(`/seg${i}.ts`, randomBytes(size + i));
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
      const body = this.bytes.get(path);
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      if (req.headers.range) this.ranges.push(`${path} ${req.headers.range}`);
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        if (start >= body.length) {
          res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
          return;
        }
        const end = range[2] ? Number(range[2]) : body.length - 1;
        res.writeHead(206, { 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${body.length}` }).end(body.subarray(start, end + 1));
        return;
      }
      res.writeHead(200, { 'Content-Length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  segment(i: number): SegmentRef {
    const body = this.bytes.get(`/seg${i}.ts`)!;
    return { sequence: i, url: `${this.url}/seg${i}.ts`, duration: 2, digest: new Uint8Array(createHash('sha256').update(body).digest()) };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
