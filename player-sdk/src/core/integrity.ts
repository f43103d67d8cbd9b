import { ShoalError } from './errors.js';

/**
 * SHA-256 through Web Crypto. Browsers give `crypto.subtle` only to secure contexts (https://, localhost):
 * a page on plain http:// from a LAN address has none. There the engine cannot verify peer-delivered bytes
 * (nor compute a swarm's info hash), so it turns P2P off and plays over HTTP; a pure-JS SHA-256 was
 * measured at +2.6 KB min+gzip, more than the SDK's size budget allows.
 */
interface SubtleDigest {
  digest(algorithm: string, data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
}

function subtle(): SubtleDigest | undefined {
  const candidate = (globalThis as { crypto?: { subtle?: Partial<SubtleDigest> } }).crypto?.subtle;
  return typeof candidate?.digest === 'function' ? (candidate as SubtleDigest) : undefined;
}

/** Whether SHA-256 can be computed here (false on insecure origins in browsers). */
export function webCryptoAvailable(): boolean {
  return subtle() !== undefined;
}

/** SHA-256 of bytes. Rejects with SHOAL_ERR_NO_WEBCRYPTO where Web Crypto is missing. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  const impl = subtle();
  if (!impl) throw new ShoalError('SHOAL_ERR_NO_WEBCRYPTO');
  return new Uint8Array(await impl.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** True when `bytes` hash to `expected`. */
export async function matchesDigest(bytes: Uint8Array, expected: Uint8Array): Promise<boolean> {
  const actual = await sha256(bytes);
  if (actual.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= actual[i]! ^ expected[i]!;
  return diff === 0;
}
