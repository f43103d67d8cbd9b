import { DIGEST_TAG_NAME, parseDigestValue } from '@shoal/protocol';
import type { Fragment } from 'hls.js';
import type { SegmentRef } from '../core/segment.js';

/** The segment an hls.js fragment names, with the digest the origin wrote before it (hls.js keeps it in tagList). */
export function segmentRefOf(frag: Fragment): SegmentRef | undefined {
  if (typeof frag.sn !== 'number') return undefined; // init segments go over HTTP
  let digest: Uint8Array | undefined;
  for (const tag of frag.tagList) {
    if (tag[0] === DIGEST_TAG_NAME && tag[1] !== undefined) digest = parseDigestValue(tag[1]);
  }
  const [start, end] = frag.byteRange;
  return {
    sequence: frag.sn,
    url: frag.url,
    duration: frag.duration,
    ...(start !== undefined && end !== undefined ? { byteRange: { offset: start, length: end - start } } : {}),
    ...(digest ? { digest } : {}),
  };
}
