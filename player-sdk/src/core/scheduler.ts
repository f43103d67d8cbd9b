/**
 * Pure scheduling decisions: where the bytes of one segment should come from, and which player of a swarm
 * fetches a new live segment over HTTP. No clocks or sockets here; the swarm feeds in what it knows.
 */

export interface PeerCandidate {
  readonly peerId: string;
  readonly state: 'complete' | 'loading';
  /** Measured bytes per second, undefined before the first transfer. */
  readonly throughput: number | undefined;
  readonly activeDownloads: number;
  readonly failures: number;
  /** The peer answered 'busy' (its uplink is full): ms until it may take a request again. Absent or 0: free. */
  readonly busyForMs?: number;
}

export interface SourceInput {
  readonly now: number;
  /** When the player needs the segment (ms, same clock as now); undefined for a prefetch. */
  readonly deadline: number | undefined;
  /** Inside this many ms of the deadline, only HTTP is used. */
  readonly urgentWindowMs: number;
  /** How long HTTP would take for the bytes still missing, in ms. */
  readonly httpEstimateMs: number;
  readonly candidates: readonly PeerCandidate[];
  /**
   * Ms until this player fetches the segment over HTTP if no peer has it by then (see httpTurnMs): 0 or less
   * for the player elected to bring it into the swarm, Infinity for one that never does.
   */
  readonly httpTurnInMs: number;
  /** P2P is not allowed for this segment (integrity required but no digest, or a digest mismatch already). */
  readonly httpOnly: boolean;
  /** P2P is possible but no peer is connected yet (the player just joined): an election among none means nothing. */
  readonly awaitingPeers: boolean;
}

export type SourceDecision =
  | { readonly kind: 'http' }
  | { readonly kind: 'peer'; readonly peerId: string }
  /** Wait for a peer to announce the segment, at most `maxWaitMs` (Infinity: until the player asks). */
  | { readonly kind: 'wait'; readonly maxWaitMs: number };

/** Throughput assumed for a peer not measured yet: good enough to be tried, worse than a proven one. */
const UNMEASURED_THROUGHPUT = 500_000;

