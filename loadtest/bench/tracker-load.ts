import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';

/**
 * The closed-loop load generator of the tracker benchmark, the same for every tracker: N WebSocket peers in K
 * swarms; each announces with `offers` offers, waits for its reply and an answer to every offer, and announces
 * again; each relayed offer is answered at once. Messages are built and read with string operations only, and
 * what one event-loop turn sends to a socket leaves in one write, so the generator spends as little CPU per
 * message as it can.
 */
export interface LoadOptions {
  /** Tracker URL, or several: connection i goes to the (i mod n)th (edge nodes sharing swarms). */
  readonly url: string | readonly string[];
  readonly connections: number;
  readonly swarms: number;
  /** Offers per announce; a fraction is met on average (2.4: two, and a third in 40 % of the announces). */
  readonly offers: number;
  /** A peer re-announces after this long even if some answers never came. */
  readonly roundTimeoutMs: number;
  /**
   * Open loop: each peer announces every this many ms (first ones spread over the interval), whatever came
   * back, as players do; the offered load is then fixed and relay latency is what it measures. @default closed loop
   */
  readonly announceEveryMs?: number;
}

/** What happened on the generator's side of the wire. */
export interface LoadCounts {
  /** Offers delivered to peers by the tracker. */
  offersReceived: number;
  /** Answers delivered back to offerers by the tracker. */
  answersReceived: number;
  announces: number;
  failures: number;
  timeouts: number;
  /** Offer relay latencies in ms (announce sent to offer delivered), open loop only. */
  relayMs: number[];
}

// A realistic-size SDP (a data-channel-only offer without trickle is 500–800 bytes).
const SDP = JSON.stringify(
  'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n' +
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2113937151 192.0.2.10 54321 typ host generation 0\r\n' +
    'a=ice-ufrag:Fz3H\r\na=ice-pwd:9YhX7VQn1YgHc6pQvG3Dk2Lm\r\na=ice-options:trickle\r\na=fingerprint:sha-256 ' +
    '3C:4E:8B:21:90:AA:17:5F:0D:6C:33:8E:AF:12:9B:40:57:C6:DE:71:02:9F:A4:3B:58:E1:7D:26:C9:84:0F:B3\r\n' +
    'a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n',
);

const binaryId = (): string => String.fromCharCode(...randomBytes(20));

/** The raw JSON string token after `"key":` (quotes included), without decoding it. */
function rawString(text: string, key: string): string | undefined {
  const at = text.indexOf(`"${key}":"`);
  if (at < 0) return undefined;
  const start = at + key.length + 3;
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92) i += 2; // backslash escape
    else if (c === 34) return text.slice(start, i + 1);
    else i++;
  }
  return undefined;
}

interface Peer {
  readonly ws: WebSocket;
  socket: Socket | undefined;
  corked: boolean;
  readonly infoHashJson: string;
  readonly peerIdJson: string;
  expectedAnswers: number;
  answers: number;
  replied: boolean;
  timer: NodeJS.Timeout | undefined;
}

export class TrackerLoad {
  readonly counts: LoadCounts = { offersReceived: 0, answersReceived: 0, announces: 0, failures: 0, timeouts: 0, relayMs: [] };
  private readonly peers: Peer[] = [];
  private running = false;
  private readonly corked: Peer[] = [];
  private flushScheduled = false;
  private readonly flush = (): void => {
    this.flushScheduled = false;
    for (const peer of this.corked) {
      peer.corked = false;
      peer.socket?.uncork();
    }
    this.corked.length = 0;
  };

  private send(peer: Peer, text: string): void {
    if (!peer.corked && peer.socket) {
      peer.corked = true;
      peer.socket.cork();
      this.corked.push(peer);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    }
    peer.ws.send(text);
  }

  constructor(private readonly options: LoadOptions) {
    this.swarmIds = Array.from({ length: options.swarms }, () => JSON.stringify(binaryId()));
  }

  private readonly swarmIds: string[];

  /** Opens `count` more connections (all of them by default) and joins each peer to its swarm, without offers. */
  async connect(count = this.options.connections - this.peers.length): Promise<void> {
    const end = Math.min(this.options.connections, this.peers.length + count);
    const batch = 200;
    for (let first = this.peers.length; first < end; first += batch) {
      const opening: Promise<void>[] = [];
      for (let i = first; i < Math.min(end, first + batch); i++) opening.push(this.open(this.swarmIds[i % this.swarmIds.length]!, this.urlOf(i)));
      await Promise.all(opening);
    }
  }

  private urlOf(connection: number): string {
    const { url } = this.options;
    return typeof url === 'string' ? url : url[connection % url.length]!;
  }

