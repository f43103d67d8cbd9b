import { describe, expect, it } from 'vitest';
import {
  advertisedUpload,
  bestPeer,
  chooseSource,
  httpRank,
  httpTurnMs,
  uploadFanOut,
  giveUpOnPeer,
  httpEstimateMs,
  judgePeerFailure,
  judgePeerTransfer,
  nextHttpThroughput,
  resumeOverHttp,
  uploadAdmission,
  type PeerCandidate,
  type PeerFailure,
  type PeerTransfer,
  type PeerWatch,
  type RankedPlayer,
  type SourceInput,
} from './scheduler.js';

const peer = (peerId: string, state: PeerCandidate['state'], throughput?: number, activeDownloads = 0, failures = 0): PeerCandidate => ({
  peerId,
  state,
  throughput,
  activeDownloads,
  failures,
});

const base: SourceInput = {
  now: 10_000,
  deadline: 20_000,
  urgentWindowMs: 2_000,
  httpEstimateMs: 500,
  candidates: [],
  httpTurnInMs: Infinity,
  httpOnly: false,
  awaitingPeers: false,
};

describe('chooseSource', () => {
  it('skips holders whose uplink is full, and waits for the first to free up while the slack allows', () => {
    const busy = (id: string, ms: number): PeerCandidate => ({ ...peer(id, 'complete', 1e6), busyForMs: ms });
    expect(chooseSource({ ...base, candidates: [busy('a', 800), peer('b', 'loading', 1e3)] })).toEqual({ kind: 'peer', peerId: 'b' });
    expect(chooseSource({ ...base, candidates: [busy('a', 800), busy('b', 300)] })).toEqual({ kind: 'wait', maxWaitMs: 300 });
    // Elected or not: the segment is in the swarm, so a short wait beats another HTTP copy.
    expect(chooseSource({ ...base, httpTurnInMs: 0, candidates: [busy('a', 800)] })).toEqual({ kind: 'wait', maxWaitMs: 800 });
    // Not when freeing up comes after the slack: then HTTP, as when nobody holds it.
    expect(chooseSource({ ...base, httpTurnInMs: 0, candidates: [busy('a', 7_500)] })).toEqual({ kind: 'http' });
    expect(chooseSource({ ...base, httpTurnInMs: Infinity, candidates: [busy('a', 9_000)] })).toEqual({ kind: 'wait', maxWaitMs: 7_500 });
    // A busy time that ran out is free again.
    expect(chooseSource({ ...base, candidates: [busy('a', 0)] })).toEqual({ kind: 'peer', peerId: 'a' });
  });

  it('goes to HTTP inside the urgent window, whatever peers have', () => {
    expect(chooseSource({ ...base, now: 18_000, candidates: [peer('a', 'complete')] })).toEqual({ kind: 'http' });
    expect(chooseSource({ ...base, now: 17_500, candidates: [peer('a', 'complete')] })).toEqual({ kind: 'http' });
    expect(chooseSource({ ...base, now: 17_499, candidates: [peer('a', 'complete')] })).toEqual({ kind: 'peer', peerId: 'a' });
  });

  it('prefers a peer holding the whole segment over one still loading it', () => {
    expect(chooseSource({ ...base, candidates: [peer('loading', 'loading', 9e9), peer('whole', 'complete', 1e5)] })).toEqual({ kind: 'peer', peerId: 'whole' });
    expect(chooseSource({ ...base, candidates: [peer('loading', 'loading')] })).toEqual({ kind: 'peer', peerId: 'loading' });
  });

  it('fetches over HTTP when elected and nobody has it, otherwise waits for the slack', () => {
    expect(chooseSource({ ...base, httpTurnInMs: 0 })).toEqual({ kind: 'http' });
    expect(chooseSource(base)).toEqual({ kind: 'wait', maxWaitMs: 7_500 });
    expect(chooseSource({ ...base, deadline: undefined })).toEqual({ kind: 'wait', maxWaitMs: Infinity });
  });

  it('fetches over HTTP when its turn comes and nobody has the segment by then', () => {
    expect(chooseSource({ ...base, httpTurnInMs: 300 })).toEqual({ kind: 'wait', maxWaitMs: 300 });
    expect(chooseSource({ ...base, httpTurnInMs: -5 })).toEqual({ kind: 'http' });
    // A turn after the slack runs out changes nothing: the slack decides.
    expect(chooseSource({ ...base, httpTurnInMs: 9_000 })).toEqual({ kind: 'wait', maxWaitMs: 7_500 });
    // A peer loading it by then is taken instead.
    expect(chooseSource({ ...base, httpTurnInMs: -5, candidates: [peer('a', 'loading')] })).toEqual({ kind: 'peer', peerId: 'a' });
  });

  it('waits for peers to connect rather than electing itself alone, while the deadline allows', () => {
    expect(chooseSource({ ...base, httpTurnInMs: 0, awaitingPeers: true })).toEqual({ kind: 'wait', maxWaitMs: 7_500 });
    expect(chooseSource({ ...base, httpTurnInMs: 0, awaitingPeers: true, now: 17_500 })).toEqual({ kind: 'http' });
    // A live segment fetched ahead of the player has no deadline: the lone player fetches it.
    expect(chooseSource({ ...base, deadline: undefined, httpTurnInMs: 0, awaitingPeers: true })).toEqual({ kind: 'http' });
  });

  it('uses HTTP only when P2P is ruled out for the segment', () => {
    expect(chooseSource({ ...base, httpOnly: true, candidates: [peer('a', 'complete')] })).toEqual({ kind: 'http' });
  });
});

