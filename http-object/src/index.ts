export { serveObject, type PublishedObject } from './serve-object.js';
export { parseRangeHeader, type ByteRange } from './range.js';
export { isNotModified, ifRangeHolds } from './conditional.js';
export { fileTypeOf, SUPPORTED_EXTENSIONS, type FileKind, type FileType } from './media-types.js';
export { CorsAllowList, writeCorsHeaders, answerPreflight, OBJECT_EXPOSED_HEADERS, OBJECT_REQUEST_HEADERS, OBJECT_METHODS } from './cors.js';
export { CodedError, jsonErrorBody, sendJson, sendError } from './json-error.js';
export { listen } from './listen.js';
