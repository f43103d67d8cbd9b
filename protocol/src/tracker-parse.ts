import { isTrackerId } from './tracker-ids.js';
import {
  DEFAULT_TRACKER_PARSE_LIMITS,
  MAX_FAILED_PEERS,
  MAX_ICE_SERVERS,
  type IceServerEntry,
  TRACKER_PARSE_ERRORS,
  type SessionDescription,
  type ShoalAnnounceExtension,
  type TrackerEvent,
  type TrackerOffer,
  type TrackerParseErrorReason,
  type TrackerParseLimits,
  type TrackerParseResult,
  type TrackerReply,
} from './tracker-messages.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(reason: TrackerParseErrorReason, action: 'announce' | 'scrape' | undefined, infoHash: unknown): TrackerParseResult {
  return {
    ok: false,
    error: { reason, message: TRACKER_PARSE_ERRORS[reason], action, infoHash: isTrackerId(infoHash) ? infoHash : undefined },
  };
}

function parseDescription(value: unknown, type: 'offer' | 'answer', maxSdpLength: number): SessionDescription | undefined {
  if (!isObject(value) || value.type !== type) return undefined;
  const sdp = value.sdp;
  if (typeof sdp !== 'string' || sdp.length === 0 || sdp.length > maxSdpLength) return undefined;
  return { type, sdp };
}

function parseEvent(value: unknown): TrackerEvent | undefined {
  switch (value) {
    case undefined:
    case null:
    case '':
    case 'empty':
    case 'update':
    case 'paused':
      return 'update';
    case 'started':
    case 'stopped':
    case 'completed':
      return value;
    default:
      return undefined;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && !Number.isNaN(value);
}

/** null when present but malformed, undefined when absent. */
function parseExtension(value: unknown): ShoalAnnounceExtension | undefined | null {
  if (value === undefined) return undefined;
  if (!isObject(value)) return null;
  const { v, position, playing, bitrate, reach, failedPeers } = value;
  if (v !== undefined && v !== 1) return null;
  if (position !== undefined && !(typeof position === 'number' && Number.isFinite(position) && position >= 0)) return null;
  if (playing !== undefined && typeof playing !== 'boolean') return null;
  if (bitrate !== undefined && !(Number.isInteger(bitrate) && (bitrate as number) > 0 && (bitrate as number) <= 1e10)) return null;
  const wholeCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (reach !== undefined && !(isObject(reach) && wholeCount(reach.ok) && wholeCount(reach.failed))) return null;
  if (failedPeers !== undefined && !(Array.isArray(failedPeers) && failedPeers.length <= MAX_FAILED_PEERS && failedPeers.every(isTrackerId))) return null;
  const out: { v?: 1; position?: number; playing?: boolean; bitrate?: number; reach?: { ok: number; failed: number }; failedPeers?: string[] } = {};
  if (v !== undefined) out.v = 1;
  if (position !== undefined) out.position = position;
  if (playing !== undefined) out.playing = playing;
  if (bitrate !== undefined) out.bitrate = bitrate as number;
  if (reach !== undefined) out.reach = { ok: reach.ok as number, failed: reach.failed as number };
  if (failedPeers !== undefined) out.failedPeers = failedPeers as string[];
  return out;
}

function parseOffers(value: unknown, limits: TrackerParseLimits): readonly TrackerOffer[] | TrackerParseErrorReason {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return 'bad_offers';
  if (value.length > limits.maxOffers) return 'too_many_offers';
  const offers: TrackerOffer[] = new Array<TrackerOffer>(value.length);
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (!isObject(item) || !isTrackerId(item.offer_id)) return 'bad_offers';
    const offer = parseDescription(item.offer, 'offer', limits.maxSdpLength);
    if (!offer) return 'bad_offers';
    offers[i] = { offer_id: item.offer_id, offer };
  }
  return offers;
}

/**
 * Validates one text frame from a client. Never throws: malformed input comes back as `{ ok: false, error }`
 * with the reason and, where readable, the action and info_hash to put in the failure reply. Only fields the
 * tracker uses are checked; informational ones (`uploaded`, `downloaded`, `trackerid`, …) are ignored.
 *
 * @example
 * const result = parseTrackerRequest(frame, DEFAULT_TRACKER_PARSE_LIMITS);
 * if (!result.ok) reply({ 'failure reason': result.error.message });
 */