describe('bestPeer', () => {
  it('weighs throughput by transfers in flight and past failures', () => {
    expect(bestPeer([peer('slow', 'complete', 1e5), peer('fast', 'complete', 1e6)])!.peerId).toBe('fast');
    expect(bestPeer([peer('busy', 'complete', 1e6, 3), peer('idle', 'complete', 4e5)])!.peerId).toBe('idle');
    expect(bestPeer([peer('flaky', 'complete', 1e6, 0, 3), peer('steady', 'complete', 2e5)])!.peerId).toBe('steady');
    expect(bestPeer([])).toBeUndefined();
  });
});

describe('uploadFanOut', () => {
  it('uploads to as many peers at once as the uplink carries streams, at least two, at most the option', () => {
    // 930 kbit/s stream (116 kB/s): a 2 Mbit/s uplink's 225 kB/s carries 1.9 streams, 465 kB/s four.
    expect(uploadFanOut(225_000, 116_000, 10)).toBe(2);
    expect(uploadFanOut(465_000, 116_000, 10)).toBe(4);
    expect(uploadFanOut(100_000, 116_000, 10)).toBe(2);
    expect(uploadFanOut(5_000_000, 116_000, 10)).toBe(10);
    expect(uploadFanOut(465_000, 116_000, 1)).toBe(1);
    // Nothing known to divide by, or no limit: the option decides.
    expect(uploadFanOut(Infinity, 116_000, 10)).toBe(10);
    expect(uploadFanOut(465_000, 0, 10)).toBe(10);
  });
});

