import type { SessionDescription, TrackerOffer } from '@shoal/protocol';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';

export type RTCPeerConnectionConstructor = new (config?: RTCConfiguration) => RTCPeerConnection;

export interface PeerConnectorOptions {
  readonly RTCPeerConnection: RTCPeerConnectionConstructor;
  /** ICE servers, or a function read at each new connection (servers handed out by the tracker arrive later). */
  readonly iceServers: readonly RTCIceServer[] | (() => readonly RTCIceServer[]);
  /** Called when an attempt begins, once offer and answer were exchanged: the connection now either connects or fails. */
  onAttempt?(peerId: string, pc: RTCPeerConnection): void;
  /** Called when a connection is closed before it opened: its deadline passed, ICE failed, or room was needed. */
  onGiveUp?(pc: RTCPeerConnection): void;
  /**
   * Called with every data channel that opened, the remote peer's id, and the frames that arrived on it
   * before it was handed over (in arrival order; hand them to PeerChannel so none is lost).
   */
  onChannel(peerId: string, channel: RTCDataChannel, close: () => void, offeredBySelf: boolean, early: readonly unknown[]): void;
  /**
   * When both peers offered to each other at once, two connections open: whether this one, which `accepts`
   * refused because the peer is connected already, should replace the existing one. Both ends must keep the
   * same connection (see `keepsConnection`), or each closes the one the other kept.
   */
  replaces?(peerId: string, offeredBySelf: boolean): boolean;
  /** Whether a connection to this peer may be made (not connected yet, not banned, room for more). */
  accepts(peerId: string): boolean;
  /**
   * Longest time a connection may take from its creation to an open data channel: an offer nobody
   * answered, an answer whose ICE never completed. Then it is closed. @default 15000
   */
  readonly connectTimeoutMs?: number;
  /** Most connections in progress (created, not open yet); no offer is made or answered beyond. @default 8 */
  readonly maxConnecting?: number;
  /** Longest wait for ICE candidates before an SDP is sent anyway. @default 3000 */
  readonly iceGatheringTimeoutMs?: number;
  /** Timers of connect deadlines and ICE gathering. @default the system clock */
  readonly clock?: Clock;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A 20-character id, as WebTorrent's offer_id and peer_id are (any 20-character string of code points < 256). */
export function randomId20(prefix = ''): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  let id = prefix;
  for (let i = id.length; i < 20; i++) id += ID_ALPHABET[bytes[i]! % ID_ALPHABET.length]!;
  return id.slice(0, 20);
}

/** Resolves once ICE gathering completed (the tracker relays whole SDPs: no trickle) or the timeout passed. */
function gathered(pc: RTCPeerConnection, timeoutMs: number, clock: Clock): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = clock.setTimeout(finish, timeoutMs);
    function finish(): void {
      clock.clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    function check(): void {
      if (pc.iceGatheringState === 'complete') finish();
    }
    pc.addEventListener('icegatheringstatechange', check);
  });
}

interface PendingOffer {
  readonly pc: RTCPeerConnection;
  readonly channel: RTCDataChannel;
  readonly early: readonly unknown[];
}

/** More frames than a peer sends before it heard our hello (its hello, at most a have) mean a misbehaving peer: the rest are dropped. */
const MAX_EARLY_FRAMES = 16;

/**
 * Keeps the frames that reach `channel` before it is handed over. The remote end greets as soon as its
 * side opens, and on a busy main thread the task that hands ours over (our answer's promise, the open
 * event) may run after that frame was dispatched: without a listener, the peer's hello would be lost and
 * its next frame taken for a bad hello.
 */
function holdEarlyFrames(channel: RTCDataChannel): unknown[] {
  const early: unknown[] = [];
  channel.binaryType = 'arraybuffer';
  channel.onmessage = (event: MessageEvent) => {
    if (early.length < MAX_EARLY_FRAMES) early.push(event.data);
  };
  return early;
}

/** RTCPeerConnections made by one connector: created, open now, and closed without ever opening. */
export interface ConnectionCounts {
  readonly created: number;
  readonly open: number;
  readonly failed: number;
  /** Created and not open yet (offers out, answers sent, ICE running). */
  readonly connecting: number;
}

/**
 * Makes WebRTC data-channel connections through a tracker, WebTorrent style: offers are created ahead of
 * time and announced, the tracker relays each to one peer, and the answer that comes back by offer id
 * completes that connection. Offers from other peers are answered the same way.
 */
export class PeerConnector {
  private readonly pending = new Map<string, PendingOffer>();
  /** Every connection not closed yet, with its connect deadline until its channel opens. */
  private readonly connections = new Map<RTCPeerConnection, TimerHandle | undefined>();
  private created = 0;
  private failed = 0;
  private destroyed = false;

  private readonly clock: Clock;

  constructor(private readonly options: PeerConnectorOptions) {
    this.clock = options.clock ?? systemClock;
  }

