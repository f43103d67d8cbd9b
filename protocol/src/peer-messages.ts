/**
 * The binary peer protocol spoken over one RTCDataChannel between two Shoal players.
 *
 * Every frame starts with one type byte; integers are big-endian; a frame is never larger than
 * MAX_FRAME_BYTES (16 KiB, which every browser's SCTP stack delivers unfragmented). Segment ids are the
 * segment's media sequence number in its rendition's playlist: each `EXTINF` entry, byte-range segments
 * included, has its own, so the number alone names a segment within a swarm.
 *
 * | type | frame | meaning |
 * | --- | --- | --- |
 * | 1 hello | version u8, swarm u8 length + UTF-8 | first frame each way; a version or swarm mismatch closes |
 * | 2 have | count u16, then count × (segment u32, state u8) | state 0: dropped, 1: complete, 2: loading |
 * | 3 request | request u32, segment u32, offset u32 | send bytes of the segment from offset on |
 * | 4 data | request u32, offset u32, total u32, bytes | a chunk; total is the segment's full size |
 * | 5 done | request u32, total u32 | all bytes up to total were sent |
 * | 6 absent | request u32, segment u32 | the peer does not have it (any more) |
 * | 7 cancel | request u32 | stop sending for this request |
 * | 8 busy | request u32, segment u32, retry u32 (ms) | the peer has it but its uplink is full: ask again after retry ms, or elsewhere |
 * | 9 ack | request u32, received u32 | the receiver holds the segment's bytes up to `received`: the sender keeps at most a window beyond it in flight |
 * | 10 capacity | upload u32 (bytes/s) | what the sender expects to upload to peers, all together: sent after the hello and when it changes; 0: it uploads nothing |
 *
 * Version 2 added `busy`, version 3 `ack`, version 4 `capacity`; peers of different versions do not connect
 * (the hello closes).
 */
export const PEER_PROTOCOL_VERSION = 4;
export const MAX_FRAME_BYTES = 16 * 1024;
export const DATA_HEADER_BYTES = 13;
export const MAX_DATA_CHUNK_BYTES = MAX_FRAME_BYTES - DATA_HEADER_BYTES;
export const MAX_SWARM_ID_BYTES = 64;
export const MAX_HAVE_ENTRIES = Math.floor((MAX_FRAME_BYTES - 3) / 5);
const U32_MAX = 0xffffffff;

export const PEER_MESSAGE_TYPES = {
  hello: 1,
  have: 2,
  request: 3,
  data: 4,
  done: 5,
  absent: 6,
  cancel: 7,
  busy: 8,
  ack: 9,
  capacity: 10,
} as const;

export const HAVE_STATES = { dropped: 0, complete: 1, loading: 2 } as const;
export type HaveState = keyof typeof HAVE_STATES;

export interface HaveEntry {
  readonly segment: number;
  readonly state: HaveState;
}

export type PeerMessage =
  | { readonly type: 'hello'; readonly version: number; readonly swarm: string }
  | { readonly type: 'have'; readonly entries: readonly HaveEntry[] }
  | { readonly type: 'request'; readonly request: number; readonly segment: number; readonly offset: number }
  | { readonly type: 'data'; readonly request: number; readonly offset: number; readonly total: number; readonly bytes: Uint8Array }
  | { readonly type: 'done'; readonly request: number; readonly total: number }
  | { readonly type: 'absent'; readonly request: number; readonly segment: number }
  | { readonly type: 'cancel'; readonly request: number }
  | { readonly type: 'busy'; readonly request: number; readonly segment: number; readonly retryMs: number }
  | { readonly type: 'ack'; readonly request: number; readonly received: number }
  | { readonly type: 'capacity'; readonly upload: number };

/** A frame that breaks the protocol. The connection that sent it is closed and the peer penalised. */
export class PeerProtocolError extends Error {
  readonly code = 'SHOAL_ERR_PEER_PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'PeerProtocolError';
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const HAVE_STATE_BY_CODE: readonly HaveState[] = ['dropped', 'complete', 'loading'];

function checkU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) throw new RangeError(`${name} must be a u32, got ${value}`);
}

/** Encodes one message into a fresh frame. Throws RangeError for values that do not fit the format. */
export function encodePeerMessage(message: PeerMessage): Uint8Array {
  switch (message.type) {
    case 'hello': {
      const swarm = utf8Encoder.encode(message.swarm);
      if (swarm.length > MAX_SWARM_ID_BYTES) throw new RangeError(`swarm id longer than ${MAX_SWARM_ID_BYTES} bytes`);
      const frame = new Uint8Array(3 + swarm.length);
      frame[0] = PEER_MESSAGE_TYPES.hello;
      frame[1] = message.version;
      frame[2] = swarm.length;
      frame.set(swarm, 3);
      return frame;
    }
    case 'have': {
      if (message.entries.length > MAX_HAVE_ENTRIES) throw new RangeError(`at most ${MAX_HAVE_ENTRIES} have entries per frame`);
      const frame = new Uint8Array(3 + message.entries.length * 5);
      const view = new DataView(frame.buffer);
      frame[0] = PEER_MESSAGE_TYPES.have;
      view.setUint16(1, message.entries.length);
      message.entries.forEach((entry, i) => {
        checkU32('segment', entry.segment);
        view.setUint32(3 + i * 5, entry.segment);
        frame[7 + i * 5] = HAVE_STATES[entry.state];
      });
      return frame;
    }
    case 'request':
      return fixed(PEER_MESSAGE_TYPES.request, [message.request, message.segment, message.offset]);
    case 'data': {
      if (message.bytes.length > MAX_DATA_CHUNK_BYTES) throw new RangeError(`data chunk larger than ${MAX_DATA_CHUNK_BYTES} bytes`);
      checkU32('request', message.request);
      checkU32('offset', message.offset);
      checkU32('total', message.total);
      if (message.offset + message.bytes.length > message.total) throw new RangeError('data chunk runs past the total');
      const frame = new Uint8Array(DATA_HEADER_BYTES + message.bytes.length);
      const view = new DataView(frame.buffer);
      frame[0] = PEER_MESSAGE_TYPES.data;
      view.setUint32(1, message.request);
      view.setUint32(5, message.offset);
      view.setUint32(9, message.total);
      frame.set(message.bytes, DATA_HEADER_BYTES);
      return frame;
    }
    case 'done':
      return fixed(PEER_MESSAGE_TYPES.done, [message.request, message.total]);
    case 'absent':
      return fixed(PEER_MESSAGE_TYPES.absent, [message.request, message.segment]);
    case 'cancel':
      return fixed(PEER_MESSAGE_TYPES.cancel, [message.request]);
    case 'busy':
      return fixed(PEER_MESSAGE_TYPES.busy, [message.request, message.segment, message.retryMs]);
    case 'ack':
      return fixed(PEER_MESSAGE_TYPES.ack, [message.request, message.received]);
    case 'capacity':
      return fixed(PEER_MESSAGE_TYPES.capacity, [message.upload]);
  }
}