  private open(infoHashJson: string, url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, generateMask: (mask) => mask.fill(0) });
      const peer: Peer = { ws, socket: undefined, corked: false, infoHashJson, peerIdJson: JSON.stringify(binaryId()), expectedAnswers: 0, answers: 0, replied: false, timer: undefined };
      ws.once('upgrade', (response) => (peer.socket = response.socket));
      ws.once('error', reject);
      ws.once('open', () => {
        this.peers.push(peer);
        ws.on('message', (data: Buffer) => this.onMessage(peer, data.toString()));
        const joined = (data: Buffer) => {
          if (!data.toString().includes('"interval"')) return;
          ws.off('message', joined);
          resolve();
        };
        ws.on('message', joined);
        ws.send(`{"action":"announce","event":"started","info_hash":${infoHashJson},"peer_id":${peer.peerIdJson},"numwant":0,"uploaded":0,"downloaded":0}`);
      });
    });
  }

  private onMessage(peer: Peer, text: string): void {
    if (text.includes('"offer":')) {
      this.counts.offersReceived++;
      const from = rawString(text, 'peer_id');
      const offerId = rawString(text, 'offer_id');
      // Open loop only: there offer ids carry their send time (closed-loop ids are random and may start with 't').
      if (offerId && this.options.announceEveryMs !== undefined) this.counts.relayMs.push(performance.now() - parseInt(offerId.slice(2, 13), 36) / 1000);
      if (!from || !offerId || !this.running) return;
      this.send(
        peer,
        `{"action":"announce","info_hash":${peer.infoHashJson},"peer_id":${peer.peerIdJson},"to_peer_id":${from},"offer_id":${offerId},"answer":{"type":"answer","sdp":${SDP}}}`,
      );
    } else if (text.includes('"answer":')) {
      this.counts.answersReceived++;
      peer.answers++;
      this.maybeNext(peer);
    } else if (text.includes('"failure reason"')) {
      this.counts.failures++;
    } else if (text.includes('"interval"')) {
      peer.replied = true;
      this.maybeNext(peer);
    }
  }

  private maybeNext(peer: Peer): void {
    if (this.options.announceEveryMs !== undefined) return;
    if (this.running && peer.replied && peer.answers >= peer.expectedAnswers) this.announce(peer);
  }

  private announce(peer: Peer): void {
    clearTimeout(peer.timer);
    if (!this.running || peer.ws.readyState !== WebSocket.OPEN) return;
    const offers: string[] = [];
    // Open loop: offer ids carry their send time (µs, base 36), so the peer they are relayed to measures the latency.
    const timed = this.options.announceEveryMs !== undefined ? `t${Math.round(performance.now() * 1000).toString(36).padStart(11, '0')}` : undefined;
    const count = Math.floor(this.options.offers) + (Math.random() < this.options.offers % 1 ? 1 : 0);
    for (let i = 0; i < count; i++) {
      const offerId = timed ? `${timed}${String(i).padStart(8, '0')}` : binaryId();
      offers.push(`{"offer_id":${JSON.stringify(offerId)},"offer":{"type":"offer","sdp":${SDP}}}`);
    }
    peer.replied = false;
    peer.answers = 0;
    peer.expectedAnswers = Math.min(count, Math.floor(this.options.connections / this.options.swarms) - 1);
    this.counts.announces++;
    this.send(peer, `{"action":"announce","info_hash":${peer.infoHashJson},"peer_id":${peer.peerIdJson},"numwant":${count},"uploaded":0,"downloaded":0,"offers":[${offers.join(',')}]}`);
    if (this.options.announceEveryMs !== undefined) {
      peer.timer = setTimeout(() => this.announce(peer), this.options.announceEveryMs);
      peer.timer.unref();
      return;
    }
    peer.timer = setTimeout(() => {
      this.counts.timeouts++;
      this.announce(peer);
    }, this.options.roundTimeoutMs);
    peer.timer.unref();
  }

  /** Starts the closed loop on every peer. */
  start(): void {
    this.running = true;
    const every = this.options.announceEveryMs;
    this.peers.forEach((peer, i) => {
      if (every === undefined) this.announce(peer);
      else {
        // Spread the first announces over one interval, as players that joined at different times are.
        peer.timer = setTimeout(() => this.announce(peer), (i / this.peers.length) * every);
        peer.timer.unref();
      }
    });
  }

  /** Stops announcing; messages in flight still arrive and are counted. */
  stop(): void {
    this.running = false;
    for (const peer of this.peers) clearTimeout(peer.timer);
  }

  async close(): Promise<void> {
    this.stop();
    await Promise.all(
      this.peers.splice(0).map(
        (peer) =>
          new Promise<void>((resolve) => {
            if (peer.ws.readyState === WebSocket.CLOSED) return resolve();
            peer.ws.once('close', () => resolve());
            peer.ws.terminate();
          }),
      ),
    );
  }
}
