import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createEdge, startEdgeServer, type EdgeOptions } from '@shoal/edge';
import { createOrigin, DEMO_LADDER, resolveFfmpegPath, startDemoEncoder, startOriginServer } from '@shoal/origin';

/** What the lab asks of the servers on its internet. */
export interface ServicesTask {
  /** Address to bind (the lab internet's). */
  readonly address: string;
  readonly edge: Partial<EdgeOptions>;
  readonly segmentSeconds: number;
  readonly videoKbps: number;
  /** The demo's three renditions instead of one at `videoKbps`. */
  readonly ladder?: boolean;
  /** Segments the live playlist must hold before the services say they are ready. */
  readonly readySegments: number;
}

/** Printed as one JSON line on stdout once the stream has enough segments. */
export interface ServicesReady {
  readonly originUrl: string;
  readonly edgeUrl: string;
  readonly trackerUrl: string;
  readonly playlistUrl: string;
}

/**
 * The servers of the lab internet, run inside its namespace: the origin with the demo live stream (one
 * rendition), and an edge in front of it (tracker, cache, stats ingest, /metrics). Stops on SIGTERM/SIGINT.
 */
async function main(task: ServicesTask): Promise<void> {
  const store = await mkdtemp(join(tmpdir(), 'shoal-netlab-'));
  const silent = pino({ level: 'silent' });
  const token = 'netlab-ingest-token';
  const origin = await startOriginServer(await createOrigin({ storeDir: store, ingestToken: token, dvrSeconds: 60 }, { logger: silent }), 0, task.address);
  const encoder = startDemoEncoder({
    ffmpegPath: resolveFfmpegPath(),
    originUrl: origin.url,
    ingestToken: token,
    segmentSeconds: task.segmentSeconds,
    ladder: task.ladder ? DEMO_LADDER : [{ width: 640, height: 360, videoKbps: task.videoKbps }],
  });
  const edge = await startEdgeServer(
    await createEdge({ originUrl: origin.url, statsReportsPerSecond: 1000, statsReportsBurst: 2000, ...task.edge }, { logger: silent }),
    0,
    task.address,
  );
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await encoder.stop();
    await edge.close();
    await origin.close();
    await rm(store, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const playlistUrl = `${edge.url}/live/demo/0/index.m3u8`;
  for (let i = 0; ; i++) {
    const res = await fetch(playlistUrl).catch(() => undefined);
    if (res?.ok && ((await res.text()).match(/#EXTINF/g) ?? []).length >= task.readySegments) break;
    if (i > 240) throw new Error('the live stream did not start');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const ready: ServicesReady = { originUrl: origin.url, edgeUrl: edge.url, trackerUrl: edge.trackerUrl, playlistUrl };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main(JSON.parse(process.argv[2] ?? '{}') as ServicesTask).catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
