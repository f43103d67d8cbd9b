import { RTCPeerConnection } from 'node-datachannel/polyfill';
import WebSocket from 'ws';
import type { RenditionBytes } from './rendition-figures.js';
import type { EngineOptions, EngineStats } from '@shoal/player-sdk';
import { SimulatedViewer, type ViewerReport } from '../swarm/simulated-viewer.js';
import type { SegmentLoad } from '../swarm/worker.js';

/**
 * node-datachannel passes TURN servers to libdatachannel as `turn:user:password@host`, which splits a username
 * at its first colon; TURN REST usernames are `expiry:session` and passwords base64. libdatachannel URL-decodes
 * both, so encoding them keeps them whole. (Browsers take the fields as they are.)
 */
function forLibdatachannel(config: RTCConfiguration): RTCConfiguration {
  return {
    ...config,
    iceServers: config.iceServers?.map((server) =>
      server.username === undefined || server.credential === undefined
        ? server
        : { ...server, username: encodeURIComponent(server.username), credential: encodeURIComponent(String(server.credential)) },
    ),
  };
}

/** What the lab asks of the viewer in one home. */
export interface HomeViewerTask {
  readonly id: string;
  readonly playlistUrl: string;
  /** No tracker: the HTTP-only baseline. */
  readonly trackerUrl: string | undefined;
  readonly statsUrl: string | undefined;
  readonly joinAtMs: number;
  readonly durationMs: number;
  /**
   * Wall-clock time (epoch ms) at which every viewer of the run reports, so that none reports after another
   * left. Viewers stop a moment later.
   */
  readonly reportAt: number;
  readonly liveSyncSegments: number;
}

export interface HomeViewerResult {
  readonly report: ViewerReport;
  readonly loads: readonly SegmentLoad[];
  /** RTCPeerConnections this viewer created, and those still open when the run ended. */
  readonly pcs: { readonly created: number; readonly open: number };
  readonly stats: EngineStats;
  /** Peer connections and disconnections with their reasons, in ms after the viewer started. */
  readonly peerEvents?: readonly string[];
  /** Chromium viewers: bytes by rendition (swarm), and hls.js level switches. */
  readonly renditions?: readonly RenditionBytes[];
  readonly levelSwitches?: number;
}

/**
 * One viewer in one home of the lab, run inside the home's namespace: the real SDK core over node-datachannel,
 * with SDK defaults (ICE servers come from the edge), behind the home's NAT. The RTCPeerConnection it injects
 * is counted, to see how many connections a viewer creates and leaves open.
 */
async function main(task: HomeViewerTask): Promise<HomeViewerResult> {
  const pcs = { created: 0, open: 0 };
  class CountedPeerConnection extends RTCPeerConnection {
    private counted = true;
    constructor(config?: RTCConfiguration) {
      super(config && forLibdatachannel(config));
      pcs.created++;
      pcs.open++;
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'closed') this.uncount();
      });
    }
    private uncount(): void {
      if (!this.counted) return;
      this.counted = false;
      pcs.open--;
    }
    override close(): void {
      this.uncount();
      super.close();
    }
  }
  await new Promise((resolve) => setTimeout(resolve, task.joinAtMs));
  const engine: Partial<EngineOptions> = {
    ...(task.trackerUrl ? { trackerUrl: task.trackerUrl } : {}),
    ...(task.statsUrl ? { statsUrl: task.statsUrl } : {}),
    RTCPeerConnection: CountedPeerConnection as unknown as EngineOptions['RTCPeerConnection'],
    WebSocket: WebSocket as unknown as EngineOptions['WebSocket'],
    // Experiments only: engine options over the SDK defaults, as JSON.
    ...(process.env.SHOAL_NETLAB_ENGINE ? (JSON.parse(process.env.SHOAL_NETLAB_ENGINE) as Partial<EngineOptions>) : {}),
  };
  const loads: SegmentLoad[] = [];
  const viewer = new SimulatedViewer(task.id, { playlistUrl: task.playlistUrl, engine, liveSyncSegments: task.liveSyncSegments });
  viewer.engine.on('segment-loaded', (info) => loads.push({ viewer: task.id, sequence: info.sequence, httpBytes: info.httpBytes, p2pBytes: info.p2pBytes }));
  const peerEvents: string[] = [];
  const t0 = Date.now();
  viewer.engine.on('peer-connected', ({ peerId }) => peerEvents.push(`${Date.now() - t0} connected ${peerId.slice(8, 12)}`));
  viewer.engine.on('peer-disconnected', ({ peerId, reason }) => peerEvents.push(`${Date.now() - t0} disconnected ${peerId.slice(8, 12)}: ${reason}`));
  viewer.engine.on('peer-banned', ({ peerId, reason }) => peerEvents.push(`${Date.now() - t0} banned ${peerId.slice(8, 12)}: ${reason}`));
  const trace: string[] = [];
  if (process.env.SHOAL_NETLAB_TRACE) {
    const load = viewer.engine.loadSegment.bind(viewer.engine);
    viewer.engine.loadSegment = async (url, segment, deadline) => {
      const at = viewer.engine.options.clock.now();
      const loaded = await load(url, segment, deadline);
      const t = loaded.timing;
      trace.push(`${segment.sequence} asked ${Math.round(at)} due +${Math.round(deadline - at)} start ${Math.round(t.start - at)} end ${Math.round(t.end - at)} http ${loaded.bytesFrom.http} p2p ${loaded.bytesFrom.p2p} peers ${viewer.engine.getStats().peers}`);
      return loaded;
    };
  }
  viewer.start();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, task.reportAt - Date.now())));
  const report = viewer.report();
  const stats = viewer.engine.getStats();
  const open = pcs.open;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  viewer.stop();
  return { report, loads, pcs: { created: pcs.created, open }, stats, peerEvents, ...(trace.length > 0 ? { trace } : {}) };
}

main(JSON.parse(process.argv[2] ?? '{}') as HomeViewerTask).then(
  (result) => {
    process.stdout.write(JSON.stringify(result));
    // Let the stats reporter's last report leave before exiting.
    setTimeout(() => process.exit(0), 300);
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
