import type { SessionDescription, TrackerOffer } from '@shoal/protocol';

export type RTCPeerConnectionConstructor = new (config?: RTCConfiguration) => RTCPeerConnection;

export interface PeerConnectorOptions {
  readonly RTCPeerConnection: RTCPeerConnectionConstructor;
  /** ICE servers, or a function read at each new connection (servers handed out by the tracker arrive later). */
  readonly iceServers: readonly RTCIceServer[] | (() => readonly RTCIceServer[]);
  /** Called when an attempt begins, once offer and answer were exchanged: the connection now either connects or fails. */
  onAttempt?(peerId: string, pc: RTCPeerConnection): void;
  /** Called with every data channel that opened, and the remote peer's id. */
  onChannel(peerId: string, channel: RTCDataChannel, close: () => void, offeredBySelf: boolean): void;
  /**
   * When both peers offered to each other at once, two connections open: whether this one, which `accepts`
   * refused because the peer is connected already, should replace the existing one. Both ends must keep the
   * same connection (see `keepsConnection`), or each closes the one the other kept.
   */
  replaces?(peerId: string, offeredBySelf: boolean): boolean;
  /** Whether a connection to this peer may be made (not connected yet, not banned, room for more). */
  accepts(peerId: string): boolean;
  /** How long unanswered offers are kept. @default 30000 */
  readonly offerTtlMs?: number;
  /** Longest wait for ICE candidates before an SDP is sent anyway. @default 3000 */
  readonly iceGatheringTimeoutMs?: number;
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
function gathered(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(finish, timeoutMs);
    function finish(): void {
      clearTimeout(timer);
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
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Makes WebRTC data-channel connections through a tracker, WebTorrent style: offers are created ahead of
 * time and announced, the tracker relays each to one peer, and the answer that comes back by offer id
 * completes that connection. Offers from other peers are answered the same way.
 */
export class PeerConnector {
  private readonly pending = new Map<string, PendingOffer>();
  private readonly connections = new Set<RTCPeerConnection>();
  private readonly answerTimers = new Set<ReturnType<typeof setTimeout>>();
  private destroyed = false;

  constructor(private readonly options: PeerConnectorOptions) {}

  private create(): RTCPeerConnection {
    const { iceServers } = this.options;
    const pc = new this.options.RTCPeerConnection({ iceServers: [...(typeof iceServers === 'function' ? iceServers() : iceServers)] });
    this.connections.add(pc);
    return pc;
  }

  private closeConnection(pc: RTCPeerConnection): void {
    this.connections.delete(pc);
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
      await gathered(pc, this.options.iceGatheringTimeoutMs ?? 3000);
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
  private whenOpen(peerId: string, pc: RTCPeerConnection, channel: RTCDataChannel, offeredBySelf: boolean): void {
    const handOver = (): void => {
      if (this.destroyed || (!this.options.accepts(peerId) && !(this.options.replaces?.(peerId, offeredBySelf) ?? false))) {
        this.closeConnection(pc);
        return;
      }
      this.options.onChannel(peerId, channel, () => this.closeConnection(pc), offeredBySelf);
    };
    if (channel.readyState === 'open') handOver();
    else channel.addEventListener('open', handOver, { once: true });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') this.closeConnection(pc);
    });
  }

  /** Creates `count` offers for an announce, gathering their ICE candidates in parallel. */
  async createOffers(count: number): Promise<TrackerOffer[]> {
    const offers = await Promise.all(Array.from({ length: this.destroyed ? 0 : count }, () => this.createOffer()));
    return offers.filter((offer): offer is TrackerOffer => offer !== undefined);
  }

  private async createOffer(): Promise<TrackerOffer | undefined> {
    const pc = this.create();
    const channel = pc.createDataChannel('shoal', { ordered: true });
    const description = await this.describe(pc, async () => pc.setLocalDescription(await pc.createOffer()));
    if (!description) return undefined;
    const offerId = randomId20();
    const timer = setTimeout(() => {
      if (this.pending.get(offerId)?.pc === pc) {
        this.pending.delete(offerId);
        this.closeConnection(pc);
      }
    }, this.options.offerTtlMs ?? 30_000);
    this.pending.set(offerId, { pc, channel, timer });
    return { offer_id: offerId, offer: { type: 'offer', sdp: description.sdp } };
  }

  /** Completes the connection of one of our offers. */
  async handleAnswer(peerId: string, offerId: string, answer: SessionDescription): Promise<void> {
    const pending = this.pending.get(offerId);
    if (!pending) return;
    this.pending.delete(offerId);
    clearTimeout(pending.timer);
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
    this.whenOpen(peerId, pending.pc, pending.channel, true);
  }

  /** Answers another peer's offer; undefined when this player does not want the connection. */
  async handleOffer(peerId: string, offer: SessionDescription): Promise<SessionDescription | undefined> {
    if (this.destroyed || !this.options.accepts(peerId)) return undefined;
    const pc = this.create();
    pc.addEventListener('datachannel', (event: RTCDataChannelEvent) => this.whenOpen(peerId, pc, event.channel, false), { once: true });
    const description = await this.describe(pc, async () => {
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription(await pc.createAnswer());
    });
    if (!description) return undefined;
    this.options.onAttempt?.(peerId, pc);
    // An answerer that never hears back keeps nothing open for long.
    const timer = setTimeout(() => {
      this.answerTimers.delete(timer);
      if (pc.connectionState !== 'connected') this.closeConnection(pc);
    }, this.options.offerTtlMs ?? 30_000);
    this.answerTimers.add(timer);
    return { type: 'answer', sdp: description.sdp };
  }

  /** Offers not answered yet. */
  get pendingOffers(): number {
    return this.pending.size;
  }

  destroy(): void {
    this.destroyed = true;
    for (const pending of this.pending.values()) clearTimeout(pending.timer);
    for (const timer of this.answerTimers) clearTimeout(timer);
    this.answerTimers.clear();
    this.pending.clear();
    for (const pc of [...this.connections]) this.closeConnection(pc);
  }
}
