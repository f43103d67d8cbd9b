export { createOrigin, type Origin, type CreateOriginDeps } from './app.js';
export { DEFAULT_ORIGIN_OPTIONS, resolveOriginOptions, type OriginOptions, type VodSource } from './options.js';
export { ORIGIN_ERRORS, OriginError, type OriginErrorCode } from './errors.js';
export { startOriginServer, type OriginServer } from './server.js';
export { startDemoEncoder, createDemoVod, DEMO_LADDER, type DemoEncoder, type DemoRendition } from './demo/demo-encoder.js';
export { resolveFfmpegPath } from './demo/ffmpeg-path.js';
