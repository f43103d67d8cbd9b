import pino from 'pino';
import { createOrigin, resolveFfmpegPath, startDemoEncoder, startOriginServer, type DemoEncoder, type OriginOptions, type OriginServer } from '@shoal/origin';

/**
 * A real Shoal origin for tests of other packages (the edge installs without the origin, so its tests
 * reach it through here): on a free loopback port, logging nothing.
 */
export async function startTestOrigin(options: Partial<OriginOptions>): Promise<OriginServer> {
  const origin = await createOrigin(options, { logger: pino({ level: 'silent' }) });
  return startOriginServer(origin, 0, '127.0.0.1');
}

/** The demo encoder's ABR ladder; without one, the demo's own three renditions. */
export type DemoLadder = Parameters<typeof startDemoEncoder>[0]['ladder'];

/** The origin's demo encoder (the npm ffmpeg) pushing a live stream into the origin at `originUrl`. */
export function startTestDemoEncoder(originUrl: string, ingestToken: string, ladder?: DemoLadder): DemoEncoder {
  return startDemoEncoder({ ffmpegPath: resolveFfmpegPath(), originUrl, ingestToken, ...(ladder ? { ladder } : {}) });
}

export type { DemoEncoder, OriginServer };
