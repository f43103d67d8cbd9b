import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStreamName } from './http/request-path.js';

/** One VOD title: a folder as a packager wrote it, published under /vod/<name>/. */
export interface VodSource {
  readonly name: string;
  readonly dir: string;
}

export interface OriginOptions {
  /**
   * Directory for live streams (segments, playlists' state). Survives restarts.
   * @default `<os tmpdir>/shoal-origin`
   */
  storeDir: string;
  /** VOD folders to publish. @default [] */
  vod: readonly VodSource[];
  /**
   * Bearer token encoders must send to `/ingest/`. Without one, ingest is disabled.
   * @default undefined
   */
  ingestToken: string | undefined;
  /** Seconds of a live stream kept in its playlists. @default 60 */
  dvrSeconds: number;
  /** Largest segment accepted over ingest, in bytes. @default 64 MiB */
  maxSegmentBytes: number;
  /** Largest playlist accepted over ingest, in bytes. @default 1 MiB */
  maxPlaylistBytes: number;
  /** Bytes of hot segments kept in memory. @default 256 MiB */
  hotCacheBytes: number;
  /** Objects above this size are always streamed from disk. @default 16 MiB */
  maxHotObjectBytes: number;
  /** Segments kept on disk after they left the live window, for players still on an older playlist. @default 6 */
  expiredSegmentsKept: number;
  /** Origins allowed by CORS; `['*']` allows any. @default ['*'] */
  corsOrigins: readonly string[];
}

export const DEFAULT_ORIGIN_OPTIONS: Readonly<OriginOptions> = {
  storeDir: join(tmpdir(), 'shoal-origin'),
  vod: [],
  ingestToken: undefined,
  dvrSeconds: 60,
  maxSegmentBytes: 64 * 1024 * 1024,
  maxPlaylistBytes: 1024 * 1024,
  hotCacheBytes: 256 * 1024 * 1024,
  maxHotObjectBytes: 16 * 1024 * 1024,
  expiredSegmentsKept: 6,
  corsOrigins: ['*'],
};

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

/** Spreads user options over the defaults and validates them; throws RangeError with the offending option's name. */
export function resolveOriginOptions(options: Partial<OriginOptions> = {}): OriginOptions {
  const merged: OriginOptions = { ...DEFAULT_ORIGIN_OPTIONS, ...options };
  positive('dvrSeconds', merged.dvrSeconds);
  positive('maxSegmentBytes', merged.maxSegmentBytes);
  positive('maxPlaylistBytes', merged.maxPlaylistBytes);
  positive('hotCacheBytes', merged.hotCacheBytes);
  positive('maxHotObjectBytes', merged.maxHotObjectBytes);
  if (!Number.isInteger(merged.expiredSegmentsKept) || merged.expiredSegmentsKept < 0) {
    throw new RangeError('expiredSegmentsKept must be a whole number');
  }
  const names = new Set<string>();
  for (const source of merged.vod) {
    parseStreamName(source.name);
    if (names.has(source.name)) throw new RangeError(`VOD name ${source.name} given twice`);
    names.add(source.name);
  }
  if (merged.ingestToken !== undefined && merged.ingestToken.length < 8) {
    throw new RangeError('ingestToken must be at least 8 characters');
  }
  return merged;
}