describe('httpTurnMs', () => {
  it('gives the elected no wait and each later rank one step more', () => {
    expect([0, 1, 2, 3].map((rank) => httpTurnMs(rank, 1, 100))).toEqual([0, 100, 200, 300]);
    expect([0, 1, 2, 3].map((rank) => httpTurnMs(rank, 2, 100))).toEqual([0, 0, 100, 200]);
    expect(httpTurnMs(4, 1, Infinity)).toBe(Infinity);
  });

  it('orders a fully connected group the same from every point of view: one player per turn', () => {
    // Equal uploads, unequal ones, and some that upload nothing: the order is total either way.
    for (const uploadOf of [() => 1, (i: number) => 100_000 * (1 + (i % 4)), (i: number) => (i % 3 === 0 ? 0 : 225_000)]) {
      const players = Array.from({ length: 10 }, (_, i) => ({ id: `peer-${i}`, upload: uploadOf(i) }));
      for (let segment = 0; segment < 100; segment++) {
        const ranks = players.map((p) => httpRank(p, players.filter((other) => other !== p), segment)).sort((a, b) => a - b);
        expect(ranks).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        // Counted up to a bound, a rank is the same below it and the bound above it.
        for (const p of players) {
          const others = players.filter((other) => other !== p);
          expect(httpRank(p, others, segment, 2)).toBe(Math.min(2, httpRank(p, others, segment)));
        }
      }
    }
  });
});

describe('the election for HTTP', () => {
  /** Whether `self` is among the `count` players elected to fetch `segment` over HTTP. */
  const electedForHttp = (self: RankedPlayer, neighbours: readonly RankedPlayer[], segment: number, count = 1): boolean =>
    httpTurnMs(httpRank(self, neighbours, segment, count), count, Infinity) === 0;
  const ids = Array.from({ length: 10 }, (_, i) => ({ id: `peer-${i}`, upload: 225_000 }));

  it('elects exactly one of a fully connected group, the same from every point of view', () => {
    for (let segment = 0; segment < 200; segment++) {
      const winners = ids.filter((id) => electedForHttp(id, ids.filter((other) => other !== id), segment));
      expect(winners).toHaveLength(1);
    }
  });

  it('rotates the election across segments', () => {
    const wins = new Map<string, number>();
    for (let segment = 0; segment < 1000; segment++) {
      const winner = ids.find((id) => electedForHttp(id, ids.filter((other) => other !== id), segment))!;
      wins.set(winner.id, (wins.get(winner.id) ?? 0) + 1);
    }
    expect(wins.size).toBe(10);
    for (const count of wins.values()) expect(count).toBeGreaterThan(50);
  });

  it('elects k players when asked, and a lone player always', () => {
    for (let segment = 0; segment < 50; segment++) {
      const winners = ids.filter((id) => electedForHttp(id, ids.filter((other) => other !== id), segment, 2));
      expect(winners).toHaveLength(2);
    }
    expect(electedForHttp({ id: 'alone', upload: 0 }, [], 7)).toBe(true);
  });

  it('elects each player in proportion to the upload it advertised', () => {
    // A fiber home, two cable homes, a DSL home (bytes per second of upload budget).
    const players = [
      { id: 'fiber', upload: 465_000 },
      { id: 'cable-1', upload: 232_000 },
      { id: 'cable-2', upload: 232_000 },
      { id: 'dsl', upload: 58_000 },
    ];
    const wins = new Map<string, number>();
    const segments = 20_000;
    for (let segment = 0; segment < segments; segment++) {
      const winners = players.filter((p) => electedForHttp(p, players.filter((other) => other !== p), segment));
      expect(winners).toHaveLength(1);
      wins.set(winners[0]!.id, (wins.get(winners[0]!.id) ?? 0) + 1);
    }
    const total = players.reduce((sum, p) => sum + p.upload, 0);
    for (const p of players) expect(Math.abs(wins.get(p.id)! / segments - p.upload / total)).toBeLessThan(0.02);
  });

  it('never elects a player that uploads nothing while one that uploads is there', () => {
    const players = [
      { id: 'saving-data', upload: 0 },
      { id: 'cellular', upload: 0 },
      { id: 'dsl', upload: 1 },
    ];
    for (let segment = 0; segment < 500; segment++) {
      expect(electedForHttp(players[2]!, players.slice(0, 2), segment)).toBe(true);
      expect(electedForHttp(players[0]!, players.slice(1), segment)).toBe(false);
    }
    // Among players that all upload nothing, one is still elected for each segment, and not always the same.
    const none = players.slice(0, 2);
    const first = new Set<string>();
    for (let segment = 0; segment < 50; segment++) {
      const winners = none.filter((p) => electedForHttp(p, none.filter((other) => other !== p), segment));
      expect(winners).toHaveLength(1);
      first.add(winners[0]!.id);
    }
    expect(first.size).toBe(2);
  });
});

