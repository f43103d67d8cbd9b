import { createHash, webcrypto } from 'node:crypto';
import type { EngineOptions } from '@shoal/player-sdk';
import { analyse, percentile, type SwarmFigures } from '../swarm/analysis.js';
import { peerOnlyLatency } from './latency-floor.js';
import { SimulatedViewer, type AbrMode, type ViewerReport } from '../swarm/simulated-viewer.js';
import type { UplinkClass } from '../swarm/uplink-mix.js';
import { assignUplinks } from '../swarm/uplink-mix.js';
import type { SegmentLoad } from '../swarm/worker.js';
import { ModelCdn, ModelLiveStream } from './model-cdn.js';
import { ModelNetwork, type NatType } from './model-network.js';
import { ModelRtcRegistry, rtcFor } from './model-rtc.js';
import { ModelTracker } from './model-tracker.js';
import { seededRandom } from '../../test-support/seeded-random.js';
import { VirtualClock } from './virtual-clock.js';

export interface NatShare {
  readonly nat: NatType;
  readonly share: number;
}

export interface ModelOptions {
  readonly viewers: number;
  readonly durationSeconds: number;
  readonly rampSeconds: number;
  /** Probability per viewer per 10 s of leaving and rejoining 1 s later as a fresh player. */
  readonly churn: number;
  /** SDK upload cap per viewer, bytes/s (0: none), as the simulator's `--upload-cap`. */
  readonly uploadCap: number;
  /** Access-link upload rates viewers are dealt into; empty: every uplink is `defaultUplink`. */
  readonly uplinkMix: readonly UplinkClass[];
  readonly defaultUplinkBytesPerSecond: number;
  readonly downlinkBytesPerSecond: number;
  readonly natMix: readonly NatShare[];
  readonly segmentSeconds: number;
  /** The stream's bitrate, all of it (video, audio, container): segments are this × segmentSeconds / 8 bytes. */
  readonly streamKbps: number;
  /** An ABR ladder instead (kbit/s, lowest first): one rendition per bitrate, each its own swarm. */
  readonly ladderKbps: readonly number[];
  /** How viewers pick a rendition of the ladder (see SimulatedViewer). */
  readonly abr: AbrMode;
  readonly liveSyncSegments: number;
  readonly maxPeers: number;
  /**
   * Segments each viewer keeps for peers (the engine's `segmentMemoryBytes` in segments). A live viewer a few
   * segments behind the edge is never asked for older ones; the SDK's 64 MiB default would hold the whole run
   * and make 10,000 viewers need tens of GiB.
   */
  readonly segmentMemorySegments: number;
  /** Regions viewers are spread over; the tracker prefers peers of the same one. */
  readonly regions: number;
  /** One-way delay inside a region and between regions, ms. */
  readonly delayInRegionMs: number;
  readonly delayBetweenRegionsMs: number;
  readonly cdnLatencyMs: number;
  /** Bytes per data channel the SCTP stack absorbs below `bufferedAmount`, hiding a full uplink from the SDK. */
  readonly sctpBufferBytes: number;
  readonly cdnBytesPerSecond: number;
  /** Engine options on top of the model's (e.g. `httpFetchersPerSegment`). */
  readonly engine: Partial<EngineOptions>;
  readonly seed: number;
}

/** Loopback-like: what the real-WebRTC simulator sees on one machine, for validating the model against it. */
export const LOOPBACK_NETWORK: Partial<ModelOptions> = {
  defaultUplinkBytesPerSecond: 125_000_000,
  downlinkBytesPerSecond: 125_000_000,
  natMix: [{ nat: 'open', share: 1 }],
  regions: 1,
  delayInRegionMs: 0.1,
  delayBetweenRegionsMs: 0.1,
  cdnLatencyMs: 2,
  cdnBytesPerSecond: 100_000_000,
};

export const DEFAULT_MODEL_OPTIONS: ModelOptions = {
  viewers: 30,
  durationSeconds: 60,
  rampSeconds: 15,
  churn: 0,
  uploadCap: 0,
  uplinkMix: [],
  defaultUplinkBytesPerSecond: 125_000_000,
  downlinkBytesPerSecond: 125_000_000,
  natMix: [{ nat: 'open', share: 1 }],
  segmentSeconds: 2,
  // The simulator's demo stream: 800 kbit/s video, 64 kbit/s audio, MPEG-TS; its segments measure 229–236 kB.
  streamKbps: 930,
  ladderKbps: [],
  abr: 'p2p-aware',
  liveSyncSegments: 3,
  maxPeers: 20,
  segmentMemorySegments: 12,
  regions: 1,
  delayInRegionMs: 0.1,
  delayBetweenRegionsMs: 0.1,
  cdnLatencyMs: 2,
  cdnBytesPerSecond: 100_000_000,
  sctpBufferBytes: 0,
  engine: {},
  seed: 1,
};

