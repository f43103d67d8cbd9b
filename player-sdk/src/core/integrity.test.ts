import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { matchesDigest, sha256, webCryptoAvailable } from './integrity.js';

describe('integrity', () => {
  const bytes = new TextEncoder().encode('segment bytes');
  const digest = new Uint8Array(createHash('sha256').update(bytes).digest());

  it('hashes like Node', async () => {
    expect(Buffer.from(await sha256(bytes)).equals(Buffer.from(digest))).toBe(true);
  });

  it('accepts the right bytes and rejects a single flipped bit or a wrong-sized digest', async () => {
    expect(await matchesDigest(bytes, digest)).toBe(true);
    const flipped = bytes.slice();
    flipped[3] = flipped[3]! ^ 1;
    expect(await matchesDigest(flipped, digest)).toBe(false);
    expect(await matchesDigest(bytes, digest.subarray(0, 31))).toBe(false);
  });
});

describe('integrity without Web Crypto (an http:// page on a LAN address)', () => {
  it('says it cannot verify, with a coded error instead of a TypeError', async () => {
    vi.stubGlobal('crypto', { getRandomValues: (a: Uint8Array) => a });
    try {
      expect(webCryptoAvailable()).toBe(false);
      await expect(sha256(new Uint8Array(4))).rejects.toMatchObject({ code: 'SHOAL_ERR_NO_WEBCRYPTO' });
    } finally {
      vi.unstubAllGlobals();
    }
    expect(webCryptoAvailable()).toBe(true);
  });
});
