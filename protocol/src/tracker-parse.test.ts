import { describe, expect, it } from 'vitest';
import {
  formatAnnounce,
  formatAnnounceReply,
  formatAnnounceReplyExtension,
  formatAnswer,
  formatFailure,
  formatRelayedAnswer,
  formatRelayedOffer,
  formatScrape,
  formatScrapeReply,
  jsonString,
} from './tracker-format.js';
import { isTrackerId, randomTrackerId, trackerIdFromBytes, trackerIdFromHex, trackerIdToBytes, trackerIdToHex } from './tracker-ids.js';
import { DEFAULT_TRACKER_PARSE_LIMITS, type TrackerParseResult } from './tracker-messages.js';
import { parseTrackerReply, parseTrackerRequest } from './tracker-parse.js';

// Ids with every awkward byte: NUL, quote, backslash, control characters and bytes above 0x7f.
const INFO_HASH = String.fromCharCode(0, 34, 92, 10, 0x7f, 0x80, 0xff, ...Array.from({ length: 13 }, (_, i) => 200 + i));
const PEER_A = randomTrackerId('-SH0100-');
const PEER_B = randomTrackerId('-WW0208-');
const OFFER_ID = randomTrackerId();
const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n';

const reason = (result: TrackerParseResult): string | undefined => (result.ok ? undefined : result.error.reason);

describe('tracker ids', () => {
  it('round-trips bytes, hex and binary strings', () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => i * 13);
    const id = trackerIdFromBytes(bytes);
    expect(isTrackerId(id)).toBe(true);
    expect(trackerIdToBytes(id)).toEqual(bytes);
    expect(trackerIdFromHex(trackerIdToHex(id))).toBe(id);
    expect(trackerIdToHex(id)).toBe(Buffer.from(bytes).toString('hex'));
    expect(randomTrackerId('-SH0100-').startsWith('-SH0100-')).toBe(true);
  });

  it('refuses wrong lengths, non-strings and characters above one byte', () => {
    expect(isTrackerId('a'.repeat(19))).toBe(false);
    expect(isTrackerId('a'.repeat(21))).toBe(false);
    expect(isTrackerId('a'.repeat(19) + 'Ā')).toBe(false);
    expect(isTrackerId(1234567890)).toBe(false);
    expect(trackerIdFromHex('zz'.repeat(20))).toBeUndefined();
    expect(() => trackerIdFromBytes(new Uint8Array(19))).toThrow(RangeError);
  });
});

