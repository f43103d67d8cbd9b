import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { ifRangeHolds, isNotModified } from './conditional.js';
import type { FileKind } from './media-types.js';
import { parseRangeHeader } from './range.js';

/** A stored byte object (what the origin publishes, what the edge caches), with everything HTTP needs to serve it. */
export interface PublishedObject {
  readonly kind: FileKind;
  readonly size: number;
  /** Quoted strong entity tag. */
  readonly etag: string;
  readonly lastModified: Date;
  readonly contentType: string;
  readonly cacheControl: string;
  /** The whole body in memory, or a reader for an inclusive byte range of a file on disk. */
  readonly body: Buffer | ((start: number, end: number) => Readable);
}

/**
 * Answers GET or HEAD for one object: 304 for a current conditional request, 206 for a satisfiable single
 * Range, 416 for an unsatisfiable one, 200 otherwise. Calls `countBytes` with every body byte written.
 */
export function serveObject(
  req: IncomingMessage,
  res: ServerResponse,
  object: PublishedObject,
  countBytes: (bytes: number) => void,
): void {
  res.setHeader('ETag', object.etag);
  res.setHeader('Last-Modified', object.lastModified.toUTCString());
  res.setHeader('Cache-Control', object.cacheControl);
  res.setHeader('Accept-Ranges', 'bytes');

  if (isNotModified(req.headers, object.etag, object.lastModified)) {
    res.statusCode = 304;
    res.end();
    return;
  }

  res.setHeader('Content-Type', object.contentType);
  const ifRange = req.headers['if-range'] as string | undefined;
  const range = ifRangeHolds(ifRange, object.etag, object.lastModified)
    ? parseRangeHeader(req.headers.range, object.size)
    : undefined;

  if (range === 'unsatisfiable') {
    res.statusCode = 416;
    res.setHeader('Content-Range', `bytes */${object.size}`);
    res.setHeader('Content-Length', 0);
    res.end();
    return;
  }

  const start = range?.start ?? 0;
  const end = range?.end ?? object.size - 1;
  const length = object.size === 0 ? 0 : end - start + 1;
  res.statusCode = range ? 206 : 200;
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${object.size}`);
  res.setHeader('Content-Length', length);

  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  if (Buffer.isBuffer(object.body)) {
    countBytes(length);
    res.end(range ? object.body.subarray(start, end + 1) : object.body);
    return;
  }
  const stream = object.body(start, end);
  stream.on('data', (chunk: Buffer) => countBytes(chunk.length));
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}
