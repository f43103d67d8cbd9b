/** SHA-256 of bytes with Web Crypto, available in browsers (secure contexts) and Node 20. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** True when `bytes` hash to `expected`. */
export async function matchesDigest(bytes: Uint8Array, expected: Uint8Array): Promise<boolean> {
  const actual = await sha256(bytes);
  if (actual.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= actual[i]! ^ expected[i]!;
  return diff === 0;
}
