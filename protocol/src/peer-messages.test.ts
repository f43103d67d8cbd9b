import { describe, expect, it } from 'vitest';
import {
  decodePeerMessage,
  encodePeerMessage,
  MAX_DATA_CHUNK_BYTES,
  MAX_FRAME_BYTES,
  MAX_HAVE_ENTRIES,
  PeerProtocolError,
  type PeerMessage,
} from './peer-messages.js';

const samples: PeerMessage[] = [
  { type: 'hello', version: 1, swarm: 'b3a1c2d4e5f60718293a4b5c6d7e8f9012345678' },
  { type: 'hello', version: 1, swarm: 'rendition-é' },
  { type: 'have', entries: [] },
  { type: 'have', entries: [{ segment: 0, state: 'complete' }, { segment: 4294967295, state: 'loading' }, { segment: 7, state: 'dropped' }] },
  { type: 'request', request: 1, segment: 1234, offset: 0 },
  { type: 'request', request: 4294967295, segment: 5, offset: 65536 },
  { type: 'data', request: 3, offset: 16371, total: 100000, bytes: new Uint8Array(MAX_DATA_CHUNK_BYTES).fill(7) },
  { type: 'data', request: 3, offset: 0, total: 0, bytes: new Uint8Array(0) },
  { type: 'done', request: 9, total: 123456 },
  { type: 'absent', request: 2, segment: 99 },
  { type: 'cancel', request: 42 },
  { type: 'busy', request: 7, segment: 1234, retryMs: 850 },
  { type: 'ack', request: 7, received: 49_152 },
  { type: 'capacity', upload: 0 },
  { type: 'capacity', upload: 465_000 },
];

describe('peer messages', () => {
  it.each(samples.map((m) => [m.type, m] as const))('%s round-trips', (_type, message) => {
    const frame = encodePeerMessage(message);
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    const decoded = decodePeerMessage(frame);
    if (message.type === 'data' && decoded.type === 'data') {
      expect({ ...decoded, bytes: [...decoded.bytes] }).toEqual({ ...message, bytes: [...message.bytes] });
    } else {
      expect(decoded).toEqual(message);
    }
  });

  it('fits the largest have list in one frame and refuses more', () => {
    const entries = Array.from({ length: MAX_HAVE_ENTRIES }, (_, i) => ({ segment: i, state: 'complete' as const }));
    expect(encodePeerMessage({ type: 'have', entries }).length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(() => encodePeerMessage({ type: 'have', entries: [...entries, { segment: 1, state: 'complete' }] })).toThrow(RangeError);
  });

  it('refuses to encode values that do not fit', () => {
    expect(() => encodePeerMessage({ type: 'request', request: -1, segment: 0, offset: 0 })).toThrow(RangeError);
    expect(() => encodePeerMessage({ type: 'request', request: 1, segment: 2 ** 32, offset: 0 })).toThrow(RangeError);
    expect(() => encodePeerMessage({ type: 'data', request: 1, offset: 10, total: 5, bytes: new Uint8Array(1) })).toThrow(RangeError);
    expect(() => encodePeerMessage({ type: 'data', request: 1, offset: 0, total: 1e6, bytes: new Uint8Array(MAX_DATA_CHUNK_BYTES + 1) })).toThrow(RangeError);
    expect(() => encodePeerMessage({ type: 'hello', version: 1, swarm: 'x'.repeat(65) })).toThrow(RangeError);
    expect(() => encodePeerMessage({ type: 'capacity', upload: 1.5 })).toThrow(RangeError);
  });

  const malformed: [string, number[] | Uint8Array][] = [
    ['empty', []],
    ['unknown type', [99, 0, 0]],
    ['truncated hello', [1, 1]],
    ['hello with wrong length', [1, 1, 5, 97]],
    ['hello with bad UTF-8', [1, 1, 2, 0xff, 0xfe]],
    ['hello with an overlong swarm id', [1, 1, 65, ...new Array(65).fill(97)]],
    ['truncated have', [2, 0]],
    ['have whose count lies', [2, 0, 2, 0, 0, 0, 1, 1]],
    ['have with unknown state', [2, 0, 1, 0, 0, 0, 1, 9]],
    ['short request', [3, 0, 0, 0, 1]],
    ['long cancel', [7, 0, 0, 0, 1, 0]],
    ['busy without its retry time', [8, 0, 0, 0, 1, 0, 0, 0, 2]],
    ['short capacity', [10, 0, 7, 0x1a]],
    ['truncated data', [4, 0, 0, 0, 1]],
    ['data past its total', [4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 5, 5]],
    ['oversized frame', new Uint8Array(MAX_FRAME_BYTES + 1).fill(4)],
  ];
  it.each(malformed)('rejects %s with PeerProtocolError', (_name, bytes) => {
    expect(() => decodePeerMessage(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))).toThrow(PeerProtocolError);
  });

  it('decodes from a view at an offset into a larger buffer', () => {
    const frame = encodePeerMessage({ type: 'absent', request: 5, segment: 6 });
    const backing = new Uint8Array(frame.length + 10);
    backing.set(frame, 7);
    expect(decodePeerMessage(backing.subarray(7, 7 + frame.length))).toEqual({ type: 'absent', request: 5, segment: 6 });
  });
});
