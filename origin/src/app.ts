import { timingSafeEqual } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import pino, { type Logger } from 'pino';
import { fileTypeOf, sendError, serveObject, type PublishedObject } from '@shoal/http-object';
import { isOriginError, OriginError } from './errors.js';
import { cors } from './http/cors.js';
import { limitedBody, readLimitedBody } from './http/limited-body.js';
import { storedObject } from './http/published.js';
import { parseSafePath } from './http/request-path.js';
import { LiveRegistry } from './live/live-registry.js';
import { createOriginMetrics, type OriginMetrics, type RequestKind } from './metrics.js';
import { resolveOriginOptions, type OriginOptions } from './options.js';
import { ObjectStore } from './store/object-store.js';
import { VodTitle } from './vod/vod-title.js';

export interface Origin {
  /** An express app; mount it in your own app or listen on it directly. */
  readonly app: Express;
  readonly options: OriginOptions;
  readonly metrics: OriginMetrics;
  readonly live: LiveRegistry;
  readonly vod: ReadonlyMap<string, VodTitle>;
  readonly log: Logger;
  /** Waits for pending ingest work to be persisted. */
  close(): Promise<void>;
}

export interface CreateOriginDeps {
  /** Logger to use; defaults to a pino logger at `info`. */
  readonly logger?: Logger;
}

type Handler = (req: Request, res: Response) => Promise<void>;

function kindOf(path: string): RequestKind {
  return fileTypeOf(path.split('?', 1)[0] ?? '')?.kind ?? 'other';
}

function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
}

/** undefined when there is no Authorization header at all, so the answer can be 401 rather than 403. */
function bearerMatches(header: string | undefined, token: string): boolean | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? tokenMatches(match[1]!, token) : false;
}

/**
 * Builds the origin: live ingest at `/ingest/<stream>/<file>` (or `/ingest/_token/<token>/<stream>/<file>`
 * for encoders that cannot send an Authorization header), live playback at `/live/<stream>/<file>`,
 * VOD at `/vod/<title>/<file>`, `/streams`, `/metrics` and `/healthz`.
 *
 * @example
 * const origin = await createOrigin({ ingestToken: 'secret-token', vod: [{ name: 'movie', dir: './movie' }] });
 * origin.app.listen(8080);
 * // ffmpeg … -f hls -method PUT -headers 'Authorization: Bearer secret-token' http://localhost:8080/ingest/news/index.m3u8
 */