export interface ModelResult {
  readonly options: ModelOptions;
  readonly figures: SwarmFigures;
  /**
   * Segments players got from peers alone: how many, their latency p50 (request to last byte), the p50 of the
   * least each could have taken given when the HTTP copies came and their holders' links, and how many beat
   * that floor (none may; see peerOnlyLatency).
   */
  readonly peerOnlyFetch: { readonly count: number; readonly p50Ms: number; readonly floorP50Ms: number; readonly belowFloor: number };
  /** Depth of each segment copy: 0 fetched over HTTP, n+1 from a peer whose copy had depth n. */
  readonly relayDepth: { readonly median: number; readonly p95: number; readonly max: number };
  /**
   * HTTP copies per segment without each player's first segment: a player that just joined has no peers yet
   * and fetches its first segment at once over HTTP, so during a ramp copies grow with the joins per segment
   * duration, whatever the swarm does. These are the copies the swarm's fetch election is responsible for.
   */
  readonly steadyHttpCopies: { readonly median: number; readonly p95: number };
  /** Messages to and from the tracker (announces, replies, offers and answers relayed), per viewer-minute. */
  readonly trackerMessagesPerViewerMinute: number;
  /** The load's make-up, for replaying it against real edges: announces per viewer-minute, offers relayed per announce. */
  readonly announcesPerViewerMinute: number;
  readonly offersRelayedPerAnnounce: number;
  readonly trackerEvictions: number;
  readonly connections: { readonly connected: number; readonly failed: number };
  readonly peersAtEndMedian: number;
  /** With a ladder, per rendition: its bitrate, the offload of its bytes, its share of all bytes loaded. */
  readonly renditions: readonly { readonly kbps: number; readonly offloadRatio: number; readonly byteShare: number }[];
  readonly renditionSwitchesPerViewer: number;
  /** Per uplink class (or 'all'): the engines' measured uplink (`uplinkRate`) at the end, median, bytes/s; NaN when none measured one. */
  readonly measuredUplinks: Readonly<Record<string, number>>;
  readonly cdnRequestsPerViewerMinute: number;
  readonly eventsRun: number;
  readonly wallSeconds: number;
  readonly peakRssMiB: number;
}

/** Deals `count` items out in the shares given (largest remainders), spread over the order. */
function dealNat(mix: readonly NatShare[], count: number): NatType[] {
  return assignUplinks(
    mix.map((m) => ({ name: m.nat, share: m.share, bytesPerSecond: 1 })),
    count,
  ).map((c) => c.name as NatType);
}

/**
 * Swaps the process's Web Crypto for the run: SHA-256 computed synchronously (a thread-pool digest would
 * finish at a real-time moment the virtual clock knows nothing of) and random ids from the run's seed, so a
 * run is reproducible. Returns the restore function.
 */
function installModelCrypto(random: () => number): () => void {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  const modelCrypto = {
    getRandomValues: <T extends ArrayBufferView>(array: T): T => {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      return array;
    },
    randomUUID: () => webcrypto.randomUUID(),
    subtle: {
      digest: async (algorithm: string, data: Uint8Array): Promise<ArrayBuffer> => {
        if (algorithm !== 'SHA-256') throw new Error(`model crypto: ${algorithm} not supported`);
        const digest = createHash('sha256').update(data).digest();
        return digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength);
      },
    },
  };
  Object.defineProperty(globalThis, 'crypto', { value: modelCrypto, configurable: true, writable: true });
  return () => {
    if (descriptor) Object.defineProperty(globalThis, 'crypto', descriptor);
  };
}

