import { isTrackerId } from '@shoal/protocol';
import type { PeerProfile } from '../tracker/ranking.js';
import type { MemberRecord, RoutedSignal } from './cluster.js';

/**
 * What edge nodes exchange through Redis, as compact JSON. Ids stay 20-character binary strings (JSON escapes
 * what needs escaping, Redis carries UTF-8 faithfully). Nodes trust each other but still check every field,
 * so a corrupted or foreign message is dropped rather than crashing a node.
 */
export type ClusterEvent =
  | { readonly type: 'member'; readonly node: string; readonly infoHash: string; readonly record: MemberRecord }
  | { readonly type: 'leave'; readonly node: string; readonly infoHash: string; readonly peerId: string };

export type ClusterSignal = { readonly type: 'offer' | 'answer'; readonly signal: RoutedSignal };

interface WireProfile {
  k: string;
  a?: number;
  c?: string;
  r: string;
  p?: number;
  t: number;
  l: 0 | 1;
  s: 0 | 1;
}

export function encodeRecord(record: MemberRecord): string {
  const p = record.profile;
  const wire: WireProfile = { k: p.network, r: p.region, t: p.positionAt, l: p.playing ? 1 : 0, s: record.complete ? 1 : 0 };
  if (p.asn !== undefined) wire.a = p.asn;
  if (p.country !== undefined) wire.c = p.country;
  if (p.position !== undefined) wire.p = p.position;
  return JSON.stringify(wire);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function decodeProfile(wire: unknown): { profile: PeerProfile; complete: boolean } | undefined {
  if (!isObject(wire)) return undefined;
  const { k, a, c, r, p, t, l, s } = wire;
  if (typeof k !== 'string' || typeof r !== 'string' || !finite(t)) return undefined;
  if ((a !== undefined && !finite(a)) || (c !== undefined && typeof c !== 'string') || (p !== undefined && !finite(p))) return undefined;
  return {
    profile: { network: k, asn: a, country: c, region: r, position: p, positionAt: t, playing: l === 1 },
    complete: s === 1,
  };
}

export function decodeRecord(peerId: string, text: string): MemberRecord | undefined {
  if (!isTrackerId(peerId)) return undefined;
  try {
    const decoded = decodeProfile(JSON.parse(text));
    return decoded && { peerId, ...decoded };
  } catch {
    return undefined;
  }
}

export function encodeEvent(event: ClusterEvent): string {
  return event.type === 'member'
    ? `{"t":"m","n":${JSON.stringify(event.node)},"h":${JSON.stringify(event.infoHash)},"i":${JSON.stringify(event.record.peerId)},"r":${encodeRecord(event.record)}}`
    : JSON.stringify({ t: 'l', n: event.node, h: event.infoHash, i: event.peerId });
}

export function decodeEvent(text: string): ClusterEvent | undefined {
  let wire: unknown;
  try {
    wire = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(wire) || typeof wire.n !== 'string' || !isTrackerId(wire.h) || !isTrackerId(wire.i)) return undefined;
  if (wire.t === 'l') return { type: 'leave', node: wire.n, infoHash: wire.h, peerId: wire.i };
  if (wire.t !== 'm') return undefined;
  const decoded = decodeProfile(wire.r);
  return decoded && { type: 'member', node: wire.n, infoHash: wire.h, record: { peerId: wire.i, ...decoded } };
}

export function encodeSignal(type: 'offer' | 'answer', signal: RoutedSignal): string {
  return JSON.stringify({ t: type === 'offer' ? 'o' : 'a', h: signal.infoHash, f: signal.from, to: signal.to, o: signal.offerId, s: signal.sdp });
}

export function decodeSignal(text: string, maxSdpLength: number): ClusterSignal | undefined {
  let wire: unknown;
  try {
    wire = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(wire) || (wire.t !== 'o' && wire.t !== 'a')) return undefined;
  const { h, f, to, o, s } = wire;
  if (!isTrackerId(h) || !isTrackerId(f) || !isTrackerId(to) || !isTrackerId(o) || typeof s !== 'string' || s.length > maxSdpLength) return undefined;
  return { type: wire.t === 'o' ? 'offer' : 'answer', signal: { infoHash: h, from: f, to, offerId: o, sdp: s } };
}