describe('advertisedUpload', () => {
  it('advertises the budget in half-octave steps', () => {
    expect(advertisedUpload(undefined, 465_000)).toBe(Math.round(2 ** 19)); // 524 288: log2 465 000 = 18.83, nearest step 19
    expect(advertisedUpload(undefined, 112_000)).toBe(Math.round(2 ** 17)); // log2 = 16.77 rounds to 17
    expect(advertisedUpload(undefined, 92_000)).toBe(Math.round(2 ** 16.5));
    expect(advertisedUpload(undefined, 0)).toBe(0);
    expect(advertisedUpload(465_000, Number.NaN)).toBe(0);
    // Bounded, so that every step fits the message's u32.
    expect(advertisedUpload(undefined, Infinity)).toBe(2 ** 30);
  });

  it('keeps what it advertised until the rate moves a whole step away', () => {
    const advertised = advertisedUpload(undefined, 465_000);
    // Within half an octave either way: no news for the peers, however the meter wobbles.
    for (const rate of [advertised * 0.72, advertised * 0.9, advertised * 1.1, advertised * 1.4]) expect(advertisedUpload(advertised, rate)).toBe(advertised);
    expect(advertisedUpload(advertised, advertised * 1.45)).toBe(Math.round(2 ** 19.5));
    expect(advertisedUpload(advertised, advertised / 2)).toBe(2 ** 18);
    expect(advertisedUpload(advertised, 0)).toBe(0);
    expect(advertisedUpload(0, 465_000)).toBe(advertised);
  });
});

describe('uploadAdmission', () => {
  const load = { queuedBytes: 0, requestBytes: 200_000, rate: 150_000, maxQueueMs: 1_500 };

  it('always takes a request when nothing is in progress, however slow the uplink', () => {
    expect(uploadAdmission({ ...load, rate: 10_000 })).toEqual({ admit: true });
  });

  it('takes a request that leaves within the queue time with what is queued before it', () => {
    expect(uploadAdmission({ ...load, queuedBytes: 25_000 })).toEqual({ admit: true }); // 1.5 s exactly
    expect(uploadAdmission({ ...load, queuedBytes: 200_000, rate: 400_000 })).toEqual({ admit: true });
  });

  it('says busy past it, with the time until the queue has room for this request', () => {
    // 400 kB at 150 kB/s is 2667 ms: room in 1167 ms.
    expect(uploadAdmission({ ...load, queuedBytes: 200_000 })).toEqual({ admit: false, retryMs: 1_167 });
    // Never a retry so short it is only asked again in vain.
    expect(uploadAdmission({ ...load, queuedBytes: 26_000 })).toEqual({ admit: false, retryMs: 100 });
  });

  it('takes everything without a finite upload rate', () => {
    expect(uploadAdmission({ ...load, queuedBytes: 1e9, rate: Infinity })).toEqual({ admit: true });
  });
});

describe('resumeOverHttp', () => {
  it('lets HTTP finish from half the segment on; before that another peer continues', () => {
    expect(resumeOverHttp(100_000, 200_000)).toBe(true);
    expect(resumeOverHttp(150_000, 200_000)).toBe(true);
    expect(resumeOverHttp(99_999, 200_000)).toBe(false);
    expect(resumeOverHttp(0, 200_000)).toBe(false);
    // Size unknown: nothing to weigh, the scheduler chooses as usual.
    expect(resumeOverHttp(100_000, undefined)).toBe(false);
  });
});

