import { describe, expect, it } from 'vitest';
import { ifRangeHolds, isNotModified } from './conditional.js';

const etag = '"abc"';
const modified = new Date('2026-01-01T10:00:00.500Z');

describe('isNotModified', () => {
  it('matches If-None-Match lists, weakly', () => {
    expect(isNotModified({ 'if-none-match': '"abc"' }, etag, modified)).toBe(true);
    expect(isNotModified({ 'if-none-match': '"x", W/"abc"' }, etag, modified)).toBe(true);
    expect(isNotModified({ 'if-none-match': '*' }, etag, modified)).toBe(true);
    expect(isNotModified({ 'if-none-match': '"abd"' }, etag, modified)).toBe(false);
  });

  it('uses If-Modified-Since only without If-None-Match, at one-second resolution', () => {
    expect(isNotModified({ 'if-modified-since': modified.toUTCString() }, etag, modified)).toBe(true);
    expect(isNotModified({ 'if-modified-since': 'Thu, 01 Jan 2026 09:59:59 GMT' }, etag, modified)).toBe(false);
    expect(isNotModified({ 'if-modified-since': 'garbage' }, etag, modified)).toBe(false);
    expect(isNotModified({ 'if-none-match': '"zzz"', 'if-modified-since': modified.toUTCString() }, etag, modified)).toBe(false);
  });
});

describe('ifRangeHolds', () => {
  it('holds for the same strong ETag or date only', () => {
    expect(ifRangeHolds(undefined, etag, modified)).toBe(true);
    expect(ifRangeHolds('"abc"', etag, modified)).toBe(true);
    expect(ifRangeHolds('W/"abc"', etag, modified)).toBe(false);
    expect(ifRangeHolds('"old"', etag, modified)).toBe(false);
    expect(ifRangeHolds(modified.toUTCString(), etag, modified)).toBe(true);
    expect(ifRangeHolds('Thu, 01 Jan 2026 09:00:00 GMT', etag, modified)).toBe(false);
  });
});
