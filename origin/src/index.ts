export { createOrigin, type Origin, type CreateOriginDeps } from './app.js';
export { DEFAULT_ORIGIN_OPTIONS, resolveOriginOptions, type OriginOptions, type VodSource } from './options.js';
export { ORIGIN_ERRORS, OriginError, type OriginErrorCode } from './errors.js';
export { startOriginServer, type OriginServer } from './server.js';
export { startDemoEncoder, createDemoVod, type DemoEncoder } from './demo/demo-encoder.js';
export { resolveFfmpegPath } from './demo/ffmpeg-path.js';
// HTTP object serving (conditional requests, Range, HEAD), shared with the edge cache.
export { serveObject, type PublishedObject } from './http/serve-object.js';
export { parseRangeHeader, type ByteRange } from './http/range.js';
export { isNotModified, ifRangeHolds } from './http/conditional.js';
export type { FileKind } from './http/media-types.js';