describe('judgePeerTransfer', () => {
  // 200 kB due in 6 s; HTTP would take 400 ms; the urgent window is 500 ms.
  const transfer: PeerTransfer = {
    now: 1_000,
    startedAt: 0,
    lastProgressAt: 900,
    received: 50_000,
    remaining: 150_000,
    stallLimitMs: 1_000,
    deadline: 6_000,
    urgentWindowMs: 500,
    httpEstimateMs: 400,
  };

  it('keeps a peer whose rate finishes before the deadline', () => {
    // 50 kB/s: 150 kB more in 3 s, done at 4 s.
    expect(judgePeerTransfer(transfer)).toBeUndefined();
  });

  it('gives up on a rate that would finish past the deadline less the urgent window', () => {
    // 25 kB/s: 150 kB more in 6 s.
    expect(judgePeerTransfer({ ...transfer, received: 25_000 })).toBe('too slow');
  });

  it('projects no rate within the first 500 ms; past them, nothing received is too slow', () => {
    expect(judgePeerTransfer({ ...transfer, now: 500, lastProgressAt: 0, received: 0 })).toBeUndefined();
    expect(judgePeerTransfer({ ...transfer, now: 400, lastProgressAt: 300, received: 1_000 })).toBeUndefined();
    expect(judgePeerTransfer({ ...transfer, now: 501, lastProgressAt: 0, received: 0 })).toBe('too slow');
  });

  it('calls silence past the stall limit a stall, whatever the deadline', () => {
    expect(judgePeerTransfer({ ...transfer, lastProgressAt: -1, deadline: undefined })).toBe('stalled');
    expect(judgePeerTransfer({ ...transfer, now: 1_001, lastProgressAt: 0, received: 0 })).toBe('stalled');
  });

  it('hands over to HTTP when only the time HTTP needs is left', () => {
    // 6 000 − 500 − 400 = 5 100.
    expect(judgePeerTransfer({ ...transfer, now: 5_099, lastProgressAt: 5_000, received: 190_000, remaining: 10_000 })).toBeUndefined();
    expect(judgePeerTransfer({ ...transfer, now: 5_100, lastProgressAt: 5_000, received: 190_000, remaining: 10_000 })).toBe('deadline');
  });

  it('never gives up on a transfer without a deadline unless it stalls', () => {
    expect(judgePeerTransfer({ ...transfer, deadline: undefined, received: 1 })).toBeUndefined();
  });
});

describe('giveUpOnPeer', () => {
  const watch: PeerWatch = {
    now: 1_000,
    startedAt: 0,
    lastProgressAt: 900,
    held: 200_000,
    heldAtStart: 0,
    total: 1_000_000,
    rangeLength: undefined,
    peerState: 'complete',
    peerStallMs: 400,
    deadline: 10_000,
    urgentWindowMs: 1_000,
    httpEstimateMs: 500,
  };

  it('keeps a peer that delivers in time', () => {
    // 200 kB in 1 s, 800 kB to go: done at 5 s, well before the deadline.
    expect(giveUpOnPeer(watch)).toBeUndefined();
  });

  it('allows a peer still loading the segment three times the stall limit', () => {
    const silent = { ...watch, lastProgressAt: 0, now: 1_000, deadline: undefined };
    expect(giveUpOnPeer(silent)).toEqual({ verdict: 'stalled', httpOnly: false });
    expect(giveUpOnPeer({ ...silent, peerState: 'loading' })).toBeUndefined();
    expect(giveUpOnPeer({ ...silent, peerState: 'loading', now: 1_201 })).toEqual({ verdict: 'stalled', httpOnly: false });
  });

  it('hands the rest to HTTP at the deadline, or past half the segment', () => {
    expect(giveUpOnPeer({ ...watch, now: 8_600, lastProgressAt: 8_500 })).toEqual({ verdict: 'deadline', httpOnly: true });
    const stalledLate = { ...watch, lastProgressAt: 0, deadline: undefined };
    expect(giveUpOnPeer({ ...stalledLate, held: 499_999 })?.httpOnly).toBe(false);
    expect(giveUpOnPeer({ ...stalledLate, held: 500_000 })?.httpOnly).toBe(true);
  });

  it('projects the rest from the byte range while no source declared a size', () => {
    // 100 kB in 1 s, 900 kB to go: done at 10 s, past the deadline less the urgent window.
    expect(giveUpOnPeer({ ...watch, held: 100_000, total: undefined, rangeLength: 1_000_000 })).toEqual({ verdict: 'too slow', httpOnly: false });
    // Without a known size only one more byte is assumed: never too slow.
    expect(giveUpOnPeer({ ...watch, held: 100_000, total: undefined })).toBeUndefined();
  });
});