describe('parseTrackerRequest', () => {
  it('reads what the bittorrent-tracker client sends, ignoring fields it does not use', () => {
    const text = JSON.stringify({
      action: 'announce',
      info_hash: INFO_HASH,
      peer_id: PEER_A,
      event: 'started',
      numwant: 5,
      uploaded: 0,
      downloaded: 0,
      left: null,
      trackerid: 'whatever',
      offers: [{ offer_id: OFFER_ID, offer: { type: 'offer', sdp: SDP, extra: 'dropped' } }],
    });
    const result = parseTrackerRequest(text);
    expect(result).toEqual({
      ok: true,
      request: {
        kind: 'announce',
        infoHash: INFO_HASH,
        peerId: PEER_A,
        event: 'started',
        numwant: 5,
        left: undefined,
        offers: [{ offer_id: OFFER_ID, offer: { type: 'offer', sdp: SDP } }],
        extension: undefined,
      },
    });
  });

  it('maps missing, empty, "empty" and "paused" events to update', () => {
    for (const event of [undefined, '', 'empty', 'paused', 'update']) {
      const result = parseTrackerRequest(JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, event }));
      expect(result.ok && result.request.kind === 'announce' && result.request.event).toBe('update');
    }
  });

  it('reads answers and scrapes', () => {
    const answer = parseTrackerRequest(formatAnswer(INFO_HASH, PEER_B, PEER_A, OFFER_ID, { type: 'answer', sdp: SDP }));
    expect(answer).toEqual({
      ok: true,
      request: { kind: 'answer', infoHash: INFO_HASH, peerId: PEER_B, toPeerId: PEER_A, offerId: OFFER_ID, answer: { type: 'answer', sdp: SDP } },
    });
    expect(parseTrackerRequest(formatScrape([INFO_HASH]))).toEqual({ ok: true, request: { kind: 'scrape', infoHashes: [INFO_HASH] } });
    expect(parseTrackerRequest(formatScrape([INFO_HASH, PEER_A]))).toEqual({ ok: true, request: { kind: 'scrape', infoHashes: [INFO_HASH, PEER_A] } });
  });

  it('reads the Shoal extension and refuses known fields of the wrong type', () => {
    const announce = (shoal: unknown): TrackerParseResult =>
      parseTrackerRequest(JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, shoal }));
    const ok = announce({ v: 1, position: 1_700_000_000.5, playing: false, bitrate: 2_500_000, future: 'ignored' });
    expect(ok.ok && ok.request.kind === 'announce' && ok.request.extension).toEqual({ v: 1, position: 1_700_000_000.5, playing: false, bitrate: 2_500_000 });
    for (const bad of [null, [], 'x', { v: 2 }, { position: -1 }, { position: '3' }, { playing: 1 }, { bitrate: 1.5 }, { bitrate: 0 }]) {
      expect(reason(announce(bad))).toBe('bad_extension');
    }
  });

  it('reads connection outcomes in the extension and refuses malformed ones', () => {
    const announce = (shoal: unknown): TrackerParseResult =>
      parseTrackerRequest(JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, shoal }));
    const ok = announce({ v: 1, reach: { ok: 2, failed: 5 }, failedPeers: [PEER_B] });
    expect(ok.ok && ok.request.kind === 'announce' && ok.request.extension).toEqual({ v: 1, reach: { ok: 2, failed: 5 }, failedPeers: [PEER_B] });
    const tooMany = Array.from({ length: 33 }, () => PEER_B);
    for (const bad of [{ reach: { ok: -1, failed: 0 } }, { reach: { ok: 1 } }, { reach: 3 }, { failedPeers: ['short'] }, { failedPeers: PEER_B }, { failedPeers: tooMany }]) {
      expect(reason(announce(bad))).toBe('bad_extension');
    }
  });

  it('reads the ICE servers of a Shoal announce reply and ignores a malformed list', () => {
    const ih = jsonString(INFO_HASH);
    const servers = [{ urls: 'stun:edge.example:3478' }, { urls: ['turn:edge.example:3478?transport=udp'], username: '1700000000:abc', credential: 'c2VjcmV0' }];
    const reply = parseTrackerReply(formatAnnounceReply(ih, 60, 1, 2, formatAnnounceReplyExtension({ iceServers: servers })));
    expect(reply).toEqual({ kind: 'announce-reply', infoHash: INFO_HASH, interval: 60, complete: 1, incomplete: 2, iceServers: servers });
    for (const bad of [{ iceServers: 'stun:x' }, { iceServers: [{ urls: 'http://x' }] }, { iceServers: [{ urls: [] }] }, { iceServers: [{ urls: 'stun:x', username: 5 }] }]) {
      const parsed = parseTrackerReply(formatAnnounceReply(ih, 60, 1, 2, JSON.stringify(bad)));
      expect(parsed).toMatchObject({ kind: 'announce-reply', complete: 1, iceServers: undefined });
    }
  });

  it.each([
    ['not JSON', '{"action":', 'bad_json'],
    ['an array', '[1,2]', 'bad_json'],
    ['null', 'null', 'bad_json'],
    ['a number', '42', 'bad_json'],
    ['unknown action', JSON.stringify({ action: 'connect' }), 'bad_action'],
    ['short info_hash', JSON.stringify({ action: 'announce', info_hash: 'abc', peer_id: PEER_A }), 'bad_info_hash'],
    ['numeric info_hash', JSON.stringify({ action: 'announce', info_hash: 1, peer_id: PEER_A }), 'bad_info_hash'],
    ['wide characters', JSON.stringify({ action: 'announce', info_hash: 'Ā'.repeat(20), peer_id: PEER_A }), 'bad_info_hash'],
    ['missing peer_id', JSON.stringify({ action: 'announce', info_hash: INFO_HASH }), 'bad_peer_id'],
    ['unknown event', JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, event: 'exploded' }), 'bad_event'],
    ['string numwant', JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, numwant: '5' }), 'bad_numwant'],
    ['negative numwant', JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, numwant: -1 }), 'bad_numwant'],
    ['negative left', JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, left: -3 }), 'bad_left'],
    ['offers object', JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, offers: {} }), 'bad_offers'],
    ['offer without sdp', JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, offers: [{ offer_id: OFFER_ID, offer: { type: 'offer' } }] }), 'bad_offers'],
    ['answer posing as offer', JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, offers: [{ offer_id: OFFER_ID, offer: { type: 'answer', sdp: SDP } }] }), 'bad_offers'],
    ['bad offer id', JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, offers: [{ offer_id: 'x', offer: { type: 'offer', sdp: SDP } }] }), 'bad_offers'],
    ['answer without to_peer_id', JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, offer_id: OFFER_ID, answer: { type: 'answer', sdp: SDP } }), 'bad_answer'],
    ['empty scrape', JSON.stringify({ action: 'scrape' }), 'bad_scrape'],
    ['scrape of garbage', JSON.stringify({ action: 'scrape', info_hash: [INFO_HASH, 7] }), 'bad_scrape'],
  ])('refuses %s', (_name, text, expected) => {
    expect(reason(parseTrackerRequest(text))).toBe(expected);
  });

  it('enforces the offer, SDP and scrape bounds', () => {
    const limits = { ...DEFAULT_TRACKER_PARSE_LIMITS, maxOffers: 2, maxSdpLength: 10, maxScrapeHashes: 2 };
    const offers = (n: number, sdp = 'v=0') => Array.from({ length: n }, () => ({ offer_id: randomTrackerId(), offer: { type: 'offer', sdp } }));
    const announce = (o: unknown) => JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: PEER_A, offers: o });
    expect(parseTrackerRequest(announce(offers(2)), limits).ok).toBe(true);
    expect(reason(parseTrackerRequest(announce(offers(3)), limits))).toBe('too_many_offers');
    expect(reason(parseTrackerRequest(announce(offers(1, 'x'.repeat(11))), limits))).toBe('bad_offers');
    expect(reason(parseTrackerRequest(formatScrape([INFO_HASH, INFO_HASH, INFO_HASH]), limits))).toBe('bad_scrape');
  });

  it('keeps the action and a valid info_hash for the failure reply', () => {
    const result = parseTrackerRequest(JSON.stringify({ action: 'announce', info_hash: INFO_HASH, peer_id: 'short' }));
    expect(result).toMatchObject({ ok: false, error: { reason: 'bad_peer_id', action: 'announce', infoHash: INFO_HASH } });
  });
});

