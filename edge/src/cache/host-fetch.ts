import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HostFetchOptions {
  readonly timeoutMs: number;
  /** Larger bodies are abandoned (undefined). */
  readonly maxBytes: number;
  readonly signal: AbortSignal;
}

/**
 * GETs a segment from a host other than the origin (allowed with `--allow-segment-host`), only to hash it:
 * the bytes of `range` when given, the whole object otherwise. Undefined for any answer but 200/206, a
 * body over `maxBytes`, or silence longer than `timeoutMs`; rejects when the host is unreachable.
 */
export function fetchFromHost(url: string, range: { offset: number; length: number } | undefined, options: HostFetchOptions): Promise<Buffer | undefined> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {};
    const req = request(target, { method: 'GET', headers, signal: options.signal, timeout: options.timeoutMs }, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status !== 200 && status !== 206) {
        res.resume();
        resolve(undefined);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.setTimeout(options.timeoutMs, () => res.destroy(new Error('host stalled mid-response')));
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          res.destroy();
          resolve(undefined);
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks, size);
        // A host that ignored the Range header sent the whole object: cut the range from it.
        if (!range) resolve(body);
        else if (status === 206) resolve(body.length === range.length ? body : undefined);
        else resolve(body.length >= range.offset + range.length ? body.subarray(range.offset, range.offset + range.length) : undefined);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`host did not answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
