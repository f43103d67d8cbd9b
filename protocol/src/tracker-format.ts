import type { SessionDescription, ShoalAnnounceExtension, ShoalAnnounceReplyExtension, TrackerEvent, TrackerOffer } from './tracker-messages.js';

/**
 * Serializers for both directions. The tracker-side ones build the JSON text directly (ids and SDPs are the
 * only values, each escaped with `JSON.stringify`), because the edge formats one relayed message per offer and
 * this is its hot path. `JSON.parse` of their output equals the documented objects.
 */

/** `JSON.stringify(id)`, computed once per announce and reused for every message that carries the id. */
export const jsonString = (value: string): string => JSON.stringify(value);

function description(kind: 'offer' | 'answer', sdp: string): string {
  return `{"type":"${kind}","sdp":${JSON.stringify(sdp)}}`;
}

/**
 * Announce reply. `infoHashJson` is `jsonString(info_hash)`; `shoalJson`, when given, is the serialized
 * {@link ShoalAnnounceReplyExtension} (see `formatAnnounceReplyExtension`), computed once per connection.
 */
export function formatAnnounceReply(infoHashJson: string, interval: number, complete: number, incomplete: number, shoalJson?: string): string {
  const shoal = shoalJson === undefined ? '' : `,"shoal":${shoalJson}`;
  return `{"action":"announce","info_hash":${infoHashJson},"interval":${interval},"complete":${complete},"incomplete":${incomplete}${shoal}}`;
}

/** The `shoal` object of an announce reply, as JSON. */
export function formatAnnounceReplyExtension(extension: ShoalAnnounceReplyExtension): string {
  return JSON.stringify(extension);
}

/** An offer relayed to another peer; `peerIdJson` is the offerer's. */
export function formatRelayedOffer(infoHashJson: string, peerIdJson: string, offerId: string, sdp: string): string {
  return `{"action":"announce","info_hash":${infoHashJson},"peer_id":${peerIdJson},"offer_id":${JSON.stringify(offerId)},"offer":${description('offer', sdp)}}`;
}

/** An answer relayed back to the offerer; `peerIdJson` is the answerer's. */
export function formatRelayedAnswer(infoHashJson: string, peerIdJson: string, offerId: string, sdp: string): string {
  return `{"action":"announce","info_hash":${infoHashJson},"peer_id":${peerIdJson},"offer_id":${JSON.stringify(offerId)},"answer":${description('answer', sdp)}}`;
}

export function formatScrapeReply(files: ReadonlyArray<{ readonly infoHash: string; readonly complete: number; readonly incomplete: number }>, interval: number): string {
  const entries = files.map((f) => `${JSON.stringify(f.infoHash)}:{"complete":${f.complete},"incomplete":${f.incomplete},"downloaded":${f.complete}}`);
  return `{"action":"scrape","files":{${entries.join(',')}},"flags":{"min_request_interval":${interval}}}`;
}

/**
 * A failure reply. `bittorrent-tracker` clients show it (as a 'warning') only when `action` is there and
 * `info_hash` is theirs; without an action they drop the socket, so one is always sent.
 */
export function formatFailure(reason: string, code: string, action: 'announce' | 'scrape' = 'announce', infoHash?: string): string {
  return JSON.stringify({ action, ...(infoHash === undefined ? {} : { info_hash: infoHash }), 'failure reason': reason, shoal_error: code });
}

export interface AnnounceFields {
  readonly infoHash: string;
  readonly peerId: string;
  readonly event?: TrackerEvent;
  readonly numwant?: number;
  readonly left?: number;
  readonly uploaded?: number;
  readonly downloaded?: number;
  readonly offers?: readonly TrackerOffer[];
  readonly extension?: ShoalAnnounceExtension;
}

/** Client side: an announce. `event: 'update'` is sent as no event, as WebTorrent does. */
export function formatAnnounce(fields: AnnounceFields): string {
  return JSON.stringify({
    action: 'announce',
    info_hash: fields.infoHash,
    peer_id: fields.peerId,
    ...(fields.event !== undefined && fields.event !== 'update' ? { event: fields.event } : {}),
    numwant: fields.numwant ?? fields.offers?.length ?? 0,
    ...(fields.left !== undefined ? { left: fields.left } : {}),
    uploaded: fields.uploaded ?? 0,
    downloaded: fields.downloaded ?? 0,
    ...(fields.offers !== undefined ? { offers: fields.offers.map((o) => ({ offer_id: o.offer_id, offer: { type: 'offer', sdp: o.offer.sdp } })) } : {}),
    ...(fields.extension !== undefined ? { shoal: fields.extension } : {}),
  });
}

/** Client side: an answer to an offer received from `toPeerId`. */
export function formatAnswer(infoHash: string, peerId: string, toPeerId: string, offerId: string, answer: SessionDescription): string {
  return JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: peerId, to_peer_id: toPeerId, offer_id: offerId, answer: { type: 'answer', sdp: answer.sdp } });
}

/** Client side: a scrape of one or more swarms. */
export function formatScrape(infoHashes: readonly string[]): string {
  return JSON.stringify({ action: 'scrape', info_hash: infoHashes.length === 1 ? infoHashes[0] : infoHashes });
}
