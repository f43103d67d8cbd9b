import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { OriginOptions, VodSource } from './options.js';

export const ORIGIN_USAGE = `Usage: shoal-origin [options]

Publishes HLS: VOD folders, live streams pushed by an encoder over HTTP PUT, and a demo stream.

Options (environment variable in brackets):
  --port <n>               port to listen on [SHOAL_PORT] (default 8080)
  --host <addr>            address to listen on [SHOAL_HOST] (default 0.0.0.0)
  --store <dir>            directory for live streams, kept across restarts [SHOAL_STORE_DIR]
                           (default <tmp>/shoal-origin)
  --vod <name>=<dir>       publish a packaged HLS folder at /vod/<name>/; repeatable
                           [SHOAL_VOD, comma-separated]
  --ingest-token <token>   bearer token encoders must send; ingest is off without one
                           [SHOAL_INGEST_TOKEN]
  --dvr-seconds <n>        seconds kept in live playlists [SHOAL_DVR_SECONDS] (default 60)
  --max-segment-bytes <n>  largest segment accepted over ingest [SHOAL_MAX_SEGMENT_BYTES]
  --hot-cache-bytes <n>    bytes of hot segments kept in memory [SHOAL_HOT_CACHE_BYTES]
  --cors-origins <list>    comma-separated allowed origins, or * [SHOAL_CORS_ORIGINS] (default *)
  --demo                   also run the demo: a live ABR test stream at /live/demo/master.m3u8
                           and a VOD title at /vod/demo-vod/master.m3u8 [SHOAL_DEMO=1]
  --ffmpeg <path>          ffmpeg for the demo [SHOAL_FFMPEG] (default: the one npm installed)
  --log-level <level>      trace, debug, info, warn, error or silent [SHOAL_LOG_LEVEL] (default info)
  -h, --help               show this help

Encoders push with, for example:
  ffmpeg -re -i input.mp4 -c:v libx264 -c:a aac -f hls -hls_time 2 -method PUT \\
    -headers "Authorization: Bearer <token>" http://<host>:<port>/ingest/<stream>/index.m3u8
`;

export interface CliSettings {
  readonly help: boolean;
  readonly port: number;
  readonly host: string;
  readonly demo: boolean;
  readonly ffmpeg: string | undefined;
  readonly logLevel: string;
  readonly origin: Partial<OriginOptions>;
}

function parseVod(spec: string): VodSource {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw new Error(`--vod takes <name>=<dir>, got ${JSON.stringify(spec)}`);
  return { name: spec.slice(0, eq), dir: resolve(spec.slice(eq + 1)) };
}

function parseNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${flag} takes a number, got ${JSON.stringify(text)}`);
  return value;
}

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** Reads flags, then SHOAL_* environment variables for what the flags leave out. Throws with a readable message. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliSettings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      store: { type: 'string' },
      vod: { type: 'string', multiple: true },
      'ingest-token': { type: 'string' },
      'dvr-seconds': { type: 'string' },
      'max-segment-bytes': { type: 'string' },
      'hot-cache-bytes': { type: 'string' },
      'cors-origins': { type: 'string' },
      demo: { type: 'boolean' },
      ffmpeg: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = parseNumber('--port', values.port ?? env.SHOAL_PORT) ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got ${port}`);
  const logLevel = values['log-level'] ?? env.SHOAL_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.has(logLevel)) throw new Error(`--log-level must be one of ${[...LOG_LEVELS].join(', ')}`);
  const vodSpecs = values.vod ?? (env.SHOAL_VOD ? env.SHOAL_VOD.split(',').filter(Boolean) : []);
  const origin: Partial<OriginOptions> = {};
  const store = values.store ?? env.SHOAL_STORE_DIR;
  if (store) origin.storeDir = resolve(store);
  if (vodSpecs.length > 0) origin.vod = vodSpecs.map(parseVod);
  const token = values['ingest-token'] ?? env.SHOAL_INGEST_TOKEN;
  if (token) origin.ingestToken = token;
  const dvr = parseNumber('--dvr-seconds', values['dvr-seconds'] ?? env.SHOAL_DVR_SECONDS);
  if (dvr !== undefined) origin.dvrSeconds = dvr;
  const maxSegment = parseNumber('--max-segment-bytes', values['max-segment-bytes'] ?? env.SHOAL_MAX_SEGMENT_BYTES);
  if (maxSegment !== undefined) origin.maxSegmentBytes = maxSegment;
  const hot = parseNumber('--hot-cache-bytes', values['hot-cache-bytes'] ?? env.SHOAL_HOT_CACHE_BYTES);
  if (hot !== undefined) origin.hotCacheBytes = hot;
  const cors = values['cors-origins'] ?? env.SHOAL_CORS_ORIGINS;
  if (cors) origin.corsOrigins = cors.split(',').map((o) => o.trim()).filter(Boolean);
  return {
    help: values.help ?? false,
    port,
    host: values.host ?? env.SHOAL_HOST ?? '0.0.0.0',
    demo: values.demo ?? (env.SHOAL_DEMO === '1' || env.SHOAL_DEMO === 'true'),
    ffmpeg: values.ffmpeg ?? env.SHOAL_FFMPEG,
    logLevel,
    origin,
  };
}
