import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { decodePeerMessage, encodePeerMessage, MAX_DATA_CHUNK_BYTES, PEER_PROTOCOL_VERSION, type HaveEntry, type PeerMessage } from '@shoal/protocol';
import type { Signaling, SignalingSession } from '../src/signaling/signaling.js';

/**
 * A hostile viewer of the tests' own writing: it joins a swarm through signaling like any viewer, answers
 * offers with node-datachannel itself, and speaks the binary peer protocol frame by frame — none of the
 * SDK's peer classes. What it does with each frame is the test's `behave` callback.
 */
export interface HostileChannel {
  readonly remoteId: string;
  /** Sends one well-formed message. */
  send(message: PeerMessage): void;
  /** Sends raw bytes as one frame (malformed, oversized, unknown type…). */
  sendRaw(frame: Uint8Array): void;
  close(): void;
  readonly open: boolean;
  /** Frames received so far, by type. */
  readonly received: Map<string, number>;
}

/**
 * Sends bytes [from, to) of `bytes` for `request` as data frames of at most MAX_DATA_CHUNK_BYTES, each
 * declaring `total` (the segment's size unless a test lies about it).
 */
export function sendData(channel: HostileChannel, request: number, bytes: Uint8Array, from = 0, to = bytes.length, total = bytes.length): void {
  for (let offset = from; offset < to; offset += MAX_DATA_CHUNK_BYTES) {
    channel.send({ type: 'data', request, offset, total, bytes: bytes.subarray(offset, Math.min(to, offset + MAX_DATA_CHUNK_BYTES)) });
  }
}

/** Acknowledges a data frame as an honest receiver does: without acks an uploader stops at its send window. */
export function acknowledge(channel: HostileChannel, data: Extract<PeerMessage, { type: 'data' }>): void {
  channel.send({ type: 'ack', request: data.request, received: data.offset + data.bytes.length });
}

/** Answers a hello like a real peer and claims segments 0 … `segments` − 1 complete; false for any other message. */
export function greetAndClaim(channel: HostileChannel, message: PeerMessage, self: HostilePeer, segments: number): boolean {
  if (message.type !== 'hello') return false;
  channel.send(self.hello());
  channel.send({ type: 'have', entries: Array.from({ length: segments }, (_, i): HaveEntry => ({ segment: i, state: 'complete' })) });
  return true;
}

export interface HostileBehaviour {
  /** The channel opened (hello not sent yet: `helloBack` does it after the victim's hello). */
  onOpen?(channel: HostileChannel, self: HostilePeer): void;
  onMessage?(channel: HostileChannel, message: PeerMessage, self: HostilePeer): void;
}

export class HostilePeer {
  readonly channels: HostileChannel[] = [];
  private readonly connections = new Set<RTCPeerConnection>();
  private readonly session: SignalingSession;
  /** Times a channel of ours opened: a banned peer gets no new one. */
  opened = 0;
  /** Whose offers it answers (a test narrows this to keep it away from a viewer joining later). */
  answers: (peerId: string) => boolean = () => true;

  constructor(
    private readonly signaling: Signaling,
    readonly infoHashBinary: string,
    readonly swarmHex: string,
    readonly peerId: string,
    private readonly behaviour: HostileBehaviour,
  ) {
    this.session = signaling.join(infoHashBinary, peerId, {
      onOffer: (from, offerId, offer) => void (from.startsWith('-XX0001-sybil') || !this.answers(from) || this.answer(from, offerId, offer)),
      onAnswer: () => undefined,
    });
    this.session.announce([]);
  }

  private async answer(from: string, offerId: string, offer: { type: 'offer' | 'answer'; sdp: string }): Promise<void> {
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.connections.add(pc);
    pc.ondatachannel = (event: RTCDataChannelEvent) => this.wire(from, event.channel);
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      setTimeout(resolve, 2_000);
    });
    this.session.answer(from, offerId, { type: 'answer', sdp: pc.localDescription!.sdp });
  }

  private wire(remoteId: string, dc: RTCDataChannel): void {
    dc.binaryType = 'arraybuffer';
    const received = new Map<string, number>();
    const channel: HostileChannel = {
      remoteId,
      received,
      get open() {
        return dc.readyState === 'open';
      },
      send: (message) => channel.sendRaw(encodePeerMessage(message)),
      sendRaw: (frame) => {
        if (dc.readyState === 'open') dc.send(frame as Uint8Array<ArrayBuffer>);
      },
      close: () => dc.close(),
    };
    dc.onmessage = (event: MessageEvent) => {
      let message: PeerMessage;
      try {
        message = decodePeerMessage(new Uint8Array(event.data as ArrayBuffer));
      } catch {
        return;
      }
      received.set(message.type, (received.get(message.type) ?? 0) + 1);
      this.behaviour.onMessage?.(channel, message, this);
    };
    const opened = (): void => {
      this.opened++;
      this.channels.push(channel);
      this.behaviour.onOpen?.(channel, this);
    };
    if (dc.readyState === 'open') opened();
    else dc.onopen = opened;
  }

  /**
   * Sends offers that can never connect, each from a fresh peer id (a sybil joining the swarm for it):
   * real SDP from node-datachannel with every ICE candidate stripped, from connections closed at once.
   * Whoever answers waits for ICE in vain. Each sybil offers twice, so that with this peer (which
   * ignores its own sybils) and the victim in the swarm, the tracker stand-in relays one to the victim.
   */
  async offerUnconnectable(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const id = `-XX0001-sybil${String(this.offersMade++).padStart(7, '0')}`;
      const session = this.signaling.join(this.infoHashBinary, id, { onOffer: () => undefined, onAnswer: () => undefined });
      const offers = [];
      for (let k = 0; k < 2; k++) {
        const pc = new RTCPeerConnection({ iceServers: [] });
        pc.createDataChannel('shoal');
        await pc.setLocalDescription(await pc.createOffer());
        const sdp = pc.localDescription!.sdp
          .split('\r\n')
          .filter((line) => !line.startsWith('a=candidate') && !line.startsWith('a=end-of-candidates'))
          .join('\r\n');
        pc.close();
        offers.push({ offer_id: `${id.slice(8, 18)}${String(k).padStart(10, '0')}`, offer: { type: 'offer' as const, sdp } });
      }
      session.announce(offers);
      session.leave();
    }
  }

  private offersMade = 0;

  /** The hello a well-behaved peer would answer with. */
  hello(): PeerMessage {
    return { type: 'hello', version: PEER_PROTOCOL_VERSION, swarm: this.swarmHex };
  }

  destroy(): void {
    this.session.leave();
    for (const pc of this.connections) pc.close();
    this.connections.clear();
  }
}
