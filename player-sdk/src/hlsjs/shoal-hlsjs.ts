import type Hls from 'hls.js';
import type { HlsConfig, LevelLoadedData, AudioTrackLoadedData } from 'hls.js';
import { ShoalEngine } from '../core/engine.js';
import type { EngineOptions } from '../core/options.js';
import { PlaybackMonitor } from '../core/playback-monitor.js';
import { StatsReporter } from '../core/stats-reporter.js';
import type { SegmentRef } from '../core/segment.js';
import { createFragmentLoader } from './fragment-loader.js';
import { playbackPositionOf } from './playback-position.js';
import { segmentRefOf } from './segment-ref.js';

/**
 * Live settings that leave peers time to share: the player stays 3 segments behind the live edge (about
 * 6 s with 2 s segments), so each new segment is in the swarm a few seconds before anyone needs it. Less
 * delay means less time for peers and more HTTP; more means more latency. Every value can be overridden.
 */
export const SHOAL_HLSJS_DEFAULTS = {
  liveSyncDurationCount: 3,
  liveMaxLatencyDurationCount: 6,
  maxBufferLength: 30,
} as const;

/**
 * Shoal for hls.js: makes the engine, the hls.js config that routes segment loads through it, and the
 * glue that tells it about playlists and playback.
 *
 * @example
 * const shoal = new ShoalHlsjs({ trackerUrl: 'wss://edge.example/tracker', statsUrl: 'https://edge.example/stats' });
 * const hls = new Hls(shoal.hlsConfig({ maxBufferLength: 20 }));
 * shoal.attach(hls);
 * hls.loadSource('https://edge.example/live/news/master.m3u8');
 * hls.attachMedia(video);
 */
export class ShoalHlsjs {
  readonly engine: ShoalEngine;
  private readonly monitor: PlaybackMonitor;
  private reporter: StatsReporter | undefined;
  private stream: string | undefined;
  private hls: Hls | undefined;

  constructor(options: Partial<EngineOptions> = {}) {
    this.engine = new ShoalEngine(options);
    this.monitor = new PlaybackMonitor(this.engine);
  }

  /** The hls.js config: Shoal's defaults, then yours, then the fragment loader. */
  hlsConfig(user: Partial<HlsConfig> = {}): Partial<HlsConfig> {
    return {
      ...SHOAL_HLSJS_DEFAULTS,
      ...user,
      fLoader: createFragmentLoader(this.engine, () => this.monitor.bufferedAheadMs(), () => this.hls?.bandwidthEstimate) as unknown as HlsConfig['fLoader'],
    };
  }

  /** Follows an Hls instance created with `hlsConfig()`. */
  attach(hls: Hls): void {
    this.hls = hls;
    const onPlaylist = (_event: string, data: LevelLoadedData | AudioTrackLoadedData): void => {
      try {
        const refs = data.details.fragments.map((frag) => segmentRefOf(frag)).filter((ref): ref is SegmentRef => ref !== undefined);
        const playlistUrl = data.details.fragments[0]?.baseurl ?? data.details.url;
        this.engine.updatePlaylist(playlistUrl, refs, data.details.live).catch((error: unknown) => this.engine.fault('playlist', error));
      } catch (error) {
        // hls.js goes on with its playlist whatever Shoal made of it.
        this.engine.fault('playlist', error);
      }
    };
    hls.on('hlsLevelLoaded' as never, onPlaylist as never);
    hls.on('hlsAudioTrackLoaded' as never, onPlaylist as never);
    hls.on('hlsManifestLoading' as never, ((_event: string, data: { url: string }) => {
      this.stream = new URL(data.url, globalThis.location?.href).pathname;
      this.monitor.start();
    }) as never);
    hls.on('hlsMediaAttached' as never, ((_event: string, data: { media: HTMLMediaElement }) => this.monitor.attach(data.media)) as never);
    hls.on('hlsMediaDetaching' as never, (() => this.monitor.detach()) as never);
    hls.on('hlsDestroying' as never, (() => this.destroy()) as never);
    this.engine.trackPlayback(() => playbackPositionOf(hls));
    const { statsUrl, statsIntervalMs } = this.engine.options;
    if (statsUrl) {
      this.reporter = new StatsReporter({
        url: statsUrl,
        intervalMs: statsIntervalMs,
        stream: () => this.stream,
        stats: () => this.engine.getStats(),
        now: () => this.engine.options.clock.now(),
        fetch: (url, init) => fetch(url, init),
      });
    }
  }

  getStats(): ReturnType<ShoalEngine['getStats']> {
    return this.engine.getStats();
  }

  destroy(): void {
    this.reporter?.send(true);
    this.reporter?.destroy();
    this.reporter = undefined;
    this.monitor.detach();
    this.hls = undefined;
    this.engine.destroy();
  }
}
