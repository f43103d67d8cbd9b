import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { OriginFailure, type OriginClient } from './origin-client.js';

/**
 * One origin request shared by every client that asked for the same object while it was under way
 * (request coalescing). Clients that joined early get each chunk as it arrives ('chunk', then 'end' or
 * 'failed'); the whole body is kept in memory for the cache, up to `maxBytes` — past that it only
 * streams through.
 */
export class Inflight extends EventEmitter {
  status = 0;
  headers: IncomingHttpHeaders = {};
  readonly chunks: Buffer[] = [];
  size = 0;
  /** Past maxBytes: chunks are no longer kept, so nobody new may join and nothing is cached. */
  overflowed = false;
  done = false;
  failure: OriginFailure | undefined;
  /** Resolves when the origin's status and headers arrived; rejects with OriginFailure. */
  readonly headersReady: Promise<void>;
  /** Resolves when the body ended or the request failed (never rejects). */
  readonly finished: Promise<void>;
  private resolveHeaders!: () => void;
  private rejectHeaders!: (failure: OriginFailure) => void;
  private resolveFinished!: () => void;
  private headersSettled = false;

  constructor(origin: OriginClient, path: string, requestHeaders: Record<string, string>, private readonly maxBytes: number, private readonly onBytes: (bytes: number) => void) {
    super();
    this.setMaxListeners(0);
    this.headersReady = new Promise<void>((resolve, reject) => {
      this.resolveHeaders = resolve;
      this.rejectHeaders = reject;
    });
    // Whoever awaits headersReady handles its rejection; an unobserved one must not crash the process.
    this.headersReady.catch(() => undefined);
    this.finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));
    origin.fetch(path, requestHeaders).then(
      (response) => {
        this.status = response.status;
        this.headers = response.headers;
        this.headersSettled = true;
        this.resolveHeaders();
        response.body.on('data', (chunk: Buffer) => this.take(chunk));
        response.body.on('end', () => {
          this.done = true;
          this.emit('end');
          this.resolveFinished();
        });
        response.body.on('error', (error) => this.fail(error instanceof OriginFailure ? error : new OriginFailure('unreachable', error.message)));
      },
      (failure: OriginFailure) => this.fail(failure),
    );
  }

  private take(chunk: Buffer): void {
    this.size += chunk.length;
    this.onBytes(chunk.length);
    if (!this.overflowed) {
      if (this.size > this.maxBytes) {
        this.overflowed = true;
        this.chunks.length = 0;
      } else this.chunks.push(chunk);
    }
    this.emit('chunk', chunk);
  }

  private fail(failure: OriginFailure): void {
    if (this.done) return;
    this.failure = failure;
    this.done = true;
    if (!this.headersSettled) {
      this.headersSettled = true;
      this.rejectHeaders(failure);
    }
    this.emit('failed', failure);
    this.resolveFinished();
  }

  body(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}
