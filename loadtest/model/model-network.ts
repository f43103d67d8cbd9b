import type { VirtualClock } from './virtual-clock.js';

/**
 * NAT behaviour of a viewer's home router, as far as direct WebRTC connections care: `open` (public address
 * or UPnP), `cone` (endpoint-independent mapping: STUN finds a working address), `symmetric` (a new mapping per
 * destination: only a cone or open peer's address can be punched, and two symmetric peers need TURN).
 */
export type NatType = 'open' | 'cone' | 'symmetric';

/** Whether two viewers' NATs let a direct connection through (no TURN in the model). */
export function reachable(a: NatType, b: NatType): boolean {
  if (a === 'open' || b === 'open') return true;
  return !(a === 'symmetric' && b === 'symmetric');
}

export interface HostLink {
  /** Upload rate of the viewer's access link, bytes per second. */
  readonly upBytesPerSecond: number;
  /** Download rate, bytes per second. */
  readonly downBytesPerSecond: number;
  readonly nat: NatType;
  /** Region index: one-way delay between hosts is `delayMs(regionA, regionB)`. */
  readonly region: number;
}

interface Outgoing {
  readonly to: ModelHost;
  readonly bytes: number;
  readonly departed: () => void;
  readonly arrived: () => void;
}

/** A viewer's machine on the model network: its access link, what waits to go out, and when the downlink is free. */
export class ModelHost {
  /** Messages waiting for the uplink, per flow (a data channel), flows in round-robin order. */
  readonly queues = new Map<unknown, Outgoing[]>();
  /** Whether the uplink is sending a message now. */
  sending = false;
  /** The flow of the message being sent, and the rest of its queue: it rejoins the line behind flows that came meanwhile. */
  current: { readonly flow: unknown; readonly queue: Outgoing[] } | undefined;
  downFreeAt = 0;
  bytesSent = 0;
  bytesReceived = 0;

  constructor(
    readonly id: number,
    readonly link: HostLink,
  ) {}
}

export interface ModelNetworkOptions {
  /** One-way delay between two regions, ms (same region included). */
  readonly delayMs: (a: number, b: number) => number;
  /** Bytes per data channel the SCTP stack holds below `bufferedAmount` (send buffer and congestion window). @default 0 */
  readonly sctpBufferBytes?: number;
}

/**
 * The wire between viewers: each host's uplink serves its flows in turn at the link's rate, each downlink is a
 * FIFO at its rate, with a one-way propagation delay between them. Everything is reliable and in order within
 * a flow, as SCTP data channels are; queueing is where a full uplink shows.
 */
export class ModelNetwork {
  private readonly hosts: ModelHost[] = [];

  readonly sctpBufferBytes: number;

  constructor(
    readonly clock: VirtualClock,
    private readonly options: ModelNetworkOptions,
  ) {
    this.sctpBufferBytes = options.sctpBufferBytes ?? 0;
  }

  addHost(link: HostLink): ModelHost {
    if (!(link.upBytesPerSecond > 0 && link.downBytesPerSecond > 0)) throw new RangeError('link rates must be above 0');
    const host = new ModelHost(this.hosts.length, link);
    this.hosts.push(host);
    return host;
  }

  delayMs(a: ModelHost, b: ModelHost): number {
    return this.options.delayMs(a.link.region, b.link.region);
  }

  reachable(a: ModelHost, b: ModelHost): boolean {
    return reachable(a.link.nat, b.link.nat);
  }

  /**
   * Sends `bytes` from one host to another as part of `flow` (a data channel: its messages stay in order):
   * `departed` runs when the last byte left the sender's uplink, `arrived` when it came through the
   * receiver's downlink. The uplink takes one message at a time, flows in turn, as SCTP associations share
   * a link through their congestion control: a request on an idle channel waits for the message being sent,
   * not behind every byte other channels queued.
   */
  transmit(from: ModelHost, to: ModelHost, bytes: number, departed: () => void, arrived: () => void, flow: unknown = to): void {
    let queue = from.queues.get(flow) ?? (from.current?.flow === flow ? from.current?.queue : undefined);
    if (!queue) {
      queue = [];
      from.queues.set(flow, queue);
    }
    queue.push({ to, bytes, departed, arrived });
    from.bytesSent += bytes;
    if (!from.sending) this.sendNext(from);
  }

  private sendNext(from: ModelHost): void {
    const next = from.queues.entries().next();
    if (next.done) {
      from.sending = false;
      return;
    }
    const [flow, queue] = next.value;
    const message = queue.shift()!;
    from.queues.delete(flow);
    from.current = { flow, queue };
    from.sending = true;
    this.clock.setTimeout(() => {
      // This flow goes to the back of the line, if it has more: behind flows that queued while it was sent.
      from.current = undefined;
      if (queue.length > 0) from.queues.set(flow, queue);
      message.departed();
      // The downlink is reserved when the bytes are on their way, in the order they left their senders.
      const to = message.to;
      const reachAt = this.clock.now() + this.delayMs(from, to);
      const deliverAt = Math.max(reachAt, to.downFreeAt) + (message.bytes / to.link.downBytesPerSecond) * 1000;
      to.downFreeAt = deliverAt;
      this.clock.setTimeout(() => {
        to.bytesReceived += message.bytes;
        message.arrived();
      }, deliverAt - this.clock.now());
      this.sendNext(from);
    }, (message.bytes / from.link.upBytesPerSecond) * 1000);
  }
}