  private create(): RTCPeerConnection {
    const { iceServers } = this.options;
    const pc = new this.options.RTCPeerConnection({ iceServers: [...(typeof iceServers === 'function' ? iceServers() : iceServers)] });
    this.created++;
    this.connections.set(pc, this.clock.setTimeout(() => this.closeConnection(pc), this.options.connectTimeoutMs ?? 15_000));
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') this.closeConnection(pc);
    });
    return pc;
  }

  /** Connections created, open and failed, and in progress. */
  get counts(): ConnectionCounts {
    let connecting = 0;
    for (const deadline of this.connections.values()) if (deadline !== undefined) connecting++;
    return { created: this.created, open: this.connections.size - connecting, failed: this.failed, connecting };
  }

  /** Whether another connection may be started now. */
  get mayConnect(): boolean {
    return !this.destroyed && this.counts.connecting < (this.options.maxConnecting ?? 8);
  }

  private closeConnection(pc: RTCPeerConnection): void {
    if (!this.connections.has(pc)) return;
    const deadline = this.connections.get(pc);
    if (deadline !== undefined) {
      this.clock.clearTimeout(deadline);
      this.failed++;
      this.options.onGiveUp?.(pc);
    }
    this.connections.delete(pc);
    for (const [offerId, pending] of this.pending) if (pending.pc === pc) this.pending.delete(offerId);
    try {
      pc.close();
    } catch {
      // already closed
    }
  }

  /**
   * Runs one side's negotiation step, waits for ICE candidates, and returns the complete local description;
   * on failure, or when the connector was destroyed meanwhile, closes the connection and returns undefined.
   */
  private async describe(pc: RTCPeerConnection, negotiate: () => Promise<void>): Promise<RTCSessionDescription | undefined> {
    try {
      await negotiate();
      await gathered(pc, this.options.iceGatheringTimeoutMs ?? 3000, this.clock);
    } catch {
      this.closeConnection(pc);
      return undefined;
    }
    const description = pc.localDescription;
    if (!description || this.destroyed) {
      this.closeConnection(pc);
      return undefined;
    }
    return description;
  }

  /** Hands a channel over once it is open; the connection is closed with the channel. */
  private whenOpen(peerId: string, pc: RTCPeerConnection, channel: RTCDataChannel, offeredBySelf: boolean, early: readonly unknown[]): void {
    const handOver = (): void => {
      if (this.destroyed || !this.connections.has(pc) || (!this.options.accepts(peerId) && !(this.options.replaces?.(peerId, offeredBySelf) ?? false))) {
        this.closeConnection(pc);
        return;
      }
      this.clock.clearTimeout(this.connections.get(pc));
      this.connections.set(pc, undefined);
      this.options.onChannel(peerId, channel, () => this.closeConnection(pc), offeredBySelf, early);
    };
    if (channel.readyState === 'open') handOver();
    else channel.addEventListener('open', handOver, { once: true });
  }

  /** Creates `count` offers for an announce, gathering their ICE candidates in parallel. */
  async createOffers(count: number): Promise<TrackerOffer[]> {
    const room = this.destroyed ? 0 : Math.max(0, Math.min(count, (this.options.maxConnecting ?? 8) - this.counts.connecting));
    const offers = await Promise.all(Array.from({ length: room }, () => this.createOffer()));
    return offers.filter((offer): offer is TrackerOffer => offer !== undefined);
  }

  private async createOffer(): Promise<TrackerOffer | undefined> {
    const pc = this.create();
    const channel = pc.createDataChannel('shoal', { ordered: true });
    const early = holdEarlyFrames(channel);
    const description = await this.describe(pc, async () => pc.setLocalDescription(await pc.createOffer()));
    if (!description) return undefined;
    const offerId = randomId20();
    this.pending.set(offerId, { pc, channel, early });
    return { offer_id: offerId, offer: { type: 'offer', sdp: description.sdp } };
  }

  /** Completes the connection of one of our offers. */
  async handleAnswer(peerId: string, offerId: string, answer: SessionDescription): Promise<void> {
    const pending = this.pending.get(offerId);
    if (!pending) return;
    this.pending.delete(offerId);
    if (!this.options.accepts(peerId)) {
      this.closeConnection(pending.pc);
      return;
    }
    try {
      await pending.pc.setRemoteDescription(answer);
    } catch {
      this.closeConnection(pending.pc);
      return;
    }
    this.options.onAttempt?.(peerId, pending.pc);
    this.whenOpen(peerId, pending.pc, pending.channel, true, pending.early);
  }

  /** Answers another peer's offer; undefined when this player does not want the connection. */
  async handleOffer(peerId: string, offer: SessionDescription): Promise<SessionDescription | undefined> {
    if (this.destroyed || !this.options.accepts(peerId)) return undefined;
    // A peer that wants to connect beats an offer of ours nobody may ever answer: at the cap, the oldest
    // unanswered offer makes room.
    const oldest = this.pending.values().next().value;
    if (!this.mayConnect && oldest) this.closeConnection(oldest.pc);
    if (!this.mayConnect) return undefined;
    const pc = this.create();
    pc.addEventListener('datachannel', (event: RTCDataChannelEvent) => this.whenOpen(peerId, pc, event.channel, false, holdEarlyFrames(event.channel)), { once: true });
    const description = await this.describe(pc, async () => {
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription(await pc.createAnswer());
    });
    if (!description) return undefined;
    this.options.onAttempt?.(peerId, pc);
    return { type: 'answer', sdp: description.sdp };
  }

  /** Offers not answered yet. */
  get pendingOffers(): number {
    return this.pending.size;
  }

  destroy(): void {
    this.destroyed = true;
    for (const pc of [...this.connections.keys()]) this.closeConnection(pc);
    this.pending.clear();
  }
}
