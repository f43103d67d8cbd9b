export { ShoalEngine, infoHashOf, swarmKeyOf } from './core/engine.js';
export type { EngineStats, EngineEvents, PlaybackPosition } from './core/engine-api.js';
export { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from './core/options.js';
export { systemClock, type Clock, type TimerHandle } from './util/clock.js';
export { ShoalError, SDK_ERRORS, type SdkErrorCode } from './core/errors.js';
export type { SegmentRef, ByteSource } from './core/segment.js';
export type { LoadedSegment } from './core/segment-job.js';
export { transferMsForEstimate, type LoadForEstimate } from './core/abr-sample.js';
export { StatsReporter, type StatsReporterOptions } from './core/stats-reporter.js';
export type { Signaling, SignalingHandlers, SignalingSession } from './signaling/signaling.js';
export { ShoalHlsjs, SHOAL_HLSJS_DEFAULTS } from './hlsjs/shoal-hlsjs.js';
export { createFragmentLoader } from './hlsjs/fragment-loader.js';
export {
  TrackerClient,
  DEFAULT_TRACKER_CLIENT_OPTIONS,
  type TrackerClientOptions,
  type TrackerClientEvents,
  type WebSocketLike,
  type WebSocketConstructor,
} from './signaling/tracker-client.js';
