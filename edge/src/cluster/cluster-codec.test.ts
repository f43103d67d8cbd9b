import { describe, expect, it } from 'vitest';
import { randomTrackerId } from '@shoal/protocol';
import type { MemberRecord } from './cluster.js';
import { decodeEvent, decodeRecord, decodeSignal, encodeEvent, encodeRecord, encodeSignal } from './cluster-codec.js';

const ID = String.fromCharCode(0, 1, 34, 92, 0x7f, 0x80, 0xff, ...Array.from({ length: 13 }, (_, i) => 65 + i));
const record: MemberRecord = {
  peerId: randomTrackerId(),
  profile: { network: '4:203.0.113', asn: 64500, country: 'FR', region: 'eu', position: 1234.5, positionAt: 1_700_000_000_000, playing: true },
  complete: false,
};

describe('cluster codec', () => {
  it('round-trips member records, with and without optional fields', () => {
    expect(decodeRecord(record.peerId, encodeRecord(record))).toEqual(record);
    const plain: MemberRecord = { ...record, profile: { ...record.profile, asn: undefined, country: undefined, position: undefined, playing: false }, complete: true };
    expect(decodeRecord(plain.peerId, encodeRecord(plain))).toEqual(plain);
  });

  it('round-trips events and signals whatever bytes the ids hold', () => {
    expect(decodeEvent(encodeEvent({ type: 'member', node: 'node-a', infoHash: ID, record }))).toEqual({ type: 'member', node: 'node-a', infoHash: ID, record });
    expect(decodeEvent(encodeEvent({ type: 'leave', node: 'node-a', infoHash: ID, peerId: ID }))).toEqual({ type: 'leave', node: 'node-a', infoHash: ID, peerId: ID });
    const signal = { infoHash: ID, from: record.peerId, to: ID, offerId: randomTrackerId(), sdp: 'v=0\r\n' };
    expect(decodeSignal(encodeSignal('offer', signal), 100)).toEqual({ type: 'offer', signal });
    expect(decodeSignal(encodeSignal('answer', signal), 100)).toEqual({ type: 'answer', signal });
  });

  it('drops anything malformed instead of throwing', () => {
    for (const text of ['', 'null', '[]', '{"t":"m"}', '{"t":"x","n":"a","h":"short","i":"short"}', JSON.stringify({ t: 'm', n: 'a', h: ID, i: ID, r: { k: 1 } })]) {
      expect(decodeEvent(text)).toBeUndefined();
    }
    expect(decodeRecord('short', encodeRecord(record))).toBeUndefined();
    expect(decodeRecord(record.peerId, '{')).toBeUndefined();
    expect(decodeSignal(encodeSignal('offer', { infoHash: ID, from: ID, to: ID, offerId: ID, sdp: 'x'.repeat(101) }), 100)).toBeUndefined();
    expect(decodeSignal('{"t":"o"}', 100)).toBeUndefined();
  });
});
