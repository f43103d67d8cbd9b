export * from './base64url.js';
export * from './digest-tag.js';
export * from './tracker-ids.js';
export * from './tracker-messages.js';
export * from './tracker-parse.js';
export * from './tracker-format.js';
export * from './peer-messages.js';
export * from './stats-report.js';
