import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { matchesDigest, sha256 } from './integrity.js';

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
