import { createHash } from 'node:crypto';
import type { SegmentRef } from '@shoal/player-sdk';
import type { FetchedPlaylist } from '../swarm/media-playlist.js';
import type { ModelHost } from './model-network.js';
import type { VirtualClock } from './virtual-clock.js';

/** HTTP responses stream in chunks of this size: the granularity at which a body's bytes arrive. */
const BODY_CHUNK_BYTES = 64 * 1024;
/**
 * A body's first chunk is one TCP segment's worth: players time a transfer from its first byte (hls.js
 * takes the time to first byte out of its bandwidth sample), which would otherwise come with a whole
 * 64 KiB chunk, and a 90 kB segment would seem to stream in at four times the downlink.
 */
const FIRST_CHUNK_BYTES = 1460;

export interface LiveStreamOptions {
  readonly segmentSeconds: number;
  readonly segmentBytes: number;
  /** Segments the playlist lists (a sliding live window). */
  readonly windowSegments: number;
  /** Segments already published at time 0. */
  readonly publishedAtStart: number;
}

/**
 * A live stream as its origin publishes it: one segment of `segmentBytes` every `segmentSeconds`, with its
 * SHA-256 in the playlist as Shoal's origin writes it. Bytes are generated per sequence, so every viewer's
 * copy of a segment is the same and peers' copies verify.
 */
export class ModelLiveStream {
  private readonly contents = new Map<number, { bytes: Uint8Array; digest: Uint8Array }>();

  constructor(
    private readonly clock: VirtualClock,
    readonly options: LiveStreamOptions,
    readonly baseUrl = 'http://cdn.model/live',
  ) {}

  /** Segments published by now, the newest last. */
  newestSequence(): number {
    return Math.floor(this.clock.now() / (this.options.segmentSeconds * 1000)) + this.options.publishedAtStart - 1;
  }

  get playlistUrl(): string {
    return `${this.baseUrl}/index.m3u8`;
  }

  segmentUrl(sequence: number): string {
    return `${this.baseUrl}/${sequence}.ts`;
  }

  /** The segment's bytes and digest, or undefined when it is not published or has left the window. */
  segment(sequence: number): { bytes: Uint8Array; digest: Uint8Array } | undefined {
    const newest = this.newestSequence();
    if (sequence > newest || sequence < 0 || sequence <= newest - this.options.windowSegments * 2) return undefined;
    let content = this.contents.get(sequence);
    if (!content) {
      const bytes = new Uint8Array(this.options.segmentBytes);
      // Cheap, distinct per segment and per position: a copy from the wrong segment or offset fails its digest.
      for (let i = 0; i < bytes.length; i += 4) {
        const word = (sequence * 2654435761 + i * 40503) >>> 0;
        bytes[i] = word & 0xff;
        bytes[i + 1] = (word >>> 8) & 0xff;
        bytes[i + 2] = (word >>> 16) & 0xff;
        bytes[i + 3] = word >>> 24;
      }
      content = { bytes, digest: new Uint8Array(createHash('sha256').update(bytes).digest()) };
      this.contents.set(sequence, content);
      for (const old of this.contents.keys()) if (old <= newest - this.options.windowSegments * 2) this.contents.delete(old);
    }
    return content;
  }

  /** The media playlist now, as a player parses it. */
  playlist(): FetchedPlaylist {
    const newest = this.newestSequence();
    const segments: SegmentRef[] = [];
    for (let sequence = Math.max(0, newest - this.options.windowSegments + 1); sequence <= newest; sequence++) {
      segments.push({ sequence, url: this.segmentUrl(sequence), duration: this.options.segmentSeconds, digest: this.segment(sequence)!.digest });
    }
    return { url: this.playlistUrl, live: true, targetDuration: this.options.segmentSeconds, segments };
  }
}

export interface CdnOptions {
  /** Time from request to first byte, ms (round trip and server time). */
  readonly latencyMs: number;
  /** Throughput of one HTTP response, bytes per second (the viewer's downlink may be slower). */
  readonly bytesPerSecond: number;
}

export interface CdnCounts {
  requests: number;
  bytes: number;
}

interface BodyReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<void>;
}

/**
 * The CDN in front of the stream's renditions, as a `fetch` for one viewer: playlists and segments (with
 * Range) after the latency, bodies streamed at the CDN's per-response rate through the viewer's downlink.
 * The responses are the small part of `Response` the SDK reads.
 */
export class ModelCdn {
  readonly counts: CdnCounts = { requests: 0, bytes: 0 };
  /** Per segment URL, the players that got bytes of it over HTTP and when the first of them arrived (each response). */
  readonly firstBytes = new Map<string, { readonly host: ModelHost; readonly at: number }[]>();
  private readonly streams: readonly ModelLiveStream[];

