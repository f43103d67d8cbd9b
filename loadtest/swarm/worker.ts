import { RTCPeerConnection } from 'node-datachannel/polyfill';
import WebSocket from 'ws';
import type { EngineOptions } from '@shoal/player-sdk';
import { SimulatedViewer, type ViewerReport } from './simulated-viewer.js';

/** What the simulator asks of one worker process. */
export interface WorkerTask {
  readonly playlistUrl: string;
  readonly trackerUrl: string | undefined;
  readonly statsUrl: string | undefined;
  /** Viewer ids, when each joins (ms after the worker starts), and its uplink (class name, bytes/s; default: uploadCap). */
  readonly viewers: readonly { readonly id: string; readonly joinAtMs: number; readonly uplink?: { readonly name: string; readonly bytesPerSecond: number } }[];
  /** The whole run ends this many ms after the worker starts. */
  readonly durationMs: number;
  /** Probability per viewer per 10 s of leaving and rejoining as a fresh player. */
  readonly churn: number;
  /** Upload cap per viewer, bytes per second (0: none). */
  readonly uploadCap: number;
  readonly liveSyncSegments: number;
  readonly maxPeers: number;
}

export interface SegmentLoad {
  readonly viewer: string;
  readonly sequence: number;
  readonly httpBytes: number;
  readonly p2pBytes: number;
}

export interface WorkerResult {
  readonly reports: readonly ViewerReport[];
  readonly loads: readonly SegmentLoad[];
  readonly viewerCount: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a task's viewers in this process and returns what they measured. */
export async function runWorker(task: WorkerTask): Promise<WorkerResult> {
  const cpuStart = process.cpuUsage();
  const started = Date.now();
  const loads: SegmentLoad[] = [];
  const reports: ViewerReport[] = [];
  const live = new Set<SimulatedViewer>();
  let peakRss = process.memoryUsage().rss;
  const memoryTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1000);
  const engine = (uploadCap: number): Partial<EngineOptions> => ({
    ...(task.trackerUrl ? { trackerUrl: task.trackerUrl } : {}),
    ...(task.statsUrl ? { statsUrl: task.statsUrl } : {}),
    RTCPeerConnection: RTCPeerConnection as unknown as EngineOptions['RTCPeerConnection'],
    WebSocket: WebSocket as unknown as EngineOptions['WebSocket'],
    iceServers: [],
    maxPeers: task.maxPeers,
    announceIntervalSeconds: 5,
    ...(uploadCap > 0 ? { uploadRateLimit: uploadCap } : {}),
  });
  const startViewer = (id: string, uplink: WorkerTask['viewers'][number]['uplink']): SimulatedViewer => {
    const viewer = new SimulatedViewer(id, {
      playlistUrl: task.playlistUrl,
      engine: engine(uplink?.bytesPerSecond ?? task.uploadCap),
      liveSyncSegments: task.liveSyncSegments,
      ...(uplink ? { uplinkClass: uplink.name } : {}),
    });
    viewer.engine.on('segment-loaded', (info) => loads.push({ viewer: id, sequence: info.sequence, httpBytes: info.httpBytes, p2pBytes: info.p2pBytes }));
    viewer.start();
    live.add(viewer);
    return viewer;
  };
  const sessions = task.viewers.map(async ({ id, joinAtMs, uplink }) => {
    await sleep(joinAtMs);
    let generation = 0;
    let viewer = startViewer(`${id}.${generation}`, uplink);
    while (Date.now() - started < task.durationMs) {
      await sleep(Math.min(10_000, Math.max(0, task.durationMs - (Date.now() - started))));
      if (Date.now() - started >= task.durationMs) break;
      if (Math.random() < task.churn) {
        reports.push(viewer.report());
        viewer.stop();
        live.delete(viewer);
        await sleep(1_000);
        viewer = startViewer(`${id}.${++generation}`, uplink);
      }
    }
    reports.push(viewer.report());
    viewer.stop();
    live.delete(viewer);
  });
  await Promise.all(sessions);
  clearInterval(memoryTimer);
  const cpu = process.cpuUsage(cpuStart);
  return { reports, loads, viewerCount: task.viewers.length, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes: peakRss };
}

// As a child process: the task comes as JSON in argv, the result goes to stdout as JSON.
if (process.argv[1]?.endsWith('worker.ts') && process.argv[2]) {
  runWorker(JSON.parse(process.argv[2]) as WorkerTask).then(
    (result) => {
      process.stdout.write(JSON.stringify(result));
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
