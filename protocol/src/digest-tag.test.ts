import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { formatDigestTag, isDigestTagLine, parseDigestTag, parseDigestValue } from './digest-tag.js';

describe('base64url', () => {
  it('matches Node for every length up to 64 bytes', () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = randomBytes(n);
      const text = encodeBase64Url(bytes);
      expect(text).toBe(bytes.toString('base64url'));
      expect(Buffer.from(decodeBase64Url(text)!)).toEqual(bytes);
    }
  });

  it('rejects characters outside the alphabet, impossible lengths and non-canonical tails', () => {
    expect(decodeBase64Url('ab+c')).toBeUndefined();
    expect(decodeBase64Url('abcde')).toBeUndefined();
    expect(decodeBase64Url('AB')).toBeUndefined(); // 'AB' leaves non-zero padding bits
    expect(decodeBase64Url('AA')).toEqual(new Uint8Array([0]));
  });
});

describe('digest tag', () => {
  const digest = createHash('sha256').update('segment bytes').digest();

  it('round-trips a SHA-256 through the playlist line', () => {
    const line = formatDigestTag(digest);
    expect(line).toBe(`#EXT-X-SHOAL-DIGEST:SHA-256=${digest.toString('base64url')}`);
    expect(Buffer.from(parseDigestTag(line)!)).toEqual(digest);
    expect(isDigestTagLine(line)).toBe(true);
  });

  it('refuses digests of the wrong size and malformed lines', () => {
    expect(() => formatDigestTag(new Uint8Array(31))).toThrow(RangeError);
    expect(parseDigestTag('#EXT-X-SHOAL-DIGEST:SHA-1=abc')).toBeUndefined();
    expect(parseDigestTag('#EXT-X-SHOAL-DIGEST:SHA-256=' + 'A'.repeat(42))).toBeUndefined();
    expect(parseDigestTag('#EXTINF:2.0,')).toBeUndefined();
    expect(parseDigestValue('SHA-256=***')).toBeUndefined();
    expect(isDigestTagLine('segment0.ts')).toBe(false);
  });
});
