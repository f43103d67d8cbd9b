import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { OriginError } from '../errors.js';

/**
 * The request body as a stream that errors with SHOAL_ERR_TOO_LARGE past `maxBytes` (throws at once when
 * Content-Length already says so) and with
 * SHOAL_ERR_INCOMPLETE_BODY when the client goes away before the end. Unlike piping the request itself,
 * an error here leaves the request socket alone, so the server can still answer 413.
 */
export function limitedBody(req: IncomingMessage, maxBytes: number): Readable {
  const out = new PassThrough();
  let size = 0;
  let failed = false;
  const fail = (error: OriginError): void => {
    if (failed) return;
    failed = true;
    req.off('data', onData);
    req.resume(); // discard the rest instead of leaving the client blocked
    out.destroy(error);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > maxBytes) {
      fail(new OriginError('SHOAL_ERR_TOO_LARGE', `body larger than ${maxBytes} bytes`));
      return;
    }
    if (!out.write(chunk)) {
      req.pause();
      out.once('drain', () => req.resume());
    }
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new OriginError('SHOAL_ERR_TOO_LARGE', `body larger than ${maxBytes} bytes`);
  }
  // The consumer may attach only after some awaits; an abort before then must not become an uncaught
  // 'error' event. The consumer still sees the stream destroyed and fails.
  out.on('error', () => undefined);
  req.on('data', onData);
  req.on('end', () => {
    if (!failed) out.end();
  });
  req.on('close', () => {
    if (!req.complete) fail(new OriginError('SHOAL_ERR_INCOMPLETE_BODY', 'upload ended before the body was complete'));
  });
  req.on('error', () => fail(new OriginError('SHOAL_ERR_INCOMPLETE_BODY', 'upload failed before the body was complete')));
  return out;
}

/** Collects a small body into memory under the same limits. */
export async function readLimitedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of limitedBody(req, maxBytes)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