/** Picks the peer expected to deliver soonest: measured throughput shared by its transfers in flight. */
export function bestPeer(candidates: readonly PeerCandidate[]): PeerCandidate | undefined {
  let best: PeerCandidate | undefined;
  let bestScore = -Infinity;
  for (const candidate of candidates) {
    const score = ((candidate.throughput ?? UNMEASURED_THROUGHPUT) / (1 + candidate.activeDownloads)) * 0.5 ** candidate.failures;
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

export function chooseSource(input: SourceInput): SourceDecision {
  if (input.httpOnly) return { kind: 'http' };
  const slackMs = input.deadline === undefined ? Infinity : input.deadline - input.now - input.urgentWindowMs - input.httpEstimateMs;
  if (slackMs <= 0) return { kind: 'http' };
  const free = input.candidates.filter((c) => !((c.busyForMs ?? 0) > 0));
  const complete = bestPeer(free.filter((c) => c.state === 'complete'));
  if (complete) return { kind: 'peer', peerId: complete.peerId };
  const loading = bestPeer(free.filter((c) => c.state === 'loading'));
  if (loading) return { kind: 'peer', peerId: loading.peerId };
  // The segment is in the swarm but every holder's uplink is full: wait for the first to free up while the
  // slack allows (another HTTP copy is what a full uplink must not cause), then ask again.
  const soonestFree = Math.min(...input.candidates.map((c) => c.busyForMs ?? 0));
  if (input.candidates.length > 0 && soonestFree < slackMs) return { kind: 'wait', maxWaitMs: soonestFree };
  // Alone, a player would elect itself; while peers may still connect and the player can afford to wait,
  // it waits for them instead.
  if (input.httpTurnInMs <= 0 && !(input.awaitingPeers && input.deadline !== undefined)) return { kind: 'http' };
  return { kind: 'wait', maxWaitMs: input.httpTurnInMs > 0 ? Math.min(slackMs, input.httpTurnInMs) : slackMs };
}

/** 32-bit FNV-1a with a final avalanche, enough to spread (peer, segment) pairs evenly. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A player in the election for HTTP: its id and the upload rate it advertised (bytes per second, 0: none). */
export interface RankedPlayer {
  readonly id: string;
  readonly upload: number;
}

/** A player's score in the election for `segment`: higher wins (weighted rendezvous hashing). */
function electionScore(player: RankedPlayer, hash: number): number {
  if (!(player.upload > 0)) return 0;
  // upload / -ln(u), u uniform in (0, 1): each player is first with a probability proportional to its upload.
  return player.upload / -Math.log((hash + 0.5) / 4294967296);
}

/**
 * Weighted rendezvous hashing: the rank of `self` among itself and its neighbours for `segment`, 0 for the
 * first, counted up to `atMost` at most. The `count` players ranked first are elected to fetch the segment
 * over HTTP (see httpTurnMs); the others wait for them. Neighbours that know each other reach the same
 * answer without talking, and the order changes from segment to segment, spreading the HTTP load and the
 * upload work. Each player comes first in proportion to the upload rate it advertised: the one that brings a
 * segment into the swarm is also the first to pass it on, and a segment that enters through a slow uplink
 * reaches every other player late. A player that uploads nothing (0) comes after every one that does.
 */
export function httpRank(self: RankedPlayer, neighbours: readonly RankedPlayer[], segment: number, atMost = Infinity): number {
  const myHash = hash32(`${self.id}:${segment}`);
  const mine = electionScore(self, myHash);
  let higher = 0;
  for (const player of neighbours) {
    const hash = hash32(`${player.id}:${segment}`);
    const theirs = electionScore(player, hash);
    if (theirs > mine || (theirs === mine && (hash > myHash || (hash === myHash && player.id > self.id)))) higher++;
    // Past `atMost` the answer is the same: the caller needs no more (the election asks only whether the rank is below `count`).
    if (higher >= atMost) return higher;
  }
  return higher;
}

/** Largest upload rate advertised, bytes per second: far above any uplink, and its steps fit a u32. */
const MAX_ADVERTISED_UPLOAD = 2 ** 30;

/**
 * The upload rate to advertise to peers (bytes per second), given the one advertised before and the upload
 * budget's rate now: in steps of half an octave, changed only once the rate moved a whole step away from
 * it. Peers weigh the election for HTTP by it (httpRank), and a player must rank itself with the value its
 * peers hold; finer steps would be news to every peer at each wobble of the uplink meter.
 */
export function advertisedUpload(previous: number | undefined, rate: number): number {
  if (!(rate > 0)) return 0;
  const bounded = Math.min(rate, MAX_ADVERTISED_UPLOAD);
  if (previous !== undefined && previous > 0 && Math.abs(Math.log2(bounded / previous)) < 0.5) return previous;
  return Math.round(2 ** (Math.round(Math.log2(bounded) * 2) / 2));
}

/**
 * Ms after learning of a new live segment at which a player fetches it over HTTP if no peer has it by then:
 * 0 for the `count` players elected (see httpRank), one `stepMs` more for each rank after them. Players
 * learn of a segment when they reload the playlist, each on its own schedule (hls.js reloads a live playlist
 * every half target duration or so): the elected one may learn of it a reload later than others, and
 * while everyone waits for it, no peer has a byte to send. With turns, the first player to learn of it and
 * reach its turn brings it in; the others, seeing a peer loading it, take it from there. A step shorter than
 * the time a peer's 'loading' takes to arrive costs HTTP copies (see EngineOptions.httpTurnStepMs).
 */
export function httpTurnMs(rank: number, count: number, stepMs: number): number {
  return rank < count ? 0 : (rank - count + 1) * stepMs;
}

export interface UploadLoad {
  /** Bytes still to send for the uploads in progress, to all peers together. */
  readonly queuedBytes: number;
  /** Bytes the new request asks for. */
  readonly requestBytes: number;
  /** Bytes per second this player uploads at most (its upload budget). */
  readonly rate: number;
  /** Take a request only if everything queued, it included, leaves within this many ms. */
  readonly maxQueueMs: number;
}

export type UploadAdmission = { readonly admit: true } | { readonly admit: false; readonly retryMs: number };

/** Peers an uplink serves at once however slow it is: one alone would leave it idle between requests. */
const MIN_UPLOAD_FAN_OUT = 2;

/**
 * How many peers to upload to at once: as many streams as the upload rate carries, at least two, at most
 * `max`. Uploads in progress share the uplink: a 2 Mbit/s home sending a 930 kbit/s stream to ten peers at
 * once sends each too slowly for its deadline, the peers give up and fetch over HTTP, and what was sent is
 * wasted. In the swarm model (30 viewers, 2 Mbit/s links) ten gave 63.3 % of the offload limit and 1.29
 * upload bytes sent per byte kept, two 88.8 % and 1.08.
 */
export function uploadFanOut(uploadRate: number, streamRate: number, max: number): number {
  if (!(streamRate > 0) || !Number.isFinite(uploadRate)) return max;
  return Math.min(max, Math.max(MIN_UPLOAD_FAN_OUT, Math.floor(uploadRate / streamRate)));
}

/** Shortest retry a busy uploader asks for: below it the requester would only ask again in vain. */
const MIN_RETRY_MS = 100;

/**
 * Whether an uploader takes one more request. Uploads in progress share the uplink, so a request queued
 * behind them finishes late for everyone; a full uplink says 'busy' at once, with when to ask again, and
 * the requester goes to a free peer (or waits for one) instead of stalling behind it. With nothing in
 * progress a request is always taken: a slow uplink still serves one peer at a time.
 */
export function uploadAdmission(load: UploadLoad): UploadAdmission {
  if (load.queuedBytes <= 0 || !Number.isFinite(load.rate) || load.rate <= 0) return { admit: true };
  const queueMs = ((load.queuedBytes + load.requestBytes) / load.rate) * 1000;
  if (queueMs <= load.maxQueueMs) return { admit: true };
  return { admit: false, retryMs: Math.max(MIN_RETRY_MS, Math.ceil(queueMs - load.maxQueueMs)) };
}

/**
 * After giving up on a slow peer mid-segment: whether HTTP should fetch the rest (with Range) rather than
 * another peer. Either continues from the bytes already here. Past half the segment, one HTTP request of
 * known speed finishes it: another peer would be one more guess at a rate, for less than half a segment.
 */
export function resumeOverHttp(received: number, total: number | undefined): boolean {
  return total !== undefined && total > 0 && received * 2 >= total;
}

export interface PeerTransfer {
  readonly now: number;
  readonly startedAt: number;
  /** When the last byte of this transfer arrived (startedAt before the first). */
  readonly lastProgressAt: number;
  /** Bytes received since the transfer started, and bytes still to come. */
  readonly received: number;
  readonly remaining: number;
  /** Silence allowed before the peer counts as stalled. */
  readonly stallLimitMs: number;
  readonly deadline: number | undefined;
  readonly urgentWindowMs: number;
  readonly httpEstimateMs: number;
}

/**
 * Whether to give up on a peer mid-transfer, and why: it was silent for the stall limit ('stalled'), HTTP
 * must start now to make the deadline ('deadline'), or the rate it delivered at over the first 500 ms or
 * more would finish too late ('too slow'; nothing at all yet counts as too slow). Giving up on a peer that
 * sent nothing in 500 ms leaves whatever it had queued to arrive for nothing, but waiting for it held up
 * more segments than that saved: in the 30-viewer simulator with 150 kB/s uplinks, waiting for the
 * stall limit instead gave 82.7 % of the offload limit against 92.1 %.
 */
export function judgePeerTransfer(t: PeerTransfer): 'stalled' | 'deadline' | 'too slow' | undefined {
  if (t.now - t.lastProgressAt > t.stallLimitMs) return 'stalled';
  if (t.deadline === undefined) return undefined;
  if (t.now >= t.deadline - t.urgentWindowMs - t.httpEstimateMs) return 'deadline';
  const elapsed = Math.max(1, t.now - t.startedAt);
  if (elapsed <= MIN_PROJECTION_MS) return undefined;
  const projectedEnd = t.received > 0 ? t.now + t.remaining / (t.received / elapsed) : Infinity;
  return projectedEnd > t.deadline - t.urgentWindowMs ? 'too slow' : undefined;
}

/** Transfer time before a rate is projected from it. */
const MIN_PROJECTION_MS = 500;

/** What the watchdog of a peer transfer knows, once per tick. */
export interface PeerWatch {
  readonly now: number;
  readonly startedAt: number;
  /** When the peer's last byte for this transfer arrived (undefined: none yet). */
  readonly lastProgressAt: number | undefined;
  /** Bytes of the segment held now, and held when the transfer started. */
  readonly held: number;
  readonly heldAtStart: number;
  /** The segment's size, once a source declared it. */
  readonly total: number | undefined;
  /** The length of the segment's byte range, if it has one. */
  readonly rangeLength: number | undefined;
  /** What the peer says of its copy now. */
  readonly peerState: 'complete' | 'loading' | 'dropped' | undefined;
  readonly peerStallMs: number;
  readonly deadline: number | undefined;
  readonly urgentWindowMs: number;
  readonly httpEstimateMs: number;
}

/**
 * Whether to give up on the peer now (see judgePeerTransfer), and if so whether the rest of the segment must
 * come over HTTP: when the deadline leaves no time for another peer, or past half the segment (resumeOverHttp).
 * A peer still loading the segment itself may pause three times as long while its own source catches up.
 */
export function giveUpOnPeer(w: PeerWatch): { readonly verdict: 'stalled' | 'deadline' | 'too slow'; readonly httpOnly: boolean } | undefined {
  const verdict = judgePeerTransfer({
    now: w.now,
    startedAt: w.startedAt,
    lastProgressAt: w.lastProgressAt ?? w.startedAt,
    received: w.held - w.heldAtStart,
    remaining: (w.total ?? w.rangeLength ?? w.held + 1) - w.held,
    stallLimitMs: w.peerState === 'loading' ? w.peerStallMs * 3 : w.peerStallMs,
    deadline: w.deadline,
    urgentWindowMs: w.urgentWindowMs,
    httpEstimateMs: w.httpEstimateMs,
  });
  if (verdict === undefined) return undefined;
  return { verdict, httpOnly: verdict === 'deadline' || resumeOverHttp(w.held, w.total) };
}

/** How a download from a peer ended without the segment. */
export interface PeerFailure {
  /** The error's code, when it was one of the SDK's. */
  readonly code: string | undefined;
  /** The peer is still connected. */
  readonly peerReady: boolean;
  /** The peer's bytes added to the segment during this request. */
  readonly progressed: boolean;
  /** The peer said its copy was complete when asked. */
  readonly claimedComplete: boolean;
  /** Requests in a row the peer left without a byte, before this one. */
  readonly fruitlessRequests: number;
  /** Fruitless requests in a row that ban a peer. */
  readonly maxFruitless: number;
}

export interface PeerFailureOutcome {
  /** Not asked for this segment again. */
  readonly exclude: boolean;
  /** It broke the protocol: banned with the error's message. */
  readonly banForProtocol: boolean;
  /** It claims complete segments and never sends them: banned for silent claims. */
  readonly banForSilence: boolean;
  readonly fruitlessRequests: number;
}

/**
 * What a failed peer download says of the peer. 'Busy' is no fault: the peer is skipped until it said to ask
 * again, nothing else changes. Otherwise it is not asked for the segment again. A peer that sent bytes, or that
 * answered it has no copy while still connected, is no liar; one that claimed a complete copy and sent nothing,
 * `maxFruitless` times in a row, only costs time and is banned.
 */
export function judgePeerFailure(f: PeerFailure): PeerFailureOutcome {
  if (f.code === 'SHOAL_ERR_PEER_BUSY') return { exclude: false, banForProtocol: false, banForSilence: false, fruitlessRequests: f.fruitlessRequests };
  const banForProtocol = f.code === 'SHOAL_ERR_PEER_PROTOCOL';
  const answeredAbsent = f.code === 'SHOAL_ERR_PEER_GONE' && f.peerReady;
  if (f.progressed || answeredAbsent) return { exclude: true, banForProtocol, banForSilence: false, fruitlessRequests: 0 };
  if (!f.claimedComplete) return { exclude: true, banForProtocol, banForSilence: false, fruitlessRequests: f.fruitlessRequests };
  const fruitlessRequests = f.fruitlessRequests + 1;
  return { exclude: true, banForProtocol, banForSilence: fruitlessRequests >= f.maxFruitless, fruitlessRequests };
}

/** Transfers shorter than this say more about latency than throughput: they do not move the HTTP average. */
const MIN_HTTP_SAMPLE_BYTES = 50_000;

/** The smoothed HTTP throughput (bytes per second) after a transfer of `bytes` in `ms`; undefined until one counts. */
export function nextHttpThroughput(previous: number | undefined, bytes: number, ms: number): number | undefined {
  if (bytes < MIN_HTTP_SAMPLE_BYTES || ms <= 0) return previous;
  const rate = (bytes / ms) * 1000;
  return previous === undefined ? rate : previous * 0.7 + rate * 0.3;
}

/** Milliseconds HTTP needs for `remaining` bytes at `rate` bytes per second, with a request's latency. */
export function httpEstimateMs(remaining: number, rate: number): number {
  return (Math.max(0, remaining) / rate) * 1000 + 150;
}