/** Runs one swarm in virtual time and measures it as the simulator does. */
export async function runModel(partial: Partial<ModelOptions>): Promise<ModelResult> {
  const options: ModelOptions = { ...DEFAULT_MODEL_OPTIONS, ...partial };
  const started = Date.now();
  const random = seededRandom(options.seed);
  const restoreCrypto = installModelCrypto(seededRandom(options.seed + 1));
  let peakRss = process.memoryUsage().rss;
  try {
    const clock = new VirtualClock();
    const network = new ModelNetwork(clock, {
      delayMs: (a, b) => (a === b ? options.delayInRegionMs : options.delayBetweenRegionsMs),
      sctpBufferBytes: options.sctpBufferBytes,
    });
    const registry = new ModelRtcRegistry();
    const tracker = new ModelTracker(clock, { random: seededRandom(options.seed + 2) });
    const bytesAt = (kbps: number): number => Math.round(((kbps * 1000) / 8) * options.segmentSeconds);
    const ladder = options.ladderKbps;
    const streams = (ladder.length > 0 ? ladder : [options.streamKbps]).map(
      (kbps, i) =>
        new ModelLiveStream(
          clock,
          { segmentSeconds: options.segmentSeconds, segmentBytes: bytesAt(kbps), windowSegments: Math.max(6, options.liveSyncSegments + 3), publishedAtStart: options.liveSyncSegments + 1 },
          ladder.length > 0 ? `http://cdn.model/live/${i}` : undefined,
        ),
    );
    const stream = streams[0]!;
    // Copies and memory in segments of the highest rendition.
    const segmentBytes = bytesAt(Math.max(options.streamKbps, ...ladder));
    const renditions = ladder.length > 0 ? streams.map((s, i) => ({ playlistUrl: s.playlistUrl, bitrate: ladder[i]! * 1000 })) : undefined;
    const cdn = new ModelCdn(clock, streams, { latencyMs: options.cdnLatencyMs, bytesPerSecond: options.cdnBytesPerSecond });
    const uplinks = options.uplinkMix.length > 0 ? assignUplinks(options.uplinkMix, options.viewers) : [];
    const nats = dealNat(options.natMix, options.viewers);
    const durationMs = options.durationSeconds * 1000;

    const loads: SegmentLoad[] = [];
    const reports: ViewerReport[] = [];
    const live = new Set<SimulatedViewer>();
    /** Depth of each viewer's copy of each segment, by peer id, for relay-depth figures. */
    const depthOf = new Map<string, Map<number, number>>();
    const depths: number[] = [];
    /** HTTP bytes per segment, each player's first segment left out. */
    const steadyHttp = new Map<number, number>();

    const startViewer = (index: number, generation: number): SimulatedViewer => {
      const uplink = uplinks[index];
      const host = hosts[index]!;
      const region = index % options.regions;
      const viewer = new SimulatedViewer(`viewer-${index}.${generation}`, {
        playlistUrl: stream.playlistUrl,
        ...(renditions ? { renditions, abr: options.abr } : {}),
        loadPlaylist: cdn.playlistLoader(),
        liveSyncSegments: options.liveSyncSegments,
        ...(uplink ? { uplinkClass: uplink.name } : {}),
        engine: {
          clock,
          RTCPeerConnection: rtcFor(network, registry, host) as unknown as EngineOptions['RTCPeerConnection'],
          signaling: tracker.signalingFor({ delayMs: options.delayInRegionMs, network: `10.${index >> 8 & 255}.${index & 255}.0`, region: `r${region}` }),
          fetch: cdn.fetchFor(host),
          iceServers: [],
          maxPeers: options.maxPeers,
          announceIntervalSeconds: 5,
          segmentMemoryBytes: options.segmentMemorySegments * segmentBytes,
          ...(options.uploadCap > 0 ? { uploadRateLimit: options.uploadCap } : {}),
          ...options.engine,
        },
      });
      const peerId = viewer.engine.peerId;
      const mine = new Map<number, number>();
      depthOf.set(peerId, mine);
      let first = true;
      viewer.engine.on('segment-loaded', (info) => {
        if (!first) steadyHttp.set(info.sequence, (steadyHttp.get(info.sequence) ?? 0) + info.httpBytes);
        first = false;
        loads.push({ viewer: viewer.id, sequence: info.sequence, httpBytes: info.httpBytes, p2pBytes: info.p2pBytes });
        let depth = 0;
        for (const from of info.peers) depth = Math.max(depth, (depthOf.get(from)?.get(info.sequence) ?? 0) + 1);
        mine.set(info.sequence, depth);
        depths.push(depth);
      });
      viewer.start();
      live.add(viewer);
      return viewer;
    };
    let viewerMs = 0;
    const leave = (viewer: SimulatedViewer): ViewerReport => {
      const report = viewer.report();
      viewerMs += clock.now() - report.joinedAt;
      reports.push(report);
      viewer.stop();
      live.delete(viewer);
      return report;
    };

    const hosts = Array.from({ length: options.viewers }, (_, i) =>
      network.addHost({
        upBytesPerSecond: uplinks[i]?.bytesPerSecond ?? options.defaultUplinkBytesPerSecond,
        downBytesPerSecond: uplinks[i]?.downBytesPerSecond ?? options.downlinkBytesPerSecond,
        nat: nats[i]!,
        region: i % options.regions,
      }),
    );
    for (let i = 0; i < options.viewers; i++) {
      const joinAt = Math.round((i / Math.max(1, options.viewers)) * options.rampSeconds * 1000);
      clock.setTimeout(() => {
        let generation = 0;
        let viewer = startViewer(i, generation);
        // Every 10 s of the session, the viewer may leave and come back a second later as a new player.
        const churnTimer = clock.setInterval(() => {
          if (clock.now() >= durationMs || !live.has(viewer) || !(random() < options.churn)) return;
          leave(viewer);
          clock.setTimeout(() => {
            if (clock.now() < durationMs) viewer = startViewer(i, ++generation);
          }, 1000);
        }, 10_000);
        clock.setTimeout(() => clock.clearInterval(churnTimer), Math.max(0, durationMs - joinAt));
      }, joinAt);
    }
    // Run in slices, to watch memory.
    for (let t = 0; t < durationMs; t = Math.min(durationMs, t + 1000)) {
      await clock.run(Math.min(durationMs, t + 1000));
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const connected = registry.connected;
    const failed = registry.failed;
    const atEnd = [...live].map(leave);
    const uplinksByClass = new Map<string, number[]>();
    for (const report of atEnd) {
      const name = report.uplinkClass ?? 'all';
      if (!uplinksByClass.has(name)) uplinksByClass.set(name, []);
      if (report.uplinkRate !== undefined) uplinksByClass.get(name)!.push(report.uplinkRate);
    }
    // Let what the leaving engines started settle before the clock is dropped.
    await clock.run(clock.now() + 1);
    const viewerMinutes = viewerMs / 60_000;
    const steadyCopies = [...steadyHttp.values()].map((bytes) => bytes / segmentBytes);
    const counts = tracker.counts;
    const byRendition = ladder.map((_, i) => {
      let http = 0;
      let p2p = 0;
      for (const report of reports) {
        http += report.renditionBytes?.[i]?.http ?? 0;
        p2p += report.renditionBytes?.[i]?.p2p ?? 0;
      }
      return { http, p2p };
    });
    const allBytes = byRendition.reduce((sum, r) => sum + r.http + r.p2p, 0);
    return {
      options,
      figures: analyse(reports, loads, options.viewers),
      steadyHttpCopies: { median: percentile(steadyCopies, 0.5), p95: percentile(steadyCopies, 0.95) },
      peerOnlyFetch: peerOnlyLatency(
        reports.flatMap((report) => report.peerOnlyFetches ?? []),
        // An HTTP copy's holder uploads at most at its uplink's rate. (Not at the upload cap: the SDK's upload
        // budget lets two seconds of it out at once, so only a link is a bound.)
        (url) => (cdn.firstBytes.get(url) ?? []).map(({ host, at }) => ({ at, upBytesPerSecond: host.link.upBytesPerSecond })),
        (url) => cdn.streamOf(url)?.options.segmentBytes ?? segmentBytes,
      ),
      relayDepth: { median: percentile(depths, 0.5), p95: percentile(depths, 0.95), max: depths.reduce((a, b) => Math.max(a, b), 0) },
      trackerMessagesPerViewerMinute: viewerMinutes > 0 ? (counts.received + counts.sent) / viewerMinutes : 0,
      announcesPerViewerMinute: viewerMinutes > 0 ? counts.announces / viewerMinutes : 0,
      offersRelayedPerAnnounce: counts.announces > 0 ? counts.offersRelayed / counts.announces : 0,
      trackerEvictions: counts.evictions,
      connections: { connected, failed },
      peersAtEndMedian: percentile(atEnd.map((report) => report.peers), 0.5),
      renditions: byRendition.map((r, i) => ({ kbps: ladder[i]!, offloadRatio: r.http + r.p2p > 0 ? r.p2p / (r.http + r.p2p) : 0, byteShare: allBytes > 0 ? (r.http + r.p2p) / allBytes : 0 })),
      renditionSwitchesPerViewer: reports.length > 0 ? reports.reduce((sum, r) => sum + (r.renditionSwitches ?? 0), 0) / reports.length : 0,
      measuredUplinks: Object.fromEntries([...uplinksByClass].map(([name, rates]) => [name, percentile(rates, 0.5)])),
      cdnRequestsPerViewerMinute: viewerMinutes > 0 ? cdn.counts.requests / viewerMinutes : 0,
      eventsRun: clock.eventsRun,
      wallSeconds: (Date.now() - started) / 1000,
      peakRssMiB: peakRss / 2 ** 20,
    };
  } finally {
    restoreCrypto();
  }
}
