#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { createOrigin } from './app.js';
import { parseCli, ORIGIN_USAGE } from './cli-options.js';
import { createDemoVod, startDemoEncoder, type DemoEncoder } from './demo/demo-encoder.js';
import { resolveFfmpegPath } from './demo/ffmpeg-path.js';
import { DEFAULT_ORIGIN_OPTIONS } from './options.js';
import { startOriginServer } from './server.js';

async function main(): Promise<void> {
  let settings;
  try {
    settings = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`shoal-origin: ${(error as Error).message}\n\n${ORIGIN_USAGE}`);
    process.exit(2);
  }
  if (settings.help) {
    process.stdout.write(ORIGIN_USAGE);
    return;
  }
  const log = pino({ name: 'shoal-origin', level: settings.logLevel });
  const options = { ...settings.origin };
  const storeDir = options.storeDir ?? DEFAULT_ORIGIN_OPTIONS.storeDir;
  let ffmpegPath: string | undefined;
  if (settings.demo) {
    ffmpegPath = resolveFfmpegPath(settings.ffmpeg);
    options.ingestToken ??= randomBytes(18).toString('base64url');
    const vodDir = join(storeDir, 'demo-vod');
    log.info({ dir: vodDir }, 'packaging the demo VOD title (first run only)');
    await createDemoVod(ffmpegPath, vodDir);
    options.vod = [...(options.vod ?? []), { name: 'demo-vod', dir: vodDir }];
  }
  const origin = await createOrigin(options, { logger: log });
  const server = await startOriginServer(origin, settings.port, settings.host);
  log.info({ url: server.url, store: origin.options.storeDir, ingest: origin.options.ingestToken !== undefined }, 'origin listening');

  let encoder: DemoEncoder | undefined;
  let stopping = false;
  if (settings.demo && ffmpegPath) {
    const encoderOptions = { ffmpegPath, originUrl: server.url, ingestToken: origin.options.ingestToken!, log };
    const keepEncoding = (): void => {
      encoder = startDemoEncoder(encoderOptions);
      void encoder.exited.then((code) => {
        if (stopping) return;
        log.warn({ code }, 'demo encoder exited; restarting in 2 s');
        setTimeout(keepEncoding, 2_000).unref();
      });
    };
    keepEncoding();
    log.info(
      { live: `${server.url}/live/demo/master.m3u8`, vod: `${server.url}/vod/demo-vod/master.m3u8` },
      'demo streams (the live one is ready after its first segments)',
    );
  }

  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void (async () => {
      await encoder?.stop();
      await server.close();
      log.info('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`shoal-origin: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