export function parseTrackerRequest(text: string, limits: TrackerParseLimits = DEFAULT_TRACKER_PARSE_LIMITS): TrackerParseResult {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return fail('bad_json', undefined, undefined);
  }
  if (!isObject(message)) return fail('bad_json', undefined, undefined);
  const { action, info_hash: infoHash } = message;

  if (action === 'scrape') {
    const hashes = typeof infoHash === 'string' ? [infoHash] : infoHash;
    if (!Array.isArray(hashes) || hashes.length === 0 || hashes.length > limits.maxScrapeHashes) return fail('bad_scrape', 'scrape', undefined);
    for (const hash of hashes) if (!isTrackerId(hash)) return fail('bad_scrape', 'scrape', undefined);
    return { ok: true, request: { kind: 'scrape', infoHashes: hashes as string[] } };
  }
  if (action !== 'announce') return fail('bad_action', undefined, infoHash);
  if (!isTrackerId(infoHash)) return fail('bad_info_hash', 'announce', undefined);
  const peerId = message.peer_id;
  if (!isTrackerId(peerId)) return fail('bad_peer_id', 'announce', infoHash);

  if (message.answer !== undefined) {
    const toPeerId = message.to_peer_id;
    const offerId = message.offer_id;
    const answer = parseDescription(message.answer, 'answer', limits.maxSdpLength);
    if (!isTrackerId(toPeerId) || !isTrackerId(offerId) || !answer) return fail('bad_answer', 'announce', infoHash);
    return { ok: true, request: { kind: 'answer', infoHash, peerId, toPeerId, offerId, answer } };
  }

  const event = parseEvent(message.event);
  if (!event) return fail('bad_event', 'announce', infoHash);
  const { numwant, left } = message;
  if (numwant !== undefined && numwant !== null && !isCount(numwant)) return fail('bad_numwant', 'announce', infoHash);
  // `left: Infinity` arrives as null after JSON.stringify; both mean "unknown".
  if (left !== undefined && left !== null && !isCount(left)) return fail('bad_left', 'announce', infoHash);
  const offers = parseOffers(message.offers, limits);
  if (typeof offers === 'string') return fail(offers, 'announce', infoHash);
  const extension = parseExtension(message.shoal);
  if (extension === null) return fail('bad_extension', 'announce', infoHash);
  return {
    ok: true,
    request: {
      kind: 'announce',
      infoHash,
      peerId,
      event,
      numwant: isCount(numwant) ? Math.floor(numwant) : undefined,
      left: isCount(left) ? left : undefined,
      offers,
      extension,
    },
  };
}

const ICE_URL = /^(stun|stuns|turn|turns):[^\s]{1,512}$/;

/**
 * The ICE servers of a Shoal announce reply (`shoal.iceServers`); undefined when absent or malformed, so a
 * bad extension never breaks the announce itself.
 */
function parseIceServers(value: unknown): readonly IceServerEntry[] | undefined {
  if (!isObject(value) || !Array.isArray(value.iceServers) || value.iceServers.length > MAX_ICE_SERVERS) return undefined;
  const servers: IceServerEntry[] = [];
  for (const item of value.iceServers as unknown[]) {
    if (!isObject(item)) return undefined;
    const urls = typeof item.urls === 'string' ? [item.urls] : item.urls;
    if (!Array.isArray(urls) || urls.length === 0 || urls.length > 8 || !urls.every((u) => typeof u === 'string' && ICE_URL.test(u))) return undefined;
    const { username, credential } = item;
    if (username !== undefined && !(typeof username === 'string' && username.length <= 512)) return undefined;
    if (credential !== undefined && !(typeof credential === 'string' && credential.length <= 512)) return undefined;
    servers.push({
      urls: typeof item.urls === 'string' ? item.urls : (urls as string[]),
      ...(username !== undefined ? { username } : {}),
      ...(credential !== undefined ? { credential } : {}),
    });
  }
  return servers;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}

/**
 * Validates one text frame from a tracker (a Shoal edge or any WebTorrent tracker). undefined for anything
 * that is not a well-formed reply; the client ignores those.
 */
export function parseTrackerReply(text: string, maxSdpLength = DEFAULT_TRACKER_PARSE_LIMITS.maxSdpLength): TrackerReply | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(message)) return undefined;
  const failure = message['failure reason'];
  if (typeof failure === 'string') {
    return {
      kind: 'failure',
      infoHash: isTrackerId(message.info_hash) ? message.info_hash : undefined,
      reason: failure,
      code: typeof message.shoal_error === 'string' ? message.shoal_error : undefined,
    };
  }
  if (message.action === 'scrape') {
    if (!isObject(message.files)) return undefined;
    const files = new Map<string, { complete: number; incomplete: number; downloaded: number }>();
    for (const [hash, stats] of Object.entries(message.files)) {
      if (!isTrackerId(hash) || !isObject(stats)) continue;
      files.set(hash, { complete: count(stats.complete), incomplete: count(stats.incomplete), downloaded: count(stats.downloaded) });
    }
    return { kind: 'scrape-reply', files };
  }
  if (message.action !== 'announce' || !isTrackerId(message.info_hash)) return undefined;
  const infoHash = message.info_hash;
  if (message.offer !== undefined || message.answer !== undefined) {
    if (!isTrackerId(message.peer_id) || !isTrackerId(message.offer_id)) return undefined;
    if (message.offer !== undefined) {
      const offer = parseDescription(message.offer, 'offer', maxSdpLength);
      return offer && { kind: 'offer', infoHash, peerId: message.peer_id, offerId: message.offer_id, offer };
    }
    const answer = parseDescription(message.answer, 'answer', maxSdpLength);
    return answer && { kind: 'answer', infoHash, peerId: message.peer_id, offerId: message.offer_id, answer };
  }
  const interval = typeof message.interval === 'number' && message.interval > 0 ? message.interval : undefined;
  return {
    kind: 'announce-reply',
    infoHash,
    interval,
    complete: count(message.complete),
    incomplete: count(message.incomplete),
    iceServers: parseIceServers(message.shoal),
  };
}