  constructor(
    private readonly clock: VirtualClock,
    streams: ModelLiveStream | readonly ModelLiveStream[],
    private readonly options: CdnOptions,
  ) {
    this.streams = Array.isArray(streams) ? streams : [streams as ModelLiveStream];
  }

  /** The rendition a URL belongs to (its playlist or one of its segments). */
  streamOf(url: string): ModelLiveStream | undefined {
    return this.streams.find((stream) => url.startsWith(`${stream.baseUrl}/`));
  }

  /** The playlist loader of one viewer's player. */
  playlistLoader(): (url: string) => Promise<FetchedPlaylist> {
    return (url) =>
      new Promise((resolve, reject) => {
        this.counts.requests++;
        const stream = this.streamOf(url);
        this.clock.setTimeout(() => (stream ? resolve(stream.playlist()) : reject(new Error(`model CDN: no rendition at ${url}`))), this.options.latencyMs);
      });
  }

  /** The fetch of one viewer on `host`. */
  fetchFor(host: ModelHost): (input: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response> {
    return (input, init) =>
      new Promise<Response>((resolve, reject) => {
        this.counts.requests++;
        const signal = init?.signal;
        if (signal?.aborted) {
          reject(new DOMException('aborted', 'AbortError'));
          return;
        }
        const sequence = Number(/\/(\d+)\.ts$/.exec(input)?.[1] ?? NaN);
        this.clock.setTimeout(() => {
          if (signal?.aborted) {
            reject(new DOMException('aborted', 'AbortError'));
            return;
          }
          const content = Number.isInteger(sequence) ? this.streamOf(input)?.segment(sequence) : undefined;
          if (!content) {
            resolve(response(404, {}, undefined));
            return;
          }
          const total = content.bytes.length;
          const range = /^bytes=(\d+)-(\d*)$/.exec(init?.headers?.Range ?? '');
          const start = range ? Number(range[1]) : 0;
          const end = range && range[2] !== '' ? Math.min(total - 1, Number(range[2])) : total - 1;
          if (start >= total) {
            resolve(response(416, { 'content-range': `bytes */${total}` }, undefined));
            return;
          }
          const headers: Record<string, string> = { 'content-length': String(end - start + 1) };
          if (range) headers['content-range'] = `bytes ${start}-${end}/${total}`;
          const onFirstByte = (at: number): void => {
            const copies = this.firstBytes.get(input) ?? [];
            copies.push({ host, at });
            this.firstBytes.set(input, copies);
          };
          resolve(response(range ? 206 : 200, headers, this.body(host, content.bytes.subarray(start, end + 1), signal, onFirstByte)));
        }, this.options.latencyMs);
      });
  }

  /** A body that hands out its chunks as they come through the viewer's downlink. */
  private body(host: ModelHost, bytes: Uint8Array, signal: AbortSignal | undefined, onFirstByte?: (at: number) => void): BodyReader {
    const clock = this.clock;
    const rate = Math.min(this.options.bytesPerSecond, host.link.downBytesPerSecond);
    let offset = 0;
    let cancelled = false;
    let lastAt = clock.now();
    const counts = this.counts;
    return {
      read: () =>
        new Promise((resolve, reject) => {
          if (cancelled || offset >= bytes.length) {
            resolve({ done: true });
            return;
          }
          const chunk = bytes.subarray(offset, offset + (offset === 0 ? FIRST_CHUNK_BYTES : BODY_CHUNK_BYTES));
          offset += chunk.length;
          // Paced by this response's rate, and queued behind whatever else the downlink is carrying.
          const at = Math.max(lastAt + (chunk.length / rate) * 1000, host.downFreeAt + (chunk.length / host.link.downBytesPerSecond) * 1000);
          host.downFreeAt = Math.max(host.downFreeAt, at);
          lastAt = at;
          clock.setTimeout(() => {
            if (signal?.aborted) {
              cancelled = true;
              reject(new DOMException('aborted', 'AbortError'));
              return;
            }
            if (chunk.byteOffset === bytes.byteOffset) onFirstByte?.(clock.now());
            counts.bytes += chunk.length;
            host.bytesReceived += chunk.length;
            resolve({ done: false, value: chunk });
          }, at - clock.now());
        }),
      cancel: async () => {
        cancelled = true;
      },
    };
  }
}

function response(status: number, headers: Record<string, string>, body: BodyReader | undefined): Response {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name: string) => lower.get(name.toLowerCase()) ?? null },
    body: body ? { getReader: () => body } : null,
  } as unknown as Response;
}
