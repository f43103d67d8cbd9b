/** A segment as the player knows it from its rendition's media playlist. */
export interface SegmentRef {
  /** Media sequence number: the segment's id within its swarm. */
  readonly sequence: number;
  /** Absolute URL of the segment's bytes. */
  readonly url: string;
  /** For EXT-X-BYTERANGE segments, the range within `url`. */
  readonly byteRange?: { readonly offset: number; readonly length: number };
  /** SHA-256 from the playlist's digest tag; absent when the playlist has none. */
  readonly digest?: Uint8Array;
  /** Duration in seconds. */
  readonly duration: number;
}

/** Where the bytes of a loaded segment came from. */
export type ByteSource = 'http' | 'p2p';