describe('formatters', () => {
  it('produce the documented objects, whatever bytes the ids hold', () => {
    const ih = jsonString(INFO_HASH);
    expect(JSON.parse(formatAnnounceReply(ih, 60, 1, 2))).toEqual({ action: 'announce', info_hash: INFO_HASH, interval: 60, complete: 1, incomplete: 2 });
    expect(JSON.parse(formatRelayedOffer(ih, jsonString(PEER_A), OFFER_ID, SDP))).toEqual({
      action: 'announce',
      info_hash: INFO_HASH,
      peer_id: PEER_A,
      offer_id: OFFER_ID,
      offer: { type: 'offer', sdp: SDP },
    });
    expect(JSON.parse(formatRelayedAnswer(ih, jsonString(PEER_B), OFFER_ID, SDP))).toEqual({
      action: 'announce',
      info_hash: INFO_HASH,
      peer_id: PEER_B,
      offer_id: OFFER_ID,
      answer: { type: 'answer', sdp: SDP },
    });
    expect(JSON.parse(formatScrapeReply([{ infoHash: INFO_HASH, complete: 3, incomplete: 4 }], 60))).toEqual({
      action: 'scrape',
      files: { [INFO_HASH]: { complete: 3, incomplete: 4, downloaded: 3 } },
      flags: { min_request_interval: 60 },
    });
    expect(JSON.parse(formatFailure('nope', 'SHOAL_ERR_X', 'announce', INFO_HASH))).toEqual({
      action: 'announce',
      info_hash: INFO_HASH,
      'failure reason': 'nope',
      shoal_error: 'SHOAL_ERR_X',
    });
  });

  it('round-trip through the parsers on both sides', () => {
    const announce = formatAnnounce({
      infoHash: INFO_HASH,
      peerId: PEER_A,
      event: 'started',
      offers: [{ offer_id: OFFER_ID, offer: { type: 'offer', sdp: SDP } }],
      extension: { v: 1, position: 12.5 },
    });
    expect(parseTrackerRequest(announce)).toMatchObject({
      ok: true,
      request: { kind: 'announce', event: 'started', numwant: 1, offers: [{ offer_id: OFFER_ID }], extension: { v: 1, position: 12.5 } },
    });
    const ih = jsonString(INFO_HASH);
    expect(parseTrackerReply(formatAnnounceReply(ih, 60, 1, 2))).toEqual({ kind: 'announce-reply', infoHash: INFO_HASH, interval: 60, complete: 1, incomplete: 2, iceServers: undefined });
    expect(parseTrackerReply(formatRelayedOffer(ih, jsonString(PEER_A), OFFER_ID, SDP))).toEqual({
      kind: 'offer',
      infoHash: INFO_HASH,
      peerId: PEER_A,
      offerId: OFFER_ID,
      offer: { type: 'offer', sdp: SDP },
    });
    expect(parseTrackerReply(formatRelayedAnswer(ih, jsonString(PEER_B), OFFER_ID, SDP))).toMatchObject({ kind: 'answer', peerId: PEER_B });
    expect(parseTrackerReply(formatFailure('nope', 'SHOAL_ERR_X', 'announce', INFO_HASH))).toEqual({
      kind: 'failure',
      infoHash: INFO_HASH,
      reason: 'nope',
      code: 'SHOAL_ERR_X',
    });
    const scrape = parseTrackerReply(formatScrapeReply([{ infoHash: INFO_HASH, complete: 3, incomplete: 4 }], 60));
    expect(scrape?.kind === 'scrape-reply' && scrape.files.get(INFO_HASH)).toEqual({ complete: 3, incomplete: 4, downloaded: 3 });
    expect(parseTrackerReply('{"action":"announce","info_hash":"short"}')).toBeUndefined();
    expect(parseTrackerReply('garbage')).toBeUndefined();
  });
});
