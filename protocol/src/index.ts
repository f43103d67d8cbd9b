export * from './base64url.js';
export * from './digest-tag.js';