export async function createOrigin(options: Partial<OriginOptions> = {}, deps: CreateOriginDeps = {}): Promise<Origin> {
  const resolved = resolveOriginOptions(options);
  const log = deps.logger ?? pino({ name: 'shoal-origin' });
  const store = new ObjectStore({
    root: resolved.storeDir,
    hotCacheBytes: resolved.hotCacheBytes,
    maxHotObjectBytes: resolved.maxHotObjectBytes,
  });
  const live = new LiveRegistry(store, resolved, log);
  await live.restore();
  const vod = new Map<string, VodTitle>();
  const vodCacheBytes = Math.floor(resolved.hotCacheBytes / Math.max(1, resolved.vod.length));
  for (const source of resolved.vod) {
    const title = new VodTitle(source.name, source.dir, vodCacheBytes, resolved.maxHotObjectBytes, log);
    await title.publish();
    vod.set(source.name, title);
  }
  const countStreams = (): number => live.all().filter((s) => s.playlists().media.length > 0).length + vod.size;
  const metrics = createOriginMetrics(countStreams);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((_req, res, next) => {
    res.on('finish', () => {
      const kind = (res.locals.kind as RequestKind | undefined) ?? 'other';
      metrics.requests.labels(kind, String(res.statusCode)).inc();
    });
    next();
  });

  const wrap =
    (handler: Handler) =>
    (req: Request, res: Response, next: NextFunction): void => {
      handler(req, res).catch(next);
    };

  const send = (req: Request, res: Response, object: PublishedObject | undefined): void => {
    if (!object) throw new OriginError('SHOAL_ERR_NOT_FOUND', 'no such object');
    res.locals.kind = object.kind;
    serveObject(req, res, object, (bytes) => metrics.egressBytes.labels(object.kind).inc(bytes));
  };

  const requireReadMethod = (req: Request): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new OriginError('SHOAL_ERR_METHOD_NOT_ALLOWED', `${req.method} not allowed here`);
    }
  };

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', streams: countStreams() });
  });

  app.get(
    '/metrics',
    wrap(async (_req, res) => {
      res.setHeader('Content-Type', metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    }),
  );

  app.get('/streams', cors(resolved.corsOrigins), (_req, res) => {
    res.json({
      live: live
        .all()
        .filter((stream) => stream.playlists().media.length > 0)
        .map((stream) => ({ name: stream.name, ...stream.playlists() })),
      vod: [...vod.values()].map((title) => ({ name: title.name, playlists: title.playlistPaths() })),
    });
  });

  app.use(
    '/live',
    cors(resolved.corsOrigins),
    wrap(async (req, res) => {
      res.locals.kind = kindOf(req.url);
      requireReadMethod(req);
      const [name, ...file] = parseSafePath(req.url);
      const stream = live.get(name!);
      const type = fileTypeOf(file[file.length - 1] ?? '');
      if (!stream || !type) throw new OriginError('SHOAL_ERR_NOT_FOUND', 'no such live object');
      send(req, res, type.kind === 'playlist' ? stream.playlist(file) : await storedObject(store, stream.filePath(file)));
    }),
  );

  app.use(
    '/vod',
    cors(resolved.corsOrigins),
    wrap(async (req, res) => {
      res.locals.kind = kindOf(req.url);
      requireReadMethod(req);
      const [name, ...file] = parseSafePath(req.url);
      const title = vod.get(name!);
      const type = fileTypeOf(file[file.length - 1] ?? '');
      if (!title || !type) throw new OriginError('SHOAL_ERR_NOT_FOUND', 'no such VOD object');
      send(req, res, type.kind === 'playlist' ? title.playlist(file) : await storedObject(title.store, file));
    }),
  );

  app.use(
    '/ingest',
    wrap(async (req, res) => {
      res.locals.kind = 'ingest';
      if (resolved.ingestToken === undefined) {
        throw new OriginError('SHOAL_ERR_INGEST_DISABLED', 'ingest is disabled: start the origin with an ingest token');
      }
      // Encoders that cannot send headers on every upload (ffmpeg before 4.3 drops -headers for HLS
      // segments) put the token in the path instead: /ingest/_token/<token>/<stream>/<file>.
      let url = req.url;
      let authorized: boolean | undefined;
      const inPath = /^\/_token\/([^/?]+)(\/.*)$/.exec(url);
      if (inPath) {
        authorized = tokenMatches(decodeURIComponentSafe(inPath[1]!), resolved.ingestToken);
        url = inPath[2]!;
      } else {
        authorized = bearerMatches(req.headers.authorization, resolved.ingestToken);
      }
      if (authorized === undefined) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="shoal-ingest"');
        throw new OriginError('SHOAL_ERR_UNAUTHORIZED', 'ingest needs an Authorization: Bearer token');
      }
      if (!authorized) throw new OriginError('SHOAL_ERR_FORBIDDEN', 'wrong ingest token');
      if (req.method !== 'PUT' && req.method !== 'POST' && req.method !== 'DELETE') {
        throw new OriginError('SHOAL_ERR_METHOD_NOT_ALLOWED', 'ingest takes PUT, POST or DELETE');
      }
      const [name, ...file] = parseSafePath(url);
      if (file.length === 0) throw new OriginError('SHOAL_ERR_BAD_PATH', 'ingest path must be /ingest/<stream>/<file>');
      const type = fileTypeOf(file[file.length - 1]!);
      if (!type) throw new OriginError('SHOAL_ERR_UNSUPPORTED_TYPE', 'file type not accepted for ingest');

      if (req.method === 'DELETE') {
        const stream = live.get(name!);
        if (!stream || !(await stream.deleteFile(file))) throw new OriginError('SHOAL_ERR_NOT_FOUND', 'no such file');
        res.status(204).end();
        return;
      }
      const stream = live.getOrCreate(name!);
      if (type.kind === 'playlist') {
        const body = await readLimitedBody(req, resolved.maxPlaylistBytes);
        await stream.ingestPlaylist(file, body.toString('utf8'));
        metrics.ingestBytes.inc(body.length);
      } else {
        const meta = await store.write(stream.filePath(file), limitedBody(req, resolved.maxSegmentBytes), resolved.maxSegmentBytes);
        metrics.ingestBytes.inc(meta.size);
      }
      res.status(201).end();
    }),
  );

  app.use((_req, _res, next) => next(new OriginError('SHOAL_ERR_NOT_FOUND', 'no such route')));

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = isOriginError(error) ? error : new OriginError('SHOAL_ERR_INTERNAL', 'internal error');
    if (!isOriginError(error)) log.error({ err: error, url: req.url }, 'request failed');
    // After refusing a body we did not read, close the connection rather than drain an unbounded upload.
    sendError(res, known, known.code === 'SHOAL_ERR_TOO_LARGE' ? { Connection: 'close' } : {});
  });

  return {
    app,
    options: resolved,
    metrics,
    live,
    vod,
    log,
    close: () => live.idle(),
  };
}
