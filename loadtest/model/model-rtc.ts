import type { ModelHost, ModelNetwork } from './model-network.js';

/** ICE, DTLS and SCTP handshakes before a data channel opens: round trips on top of the path's delay. */
const HANDSHAKE_ROUND_TRIPS = 3;
/** How long ICE tries before it says 'failed' when no path exists (browsers take 10–30 s). */
const ICE_FAILURE_MS = 10_000;
/**
 * Candidate gathering after setLocalDescription, before the SDP can go out (the SDK sends whole SDPs: no
 * trickle): local interfaces, and a STUN round trip where servers are configured.
 */
const ICE_GATHERING_MS = 40;
/** DTLS key exchange and certificate checks: CPU on both ends, on top of the round trips. */
const DTLS_CPU_MS = 20;

type ChannelState = 'connecting' | 'open' | 'closing' | 'closed';

/**
 * The RTCDataChannel surface the SDK uses, over the model network: `send` queues the frame on the sender's
 * uplink, where it waits until it left (`bufferedAmount` shows what of it the SCTP buffer does not hide); the
 * receiver gets it after delay and downlink.
 */
export class ModelDataChannel extends EventTarget {
  readyState: ChannelState = 'connecting';
  binaryType = 'arraybuffer';
  /** Bytes sent on this channel that have not left the uplink yet. */
  private unsent = 0;
  bufferedAmountLowThreshold = 0;
  onmessage: ((event: { data: ArrayBuffer }) => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  /** The other end, once connected. */
  remote: ModelDataChannel | undefined;

  constructor(
    readonly label: string,
    private readonly network: ModelNetwork,
    readonly host: ModelHost,
  ) {
    super();
  }

  /**
   * What the page sees waiting: the unsent bytes beyond what the SCTP stack took into its own send buffer
   * (and the congestion window), which `bufferedAmount` does not count. A deep stack buffer hides a full
   * uplink from the page, as real stacks do.
   */
  get bufferedAmount(): number {
    return Math.max(0, this.unsent - this.network.sctpBufferBytes);
  }

  open(): void {
    if (this.readyState !== 'connecting') return;
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 'open' || !this.remote) throw new DOMException('channel not open', 'InvalidStateError');
    const remote = this.remote;
    const bytes = data.byteLength;
    // The receiver gets its own ArrayBuffer, as over a real wire; a frame that is its whole buffer (what the
    // peer protocol's encoder makes) is handed over as it is, since the sender keeps no reference to it.
    const copy = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? (data.buffer as ArrayBuffer) : data.slice().buffer;
    this.unsent += bytes;
    this.network.transmit(
      this.host,
      remote.host,
      bytes,
      () => {
        const before = this.bufferedAmount;
        this.unsent -= bytes;
        if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold && this.readyState === 'open') {
          this.onbufferedamountlow?.();
        }
      },
      () => {
        if (remote.readyState === 'open') remote.onmessage?.({ data: copy });
      },
      this,
    );
  }

  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    const clock = this.network.clock;
    // Both ends hear of it: this one at once, the other after the path's delay.
    clock.setTimeout(() => this.onclose?.(), 0);
    const remote = this.remote;
    if (remote && remote.readyState !== 'closed') {
      clock.setTimeout(() => {
        if (remote.readyState === 'closed') return;
        remote.readyState = 'closed';
        remote.onclose?.();
      }, this.network.delayMs(this.host, remote.host));
    }
  }
}

/** Peer connections by id, as their SDPs name them: how an answer finds its offer. */
export class ModelRtcRegistry {
  private readonly connections = new Map<string, ModelPeerConnection>();
  private next = 0;
  connected = 0;
  failed = 0;

  register(pc: ModelPeerConnection): string {
    const id = `pc${this.next++}`;
    this.connections.set(id, pc);
    return id;
  }

  get(id: string): ModelPeerConnection | undefined {
    return this.connections.get(id);
  }

  forget(id: string): void {
    this.connections.delete(id);
  }
}

type ConnectionState = 'new' | 'connecting' | 'connected' | 'failed' | 'closed';

/**
 * The RTCPeerConnection surface the SDK uses. An SDP here is just the connection's id; when the offerer gets
 * the answer, the two ends connect after the handshake round trips if their NATs allow a direct path, and
 * ICE fails otherwise.
 */
