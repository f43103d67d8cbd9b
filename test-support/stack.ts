import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createEdge, startEdgeServer, type EdgeOptions, type EdgeServer } from '@shoal/edge';
import { startTestDemoEncoder, startTestOrigin, type DemoEncoder, type DemoLadder, type OriginServer } from './shoal-origin.js';


export interface StackOptions {
  /** Names the store directory (`shoal-<name>-…`) and the ingest token (`<name>-test-token`). */
  readonly name: string;
  /** Renditions the demo encoder pushes (default: the demo's ladder). */
  readonly ladder?: DemoLadder;
  /** Options for the edge, on top of its defaults. */
  readonly edge?: Partial<EdgeOptions>;
  /** Whether the edge caches the origin (`originUrl`); default true. Off, the edge is a tracker alone. */
  readonly edgeFrontsOrigin?: boolean;
}

/** A real origin on port 0 with the demo encoder pushing its live stream over ingest, and a real edge. */
export interface TestStack {
  readonly origin: OriginServer;
  readonly encoder: DemoEncoder;
  readonly edge: EdgeServer;
  /** The origin's store directory, removed by `close()`. */
  readonly store: string;
  /** Stops the encoder, closes the edge and the origin, and removes the store. */
  close(): Promise<void>;
}

const silent = () => pino({ level: 'silent' });

/**
 * Starts origin, demo encoder and edge on loopback, the way the integration tests of every package need
 * them. If any part fails to start, the parts already started are stopped before the error is thrown.
 */
export async function startStack(options: StackOptions): Promise<TestStack> {
  const store = await mkdtemp(join(tmpdir(), `shoal-${options.name}-`));
  const token = `${options.name}-test-token`;
  let origin: OriginServer | undefined;
  let encoder: DemoEncoder | undefined;
  let edge: EdgeServer | undefined;
  const close = async () => {
    await encoder?.stop();
    await edge?.close();
    await origin?.close();
    await rm(store, { recursive: true, force: true });
  };
  try {
    origin = await startTestOrigin({ storeDir: store, ingestToken: token });
    encoder = startTestDemoEncoder(origin.url, token, options.ladder);
    const originUrl = options.edgeFrontsOrigin === false ? {} : { originUrl: origin.url };
    edge = await startEdgeServer(await createEdge({ ...originUrl, ...options.edge }, { logger: silent() }), 0, '127.0.0.1');
    return { origin, encoder, edge, store, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Waits, up to 30 s, until the live media playlist at `playlistUrl` lists at least `segments` segments. */
export async function waitForLiveSegments(playlistUrl: string, segments = 4): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(playlistUrl).catch(() => undefined);
    if (res?.ok && ((await res.text()).match(/#EXTINF/g) ?? []).length >= segments) break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