describe('judgePeerFailure', () => {
  const failure: PeerFailure = { code: 'SHOAL_ERR_ABORTED', peerReady: true, progressed: false, claimedComplete: true, fruitlessRequests: 0, maxFruitless: 3 };

  it('takes a busy answer as no fault', () => {
    expect(judgePeerFailure({ ...failure, code: 'SHOAL_ERR_PEER_BUSY', fruitlessRequests: 2 })).toEqual({ exclude: false, banForProtocol: false, banForSilence: false, fruitlessRequests: 2 });
  });

  it('bans a peer that broke the protocol, and excludes it from the segment', () => {
    expect(judgePeerFailure({ ...failure, code: 'SHOAL_ERR_PEER_PROTOCOL', progressed: true })).toEqual({ exclude: true, banForProtocol: true, banForSilence: false, fruitlessRequests: 0 });
  });

  it('bans a peer that claims complete copies and sends nothing, the third time in a row', () => {
    expect(judgePeerFailure(failure)).toMatchObject({ banForSilence: false, fruitlessRequests: 1 });
    expect(judgePeerFailure({ ...failure, fruitlessRequests: 2 })).toMatchObject({ exclude: true, banForSilence: true, fruitlessRequests: 3 });
  });

  it('clears the record of a peer that sent bytes or answered it has no copy', () => {
    expect(judgePeerFailure({ ...failure, fruitlessRequests: 2, progressed: true })).toMatchObject({ banForSilence: false, fruitlessRequests: 0 });
    expect(judgePeerFailure({ ...failure, fruitlessRequests: 2, code: 'SHOAL_ERR_PEER_GONE' })).toMatchObject({ banForSilence: false, fruitlessRequests: 0 });
    // Gone for real (disconnected): no answer, the record stands.
    expect(judgePeerFailure({ ...failure, fruitlessRequests: 2, code: 'SHOAL_ERR_PEER_GONE', peerReady: false })).toMatchObject({ banForSilence: true });
  });

  it('counts nothing against a relay that said it was still loading', () => {
    expect(judgePeerFailure({ ...failure, claimedComplete: false, fruitlessRequests: 2 })).toEqual({ exclude: true, banForProtocol: false, banForSilence: false, fruitlessRequests: 2 });
  });
});

describe('nextHttpThroughput', () => {
  it('starts from the first transfer big enough to measure, then smooths', () => {
    expect(nextHttpThroughput(undefined, 49_999, 100)).toBeUndefined();
    expect(nextHttpThroughput(undefined, 100_000, 0)).toBeUndefined();
    expect(nextHttpThroughput(undefined, 100_000, 100)).toBe(1_000_000);
    expect(nextHttpThroughput(1_000_000, 200_000, 100)).toBeCloseTo(1_300_000);
    expect(nextHttpThroughput(1_000_000, 10_000, 1)).toBe(1_000_000);
  });

  it('estimates the time HTTP needs, a request latency included', () => {
    expect(httpEstimateMs(500_000, 1_000_000)).toBe(650);
    expect(httpEstimateMs(-5, 1_000_000)).toBe(150);
  });
});