export class ModelPeerConnection extends EventTarget {
  readonly id: string;
  connectionState: ConnectionState = 'new';
  iceGatheringState: 'new' | 'gathering' | 'complete' = 'new';
  localDescription: { type: 'offer' | 'answer'; sdp: string } | null = null;
  private remoteId: string | undefined;
  private channel: ModelDataChannel | undefined;

  constructor(
    private readonly network: ModelNetwork,
    private readonly registry: ModelRtcRegistry,
    readonly host: ModelHost,
  ) {
    super();
    this.id = registry.register(this);
  }

  createDataChannel(label: string): ModelDataChannel {
    this.channel = new ModelDataChannel(label, this.network, this.host);
    return this.channel;
  }

  async createOffer(): Promise<{ type: 'offer'; sdp: string }> {
    return { type: 'offer', sdp: `model ${this.id}` };
  }

  async createAnswer(): Promise<{ type: 'answer'; sdp: string }> {
    if (this.remoteId === undefined) throw new DOMException('no remote offer', 'InvalidStateError');
    return { type: 'answer', sdp: `model ${this.id}` };
  }

  async setLocalDescription(description: { type: 'offer' | 'answer'; sdp: string }): Promise<void> {
    this.localDescription = description;
    if (this.iceGatheringState !== 'new') return;
    this.iceGatheringState = 'gathering';
    this.network.clock.setTimeout(() => {
      this.iceGatheringState = 'complete';
      this.dispatchEvent(new Event('icegatheringstatechange'));
    }, ICE_GATHERING_MS);
  }

  async setRemoteDescription(description: { type: string; sdp?: string }): Promise<void> {
    const match = /^model (pc\d+)$/.exec(description.sdp ?? '');
    if (!match) throw new DOMException('not a model SDP', 'OperationError');
    if (this.connectionState === 'closed') throw new DOMException('closed', 'InvalidStateError');
    this.remoteId = match[1]!;
    if (description.type === 'answer') this.connect();
  }

  /** The offerer has the answer: both ends start ICE. */
  private connect(): void {
    const other = this.registry.get(this.remoteId!);
    if (!other || other.connectionState === 'closed') return;
    this.setState('connecting');
    other.setState('connecting');
    const clock = this.network.clock;
    if (!this.network.reachable(this.host, other.host)) {
      clock.setTimeout(() => {
        this.registry.failed++;
        this.setState('failed');
        other.setState('failed');
      }, ICE_FAILURE_MS);
      return;
    }
    const roundTrip = 2 * this.network.delayMs(this.host, other.host);
    clock.setTimeout(() => {
      if (this.connectionState !== 'connecting' || other.connectionState !== 'connecting' || !this.channel) return;
      this.registry.connected++;
      const mine = this.channel;
      const theirs = new ModelDataChannel(mine.label, this.network, other.host);
      mine.remote = theirs;
      theirs.remote = mine;
      other.channel = theirs;
      this.setState('connected');
      other.setState('connected');
      theirs.readyState = 'open';
      const event = new Event('datachannel') as Event & { channel: ModelDataChannel };
      event.channel = theirs;
      other.dispatchEvent(event);
      mine.open();
    }, HANDSHAKE_ROUND_TRIPS * roundTrip + DTLS_CPU_MS);
  }

  private setState(state: ConnectionState): void {
    if (this.connectionState === state || this.connectionState === 'closed') return;
    this.connectionState = state;
    this.dispatchEvent(new Event('connectionstatechange'));
  }

  /** Stats naming the selected pair's candidate types, as browsers report them. */
  async getStats(): Promise<Map<string, Record<string, unknown>>> {
    const type = this.host.link.nat === 'open' ? 'host' : 'srflx';
    return new Map<string, Record<string, unknown>>([
      ['T', { id: 'T', type: 'transport', selectedCandidatePairId: 'P' }],
      ['P', { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' }],
      ['L', { id: 'L', type: 'local-candidate', candidateType: type }],
      ['R', { id: 'R', type: 'remote-candidate', candidateType: 'srflx' }],
    ]);
  }

  close(): void {
    if (this.connectionState === 'closed') return;
    this.channel?.close();
    this.connectionState = 'closed';
    this.registry.forget(this.id);
  }
}

/** An RTCPeerConnection class for one viewer's engine: every connection it makes starts from `host`. */
export function rtcFor(network: ModelNetwork, registry: ModelRtcRegistry, host: ModelHost): new () => ModelPeerConnection {
  return class extends ModelPeerConnection {
    constructor() {
      super(network, registry, host);
    }
  };
}
