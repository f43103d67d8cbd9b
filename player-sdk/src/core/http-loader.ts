import { ShoalError } from './errors.js';
import type { SegmentBuffer } from './segment-buffer.js';
import type { SegmentRef } from './segment.js';

export type FetchLike = (input: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

function totalFromContentRange(header: string | null): number | undefined {
  const match = header ? /\/(\d+)\s*$/.exec(header) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * Fetches a segment over HTTP into `buffer`, continuing from the bytes it already holds with a `Range`
 * request (the rest of a transfer a peer could not finish). Copes with servers that ignore Range by
 * skipping the bytes already held.
 */
export async function fetchIntoBuffer(
  fetchImpl: FetchLike,
  segment: SegmentRef,
  buffer: SegmentBuffer,
  signal: AbortSignal,
): Promise<void> {
  const start = buffer.received;
  const rangeBase = segment.byteRange?.offset ?? 0;
  const headers: Record<string, string> = {};
  if (segment.byteRange) {
    if (start >= segment.byteRange.length) return;
    headers.Range = `bytes=${rangeBase + start}-${rangeBase + segment.byteRange.length - 1}`;
  } else if (start > 0) {
    if (buffer.total !== undefined && start >= buffer.total) return;
    headers.Range = `bytes=${start}-`;
  }
  let response: Response;
  try {
    response = await fetchImpl(segment.url, { headers, signal });
  } catch (error) {
    if (signal.aborted) throw new ShoalError('SHOAL_ERR_ABORTED');
    throw new ShoalError('SHOAL_ERR_HTTP', `fetching ${segment.url} failed: ${(error as Error).message}`);
  }
  // Resuming after a peer's bytes, the only size known is the one the peer declared: when the origin
  // contradicts it, the peer lied (or relayed a lie), and its bytes are worth nothing.
  const resumingPeerBytes = start > 0 && buffer.bytesFrom.p2p > 0;
  const conflict = (detail: string): ShoalError => new ShoalError('SHOAL_ERR_SIZE_CONFLICT', `${segment.url}: ${detail}`);
  if (response.status === 416 && resumingPeerBytes) throw conflict('416');
  if (!response.ok) throw new ShoalError('SHOAL_ERR_HTTP', `${segment.url} answered ${response.status}`, response.status);
  const partial = response.status === 206;
  // Bytes of the body to drop before ours begin, when the server sent more than we asked for.
  let skip = partial ? 0 : rangeBase + start;
  let total: number | undefined;
  if (segment.byteRange) total = segment.byteRange.length;
  else if (partial) total = totalFromContentRange(response.headers.get('content-range'));
  else {
    const length = Number(response.headers.get('content-length'));
    if (Number.isFinite(length) && response.headers.get('content-length') !== null && !response.headers.get('content-encoding')) total = length;
  }
  if (total !== undefined && !buffer.declareTotal(total)) {
    if (resumingPeerBytes) throw conflict(`${total}, not ${buffer.total} bytes`);
    throw new ShoalError('SHOAL_ERR_HTTP', `${segment.url}: size ${total}, not ${buffer.total}`);
  }
  if (!response.body) throw new ShoalError('SHOAL_ERR_HTTP', `${segment.url} has no body`);
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let chunk = value;
      if (skip > 0) {
        const dropped = Math.min(skip, chunk.length);
        chunk = chunk.subarray(dropped);
        skip -= dropped;
      }
      if (total !== undefined && buffer.received + chunk.length > total) chunk = chunk.subarray(0, total - buffer.received);
      if (chunk.length === 0) continue;
      if (!buffer.append(buffer.received, chunk, 'http')) {
        throw new ShoalError('SHOAL_ERR_HTTP', `${segment.url}: too many bytes`);
      }
      if (total !== undefined && buffer.received >= total) break;
    }
  } catch (error) {
    if (signal.aborted) throw new ShoalError('SHOAL_ERR_ABORTED');
    if (error instanceof ShoalError) throw error;
    throw new ShoalError('SHOAL_ERR_HTTP', `reading ${segment.url} failed: ${(error as Error).message}`);
  } finally {
    reader.cancel().catch(() => undefined);
  }
  if (total === undefined) buffer.declareTotal(buffer.received);
  if (!buffer.filled && resumingPeerBytes && total === undefined) throw conflict(`${buffer.received}, not ${buffer.total} bytes`);
  if (!buffer.filled) throw new ShoalError('SHOAL_ERR_HTTP', `${segment.url} ended after ${buffer.received} of ${buffer.total} bytes`);
}