function fixed(type: number, values: readonly number[]): Uint8Array {
  const frame = new Uint8Array(1 + values.length * 4);
  const view = new DataView(frame.buffer);
  frame[0] = type;
  values.forEach((value, i) => {
    checkU32('field', value);
    view.setUint32(1 + i * 4, value);
  });
  return frame;
}

function expectLength(frame: Uint8Array, length: number, type: string): void {
  if (frame.length !== length) throw new PeerProtocolError(`${type} frame must be ${length} bytes, got ${frame.length}`);
}

/**
 * Decodes one frame. Throws PeerProtocolError for anything malformed: unknown type, wrong length,
 * oversized frame, bad UTF-8, a chunk running past its declared total. Data bytes are a view into
 * `frame`, not a copy.
 */
export function decodePeerMessage(frame: Uint8Array): PeerMessage {
  if (frame.length === 0) throw new PeerProtocolError('empty frame');
  if (frame.length > MAX_FRAME_BYTES) throw new PeerProtocolError(`frame larger than ${MAX_FRAME_BYTES} bytes`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (frame[0]) {
    case PEER_MESSAGE_TYPES.hello: {
      if (frame.length < 3) throw new PeerProtocolError('truncated hello');
      const length = frame[2]!;
      if (length > MAX_SWARM_ID_BYTES) throw new PeerProtocolError('swarm id too long');
      expectLength(frame, 3 + length, 'hello');
      let swarm: string;
      try {
        swarm = utf8Decoder.decode(frame.subarray(3));
      } catch {
        throw new PeerProtocolError('swarm id is not UTF-8');
      }
      return { type: 'hello', version: frame[1]!, swarm };
    }
    case PEER_MESSAGE_TYPES.have: {
      if (frame.length < 3) throw new PeerProtocolError('truncated have');
      const count = view.getUint16(1);
      expectLength(frame, 3 + count * 5, 'have');
      const entries: HaveEntry[] = [];
      for (let i = 0; i < count; i++) {
        const state = HAVE_STATE_BY_CODE[frame[7 + i * 5]!];
        if (state === undefined) throw new PeerProtocolError('unknown have state');
        entries.push({ segment: view.getUint32(3 + i * 5), state });
      }
      return { type: 'have', entries };
    }
    case PEER_MESSAGE_TYPES.request:
      expectLength(frame, 13, 'request');
      return { type: 'request', request: view.getUint32(1), segment: view.getUint32(5), offset: view.getUint32(9) };
    case PEER_MESSAGE_TYPES.data: {
      if (frame.length < DATA_HEADER_BYTES) throw new PeerProtocolError('truncated data');
      const offset = view.getUint32(5);
      const total = view.getUint32(9);
      const bytes = frame.subarray(DATA_HEADER_BYTES);
      if (offset + bytes.length > total) throw new PeerProtocolError('data chunk runs past its total');
      return { type: 'data', request: view.getUint32(1), offset, total, bytes };
    }
    case PEER_MESSAGE_TYPES.done:
      expectLength(frame, 9, 'done');
      return { type: 'done', request: view.getUint32(1), total: view.getUint32(5) };
    case PEER_MESSAGE_TYPES.absent:
      expectLength(frame, 9, 'absent');
      return { type: 'absent', request: view.getUint32(1), segment: view.getUint32(5) };
    case PEER_MESSAGE_TYPES.cancel:
      expectLength(frame, 5, 'cancel');
      return { type: 'cancel', request: view.getUint32(1) };
    case PEER_MESSAGE_TYPES.busy:
      expectLength(frame, 13, 'busy');
      return { type: 'busy', request: view.getUint32(1), segment: view.getUint32(5), retryMs: view.getUint32(9) };
    case PEER_MESSAGE_TYPES.ack:
      expectLength(frame, 9, 'ack');
      return { type: 'ack', request: view.getUint32(1), received: view.getUint32(5) };
    case PEER_MESSAGE_TYPES.capacity:
      expectLength(frame, 5, 'capacity');
      return { type: 'capacity', upload: view.getUint32(1) };
    default:
      throw new PeerProtocolError(`unknown frame type ${frame[0]}`);
  }
}
